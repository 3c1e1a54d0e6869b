"""On a phone: a double tap on Save logs one encounter and shares one concern (one page to the supervisor), with
the page's script and without it (then the server's one-time key alone holds); with no signal it waits on the
phone and is sent once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from coaching.models import Concern, Encounter
from supervision.models import Page as SupervisorPage
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = ["with the script", "server only"]
# Without the script the browser sends both taps and shows the answer to the second: the first one's message, or,
# when the second left before the first was answered, the one-time key's "already saved" (recovery_program.once).
ALREADY_SAVED = "This was already saved. Here it is."


def _without_script(page: Page, which: str) -> None:
    if which == "server only":
        page.route("**/js/forms.js", lambda route: route.fulfill(status=200, body="", content_type="text/javascript"))


def _fill_encounter(page: Page, live_server, patient) -> None:
    page.goto(f"{live_server.url}/coaching/encounters/new/")
    page.get_by_role("checkbox", name=patient.legal_name).check()
    page.get_by_label("What you did").select_option(label="One-on-one in person")
    page.get_by_label("Now").check()
    page.get_by_label("What happened").fill("Coffee at Maple Street; she talked about the custody hearing.")


@pytest.mark.parametrize("which", SCRIPT)
def test_a_double_tap_on_save_logs_one_encounter(live_server, page: Page, coach, patient, which):
    _without_script(page, which)
    _log_in(page, live_server.url, coach)
    _fill_encounter(page, live_server, patient)
    page.get_by_role("button", name="Save encounter").dblclick()
    said = re.compile(f"Encounter saved\\.|{re.escape(ALREADY_SAVED)}")
    expect(page.get_by_text(said).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/coaching/encounters/\d+/$"))
    assert Encounter.objects.count() == 1


@pytest.mark.parametrize("which", SCRIPT)
def test_a_double_tap_on_share_shares_one_urgent_concern_and_pages_once(
    live_server, page: Page, coach, supervisor, patient, which
):
    _without_script(page, which)
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}/coaching/concerns/new/")
    page.get_by_label("About").select_option(value=str(patient.pk))
    page.get_by_label("Return to use, or signs of it").check()
    page.get_by_label("What you saw or heard").fill("She told me she used last night and is scared.")
    page.get_by_label("Urgent: a supervisor must act now").check()
    page.get_by_role("button", name="Share with my supervisor").dblclick()
    said = re.compile(f"Shared with your supervisor|{re.escape(ALREADY_SAVED)}")
    expect(page.get_by_text(said).first).to_be_visible()
    assert Concern.objects.count() == 1
    assert SupervisorPage.objects.filter(channel=SupervisorPage.Channel.EMAIL).count() == 1


def test_the_button_says_it_is_saving_and_cannot_be_pressed_again(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    _fill_encounter(page, live_server, patient)
    # Hold the answer back, as a slow link does, to see the button while it waits.
    held = []
    page.route(
        "**/coaching/encounters/new/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/encounters/new/")):
        page.get_by_role("button", name="Save encounter").click()
    saving = page.get_by_role("button", name="Saving…")
    expect(saving).to_be_disabled()
    expect(page.locator("form[aria-busy=true]")).to_have_count(1)
    held[0].continue_()
    expect(page.get_by_text("Encounter saved.")).to_be_visible()
    assert Encounter.objects.count() == 1


def test_with_no_signal_it_waits_on_the_phone_and_is_sent_once(live_server, page: Page, coach, patient):
    # Without the service worker (blocked here): the page itself keeps it and sends it
    # (tests/browser/test_logging_with_no_signal.py has the rest).
    _log_in(page, live_server.url, coach)
    _fill_encounter(page, live_server, patient)
    page.context.set_offline(True)
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Kept on this phone: waiting to send.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Waiting to send (1)")).to_be_visible()
    page.context.set_offline(False)
    expect(page.get_by_text("What was waiting on this phone is saved (1).")).to_be_visible()
    assert Encounter.objects.count() == 1


def test_when_the_server_fails_she_is_told_and_can_try_again(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    _fill_encounter(page, live_server, patient)
    failing = {"times": 1}

    def first_fails(route):
        if route.request.method == "POST" and failing["times"]:
            failing["times"] -= 1
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    page.route("**/coaching/encounters/new/", first_fails)
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Not saved: something went wrong on our side.")).to_be_visible()
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Encounter saved.")).to_be_visible()
    assert Encounter.objects.count() == 1
