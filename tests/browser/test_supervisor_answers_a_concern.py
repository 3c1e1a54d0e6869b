"""A supervisor answers a coach's concern: a referral, what the patient was told, then closes it with a note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_records_a_referral_and_the_talk_then_closes_with_a_note(
    live_server, page: Page, coach, supervisor, patient
):
    concern = share_concern(
        coach, patient, category="return_to_use", description="She used last night.", urgency="within_24h"
    )
    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/coaching/concerns/{concern.pk}/")
    page.get_by_role("link", name="Record a referral").click()
    expect(page.get_by_label("Return to use, or signs of it", exact=False)).to_be_checked()
    page.get_by_label("Level or kind of care").select_option(label="Intensive outpatient")
    page.get_by_label("Receiving provider").fill("Riverside IOP")
    page.get_by_label("Outcome").fill("Intake on Monday.")
    page.get_by_role("button", name="Record referral").click()
    expect(page.get_by_role("heading", name="Referral to Riverside IOP (Intensive outpatient)")).to_be_visible()

    page.goto(f"{live_server.url}/coaching/concerns/{concern.pk}/")
    page.get_by_role("link", name="Record what she was told").click()
    page.get_by_label(re.compile(r"^How:?$")).select_option(label="In person")
    page.get_by_label("What was said").fill("We recommend intensive outpatient; intake is Monday at 9.")
    page.get_by_label("How she responded").fill("She agreed.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="What she was told")).to_be_visible()

    page.goto(f"{live_server.url}/coaching/concerns/{concern.pk}/")
    expect(page.get_by_text("Referral to Riverside IOP")).to_be_visible()
    page.get_by_label("Why close it?").fill("Referred to IOP; she was told in person.")
    page.get_by_label("Closing note to the coach").fill("Thank you. She has a plan now; please keep checking in.")
    page.get_by_role("button", name="Close the concern").click()
    expect(page.get_by_text("Concern closed.")).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="My concerns").first.click()
    page.get_by_role("link", name="Return to use, or signs of it").click()
    expect(page.get_by_text("Closed", exact=True)).to_be_visible()
    expect(page.get_by_text("Thank you. She has a plan now; please keep checking in.")).to_be_visible()
    for hidden in ("Riverside", "IOP", "intake", "Referred to", "She agreed"):
        expect(page.get_by_text(hidden)).to_have_count(0)
