"""An admin, on her phone, records a coach's training with its certificate, and sees nothing clinical."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from staff.services import program_setup
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_admin_adds_a_certificate_and_the_coachs_compliance_changes(
    live_server, page: Page, admin, coach, patient, tmp_path
):
    program_setup(program=admin.program)
    certificate = tmp_path / "rca-certificate.pdf"
    certificate.write_bytes(PDF)

    _log_in(page, live_server.url, admin)
    page.get_by_role("link", name="Training").first.click()
    row = page.get_by_role("row").filter(has_text=coach.get_full_name())
    expect(row).to_contain_text("Recovery Coach Academy: not on record")
    row.get_by_role("link", name=coach.get_full_name()).click()

    page.get_by_role("link", name="Add a training record").click()
    page.get_by_label("Kind").select_option(label="Recovery Coach Academy")
    two_months_ago = timezone.localdate() - datetime.timedelta(days=60)  # a date before today, whatever the day
    page.get_by_label("Completed on").fill(two_months_ago.isoformat())
    page.get_by_label("Hours").fill("30")
    page.get_by_label("Provider").fill("NH Recovery Coach Academy")
    page.get_by_label("Certificate").set_input_files(str(certificate))
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Training recorded.")).to_be_visible()
    expect(page.get_by_text("Recovery Coach Academy: not on record")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("View"))).to_be_visible()

    for url in (f"/patients/{patient.pk}/", "/patients/", "/coaching/concerns/", f"/clinical/patients/{patient.pk}/"):
        page.goto(live_server.url + url)
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_text(patient.legal_name)).to_have_count(0)
