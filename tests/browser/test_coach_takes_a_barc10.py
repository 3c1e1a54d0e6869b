"""On a phone, with her: a coach takes a woman's BARC-10, the ten statements as labelled radio groups; a missed
statement is told next to it and nothing chosen is lost; her page then draws the total with its table."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from coaching.models import BARC10_STATEMENTS
from tests.browser.test_coach_keeps_a_safety_plan import _fits_the_phone
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = ["Agree", "Somewhat agree", "Strongly agree", "Disagree", "Agree"] * 2  # 5 + 4 + 6 + 2 + 5 = 22, twice


def test_coach_takes_the_barc10_with_her_on_a_phone(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Her BARC-10").click()
    page.get_by_role("link", name="Take the BARC-10 with her").click()
    _fits_the_phone(page)

    for number, (statement, answer) in enumerate(zip(BARC10_STATEMENTS, ANSWERS, strict=True), start=1):
        if number == 4:
            continue  # she has not answered this one yet
        page.get_by_role("group", name=f"{number}. {statement}").get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save her BARC-10").click()

    group = page.get_by_role("group", name=f"4. {BARC10_STATEMENTS[3]}")
    expect(page.get_by_text("Choose one for").first).to_be_visible()
    expect(page.get_by_role("group", name=f"3. {BARC10_STATEMENTS[2]}").get_by_label("Strongly agree")).to_be_checked()
    group.get_by_label("Disagree", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save her BARC-10").click()

    expect(page.get_by_text("Her BARC-10 is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="44 of 60")).to_be_visible()
    expect(page.locator("#barc10-trend-table")).to_contain_text("44")
    _fits_the_phone(page)
