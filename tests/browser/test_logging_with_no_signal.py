"""On a phone with no signal: a coach opens the forms she opened before, saves, sees what waits to be sent, and it is
sent once when the signal returns; an urgent concern says to call the on-call line; one the server refuses is
shown with her text; a session that ended keeps them until she logs in; log out removes everything kept."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from coaching.models import Concern, Encounter
from patients import services as patient_services
from recovery_program.audit import Actor
from staff.models import Program
from staff.sessions import StaffSession
from supervision.models import Page as SupervisorPage
from tests.browser.test_pages_are_accessible import _violations
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINE = "(555) 010-4477"
HAPPENED = "Coffee at Maple Street; she talked about the custody hearing."

# What this phone keeps: the caches, the entries waiting to send, the service worker.
KEPT = """async () => {
  const caches_ = await caches.keys();
  const dbs = await indexedDB.databases();
  let entries = 0;
  if (dbs.some((db) => db.name === "recovery-offline")) {
    entries = await new Promise((resolve) => {
      const opening = indexedDB.open("recovery-offline");
      opening.onsuccess = () => {
        const db = opening.result;
        if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve(0); return; }
        const counting = db.transaction("outbox").objectStore("outbox").count();
        counting.onsuccess = () => { db.close(); resolve(counting.result); };
      };
    });
  }
  const workers = await navigator.serviceWorker.getRegistrations();
  return { caches: caches_.length, entries, workers: workers.length };
}"""


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "service_workers": "allow"}


@pytest.fixture
def on_call_line(program):
    Program.objects.filter(pk=program.pk).update(on_call_line=LINE)
    return LINE


def _log_in_with_the_phone_ready(page: Page, live_server, coach) -> None:
    """Logs in; the service worker that keeps the forms is then in charge of her pages (from her home page on)."""
    _log_in(page, live_server.url, coach)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _fill_encounter(page: Page, patient, happened: str = HAPPENED) -> None:
    page.get_by_role("checkbox", name=patient.legal_name).check()
    page.get_by_label("What you did").select_option(label="One-on-one in person")
    page.get_by_label("Now").check()
    page.get_by_label("What happened").fill(happened)


def _save_an_encounter_with_no_signal(page: Page, live_server, coach, patient) -> None:
    """Logs in, opens the form with signal, loses it, and saves an encounter: it waits on the phone."""
    _log_in_with_the_phone_ready(page, live_server, coach)
    page.goto(f"{live_server.url}/coaching/encounters/new/")
    page.context.set_offline(True)
    _fill_encounter(page, patient)
    page.get_by_role("button", name="Save encounter").click()
    expect(_waiting(page, 1)).to_be_visible()


def _leaves_her_caseload(patient, supervisor) -> None:
    """Meanwhile her supervisor ends the assignment."""
    patient_services.assignment_end(
        actor=Actor(supervisor, None), patient=patient, ended_on=timezone.localdate(), reason="Moved away."
    )


def _waiting(page: Page, count: int):
    return page.get_by_role("status").filter(has_text=f"Waiting to send ({count})")


def test_an_encounter_saved_with_no_signal_is_sent_once_when_the_signal_returns(
    live_server, page: Page, coach, patient
):
    _save_an_encounter_with_no_signal(page, live_server, coach, patient)
    expect(page.get_by_text("Kept on this phone: waiting to send.")).to_be_visible()
    assert Encounter.objects.count() == 0
    page.context.set_offline(False)
    expect(page.get_by_text("What was waiting on this phone is saved (1).")).to_be_visible()
    assert Encounter.objects.count() == 1
    assert Encounter.objects.get().summary == HAPPENED


def test_with_no_signal_she_opens_the_form_kept_on_her_phone_and_each_entry_is_saved_once(
    live_server, page: Page, coach, patient
):
    _log_in_with_the_phone_ready(page, live_server, coach)
    page.goto(f"{live_server.url}/coaching/encounters/new/?patient={patient.pk}")
    page.goto(f"{live_server.url}/")
    page.context.set_offline(True)
    # Opened again with no signal (the "log with her" form she opened before): the copy kept on the phone.
    page.goto(f"{live_server.url}/coaching/encounters/new/?patient={patient.pk}")
    expect(page.get_by_role("heading", name="Log an encounter")).to_be_visible()
    expect(page.get_by_text("This form was kept on this phone.")).to_be_visible()
    expect(page.get_by_role("checkbox", name=patient.legal_name)).to_be_checked()
    _fill_encounter(page, patient, "First: at the clinic.")
    page.get_by_role("button", name="Save encounter").click()
    expect(_waiting(page, 1)).to_be_visible()
    page.get_by_role("button", name="Start another").click()
    _fill_encounter(page, patient, "Second: a call about her appointment.")
    page.get_by_role("button", name="Save encounter").click()
    expect(_waiting(page, 2)).to_be_visible()
    page.context.set_offline(False)
    expect(page.get_by_text("What was waiting on this phone is saved (2).")).to_be_visible()
    assert sorted(Encounter.objects.values_list("summary", flat=True)) == [
        "First: at the clinic.",
        "Second: a call about her appointment.",
    ]


def test_an_urgent_concern_with_no_signal_says_to_call_the_on_call_line_and_pages_once(
    live_server, page: Page, coach, supervisor, patient, on_call_line
):
    _log_in_with_the_phone_ready(page, live_server, coach)
    page.goto(f"{live_server.url}/coaching/concerns/new/")
    page.context.set_offline(True)
    page.get_by_label("About").select_option(value=str(patient.pk))
    page.get_by_label("Return to use, or signs of it").check()
    page.get_by_label("What you saw or heard").fill("She told me she used last night and is scared.")
    page.get_by_label("Urgent: a supervisor must act now").check()
    page.get_by_role("button", name="Share with my supervisor").click()
    queued = page.locator("[data-offline-queued]")
    expect(queued.get_by_text("No one has been paged yet about your urgent concern.")).to_be_visible()
    assert _violations(page) == []
    expect(queued.get_by_role("link", name=on_call_line)).to_have_attribute("href", f"tel:{on_call_line}")
    expect(page.locator("[data-outbox]").get_by_role("link", name=on_call_line)).to_be_visible()
    assert Concern.objects.count() == 0
    page.context.set_offline(False)
    expect(page.get_by_text("What was waiting on this phone is saved (1).")).to_be_visible()
    expect(page.locator("[data-outbox]").get_by_text("No one has been paged yet")).to_be_hidden()
    assert Concern.objects.count() == 1
    assert SupervisorPage.objects.filter(channel=SupervisorPage.Channel.EMAIL).count() == 1


def test_an_entry_that_can_no_longer_be_saved_is_shown_with_her_text_to_copy(
    live_server, page: Page, coach, supervisor, patient
):
    _save_an_encounter_with_no_signal(page, live_server, coach, patient)
    # Meanwhile her supervisor ends the assignment: the patient left her caseload.
    _leaves_her_caseload(patient, supervisor)
    page.context.set_offline(False)
    outbox = page.locator("[data-outbox]")
    expect(outbox.get_by_text("the patient is no longer on your caseload")).to_be_visible()
    assert HAPPENED in outbox.get_by_label("What you wrote, to copy").input_value()
    assert Encounter.objects.count() == 0
    assert _violations(page) == []
    # Discarding takes two taps.
    outbox.get_by_role("button", name="Discard it").click()
    outbox.get_by_role("button", name="Tap again to remove it from this phone for good").click()
    expect(outbox).to_be_hidden()
    assert page.evaluate(KEPT)["entries"] == 0


def test_a_session_that_ended_keeps_them_waiting_until_she_logs_in_again(live_server, page: Page, coach, patient):
    _save_an_encounter_with_no_signal(page, live_server, coach, patient)
    StaffSession.objects.filter(user_id=coach.pk).delete()
    page.context.set_offline(False)
    outbox = page.locator("[data-outbox]")
    expect(outbox.get_by_text("Your session ended, so they cannot be sent yet.")).to_be_visible()
    expect(_waiting(page, 1)).to_be_visible()
    assert Encounter.objects.count() == 0
    outbox.get_by_role("link", name="Log in again").click()
    page.get_by_label("Username or e-mail").fill(coach.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Back on the page she was on, which sends them with the new session's token.
    expect(page.get_by_text("What was waiting on this phone is saved (1).")).to_be_visible()
    assert Encounter.objects.count() == 1


def test_log_out_removes_the_kept_forms_and_the_entries_not_sent(live_server, page: Page, coach, supervisor, patient):
    _save_an_encounter_with_no_signal(page, live_server, coach, patient)
    kept = page.evaluate(KEPT)
    assert kept["entries"] == 1
    assert kept["caches"] >= 2  # the forms and their files
    # One the server refuses stays on the phone, for her to copy.
    _leaves_her_caseload(patient, supervisor)
    page.context.set_offline(False)
    expect(page.get_by_text("the patient is no longer on your caseload")).to_be_visible()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert asked == ["1 not sent yet will be removed from this phone. Log out anyway?"]
    assert page.evaluate(KEPT) == {"caches": 0, "entries": 0, "workers": 0}
