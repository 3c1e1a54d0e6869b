"""On a phone, a supervisor downloads this month's encounters without names; asking for names without saying why
is refused next to the field, with her choices kept."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from recovery_program.models import Export
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import log_encounter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_downloads_encounters_on_her_phone(live_server, page: Page, supervisor, coach, patient):
    log_encounter(coach, [patient], summary="She talked about her mother.")
    _log_in(page, live_server.url, supervisor)
    page.get_by_role("link", name="Downloads").first.click()

    expect(page.get_by_role("heading", name="Download a list")).to_be_visible()
    page.get_by_label("Encounters").check()
    page.get_by_label("Coach:", exact=True).select_option(label=str(coach))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").tap()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Encounter", "Woman", "When"]
    assert len(rows) == 2
    assert "Rosalind" not in text
    assert "mother" not in text

    page.get_by_label("Include names, exact dates and notes").check()
    page.get_by_role("button", name="Download").tap()
    expect(page.get_by_text("Say why you need names and dates").first).to_be_visible()
    expect(page.get_by_label("Include names, exact dates and notes")).to_be_checked()
    assert Export.objects.count() == 1
