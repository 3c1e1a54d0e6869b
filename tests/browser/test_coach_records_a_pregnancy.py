"""On a phone: a coach records a woman's pregnancy, is told next to the field what waits for the delivery, and
her page says where she is and that a Plan of Safe Care is due; custody is nowhere on her pages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_coach_keeps_a_safety_plan import _fits_the_phone
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coach_records_a_pregnancy_with_her(live_server, page: Page, coach, patient):
    due = timezone.localdate() + datetime.timedelta(weeks=3)
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Record a pregnancy").click()
    _fits_the_phone(page)

    page.get_by_label("Estimated due date").fill(due.isoformat())
    page.get_by_label("She has prenatal care").check()
    page.get_by_label("Where").fill("Riverbend Women's Health")
    page.get_by_label("Weeks of pregnancy at delivery").fill("39")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Record the delivery date first.").first).to_be_visible()
    expect(page.get_by_label("Where")).to_have_value("Riverbend Women's Health")
    _fits_the_phone(page)

    page.get_by_label("Weeks of pregnancy at delivery").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Pregnant — 37 weeks")).to_be_visible()
    expect(page.get_by_text("Her due date is near and no Plan of Safe Care is recorded.")).to_be_visible()
    expect(page.get_by_text("Custody")).to_have_count(0)
    _fits_the_phone(page)
