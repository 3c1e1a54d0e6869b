"""On a phone, a session that ends while she types loses nothing: she logs in again and finds all she typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from coaching.models import Draft, Encounter
from staff.sessions import StaffSession
from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEFORE = "Met at the library. She talked about the custody hearing"
AFTER = f"{BEFORE}, and that her mother will drive her there on Friday."


def _end_her_sessions(user) -> None:
    """What 30 idle minutes, 12 hours or a deactivation do: her session rows are gone."""
    StaffSession.objects.filter(user_id=user.pk).delete()


def _log_in_again(page: Page, user) -> None:
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username or e-mail").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def _kept_on_the_phone(page: Page) -> int:
    return page.evaluate("Object.keys(sessionStorage).filter((key) => key.startsWith('kept:')).length")


def test_a_coach_whose_session_ends_while_she_types_logs_in_again_and_finds_everything(
    live_server, page: Page, coach, patient
):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").click()
    page.wait_for_load_state("load")  # keep.js runs before she types
    page.get_by_label("Place").fill("Harbor Library")
    page.get_by_label("What happened").fill(BEFORE)
    expect(page.get_by_text("Saved as draft at")).to_be_visible()

    _end_her_sessions(coach)
    page.get_by_label("What happened").fill(f"{BEFORE}, and")  # she keeps typing
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Your session ended. What you typed is kept on this phone. Log in again to go on.")
    expect(page.get_by_text("Not saved: session ended — kept on this phone.")).to_be_visible()
    dialog.get_by_role("button", name="Keep typing here first").click()
    page.get_by_label("What happened").fill(AFTER)
    page.get_by_role("button", name="Save encounter").click()  # and presses Save: nothing is lost either
    expect(dialog).to_be_visible()
    assert not Encounter.objects.exists()

    dialog.get_by_role("link", name="Log in again").click()
    _log_in_again(page, coach)

    expect(page).to_have_url(re.compile(r"/coaching/encounters/new/$"))
    expect(page.get_by_label("What happened")).to_have_value(AFTER)
    expect(page.get_by_label("Place")).to_have_value("Harbor Library")
    expect(page.get_by_text("What you typed is back")).to_be_visible()
    expect(page.get_by_text("Saved as draft at")).to_be_visible()  # the server's draft has caught up
    assert Draft.objects.get(user=coach, form=Draft.Form.ENCOUNTER).data["summary"] == [AFTER]

    page.get_by_role("checkbox", name=patient.legal_name).check()
    page.get_by_label("What you did").select_option(label="One-on-one in person")
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Encounter saved.")).to_be_visible()
    assert Encounter.objects.get().summary == AFTER
    assert _kept_on_the_phone(page) == 0  # saved: the copy on the phone is gone
    assert not Draft.objects.exists()


def test_a_supervisor_whose_session_ends_before_she_saves_a_cps_report_finds_it_filled_in(
    live_server, page: Page, supervisor, patient
):
    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/clinical/patients/{patient.pk}/cps-reports/new/")
    page.get_by_label("What was reported").fill("Infant left alone overnight")
    expect(page.get_by_text("Saved as draft at")).to_be_visible()

    _end_her_sessions(supervisor)
    page.get_by_label("Reference number").fill("DCYF-2291")
    expect(page.get_by_text("Not saved: session ended — kept on this phone.")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Keep typing here first").click()
    page.get_by_label("What was reported").fill("Infant left alone overnight, per the mother, twice this week.")
    page.get_by_role("button", name="Save").click()  # a whole page sent: it goes to log in, never to an error

    _log_in_again(page, supervisor)
    expect(page).to_have_url(re.compile(rf"/clinical/patients/{patient.pk}/cps-reports/new/$"))
    expect(page.get_by_label("What was reported")).to_have_value(
        "Infant left alone overnight, per the mother, twice this week."
    )
    expect(page.get_by_label("Reference number")).to_have_value("DCYF-2291")


def test_an_autosave_that_cannot_reach_the_server_says_so_and_keeps_the_text(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").click()
    page.wait_for_load_state("load")  # keep.js runs before she types
    page.route("**/coaching/drafts/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("What happened").fill("One bar of signal in the parking lot")
    expect(page.get_by_text("Not saved: no connection — kept on this phone.")).to_be_visible()
    assert _kept_on_the_phone(page) == 1

    page.unroute("**/coaching/drafts/**")
    page.get_by_label("What happened").fill("One bar of signal in the parking lot, then two")
    expect(page.get_by_text("Saved as draft at")).to_be_visible()

    # The database briefly down: the line no longer says the last save was the latest.
    page.route("**/coaching/drafts/**", lambda route: route.fulfill(status=503, body="Service Unavailable"))
    page.get_by_label("What happened").fill("One bar of signal in the parking lot, then two, then none")
    expect(page.get_by_text("Not saved: the server did not answer — kept on this phone.")).to_be_visible()
    expect(page.get_by_text("Saved as draft at")).to_have_count(0)


def test_what_was_kept_on_a_shared_phone_is_gone_at_log_out(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").click()
    page.wait_for_load_state("load")  # keep.js runs before she types
    page.get_by_label("What happened").fill("Private words")
    expect(page.get_by_text("Saved as draft at")).to_be_visible()
    assert _kept_on_the_phone(page) == 1
    _log_out(page)
    assert _kept_on_the_phone(page) == 0
