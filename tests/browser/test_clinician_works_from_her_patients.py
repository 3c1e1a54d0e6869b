"""A clinician (the supervisor role, no coaches, no shifts) works from her own women on a phone: her home page
opens on their concern, the concern names her as clinical provider, and the queue narrows to her women."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from staff.roles import Role
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import PatientFactory, UserFactory, on_caseload_of, share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_opens_her_patients_concern_and_narrows_the_queue(live_server, page: Page, coach, patient):
    clinician = UserFactory(
        username="clin_a", first_name="Noor", last_name="Ashdown", program=coach.program, role=Role.SUPERVISOR
    )
    calla = PatientFactory(program=coach.program, legal_name="Calla Winslow", clinical_provider=clinician)
    on_caseload_of(calla, coach)
    share_concern(coach, calla, category="return_to_use", description="She missed group twice.")
    share_concern(coach, patient, category="basic_needs", description="About Roz.")

    _log_in(page, live_server.url, clinician)
    patients = page.get_by_role("region", name="Your patients")
    expect(patients.get_by_text("Calla Winslow")).to_be_visible()
    expect(patients.get_by_text("Rosalind")).to_have_count(0)
    patients.get_by_role("link", name="Return to use, or signs of it").click()
    expect(page.locator(".clinical-provider")).to_contain_text("Noor Ashdown")

    page.get_by_role("link", name="Concern queue").first.click()
    page.get_by_label("Only women I am the clinical provider for").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Calla Winslow")).to_be_visible()
    expect(page.get_by_text("Rosalind Avery")).to_have_count(0)
    expect(page.get_by_label("Only women I am the clinical provider for")).to_be_checked()
