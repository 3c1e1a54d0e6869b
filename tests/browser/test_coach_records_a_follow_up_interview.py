"""On a phone: a coach opens the interviews due from her home, records the follow-up interview of a woman whose
window is open, and sees it done on the woman's page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from patients.services import grant_interview_record
from recovery_program.audit import Actor
from tests.browser.test_coach_keeps_a_safety_plan import _fits_the_phone
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coach_records_a_follow_up_done_from_the_interviews_due(live_server, page: Page, coach, patient):
    # Her intake interview 170 days ago: her follow-up window is open today.
    grant_interview_record(
        actor=Actor(coach, None),
        patient=patient,
        kind="intake",
        outcome="done",
        dated_on=timezone.localdate() - datetime.timedelta(days=170),
    )
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="The interviews due, with a coach filter and dates").click()
    expect(page.get_by_role("heading", name="Interviews due in the next 30 days")).to_be_visible()
    _fits_the_phone(page)
    row = page.get_by_role("row").filter(has_text="Six-month follow-up")
    row.get_by_role("link", name=patient.display_name).click()

    page.get_by_role("link", name="Record an interview").click()
    _fits_the_phone(page)
    page.get_by_label("Six-month follow-up").check()
    page.get_by_role("radio", name="Done").check()
    page.get_by_role("button", name="Record it").click()

    expect(page.get_by_text("Interview recorded.")).to_be_visible()
    expect(page.locator("#interviews-heading + p + dl").get_by_text("Done", exact=True)).to_be_visible()
    _fits_the_phone(page)
