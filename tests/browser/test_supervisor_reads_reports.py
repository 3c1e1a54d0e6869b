"""On her phone, a supervisor opens the reports from the menu, is told what is wrong with the dates she typed, then
reads a quarter's charts and tables; on paper each section starts a page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from coaching.models import EncounterKind
from tests.browser.test_pages_are_accessible import _violations
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import log_encounter, share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_reads_the_reports_on_her_phone(live_server, page: Page, supervisor, coach, patient):
    log_encounter(coach, [patient], kind=EncounterKind.MEDICAL)
    share_concern(coach, patient, category="basic_needs")
    _log_in(page, live_server.url, supervisor)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Women served, enrolled and discharged")).to_be_visible()

    page.get_by_label("The dates below").check()
    page.get_by_label("First day", exact=True).fill("2026-03-01")
    page.get_by_label("Last day (included)", exact=True).fill("2026-02-01")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("The last day comes on or after the first day.").first).to_be_visible()
    expect(page.get_by_label("First day", exact=True)).to_have_value("2026-03-01")
    assert _violations(page) == []

    page.get_by_label("This quarter").check()
    page.get_by_role("button", name="Show the report").click()
    accompaniments = page.get_by_role("table", name="Times a coach went with her")
    expect(accompaniments.get_by_role("row", name="a medical or dental visit 1")).to_be_visible()
    expect(page.get_by_role("img", name="Concerns shared per week")).to_be_visible()
    assert _violations(page) == []

    page.emulate_media(media="print")
    breaks = page.locator("section.report-section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)"
    )
    assert set(breaks) == {"page"}
    expect(page.get_by_role("button", name="Show the report")).to_be_hidden()
