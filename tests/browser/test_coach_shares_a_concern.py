"""The heart of it, on a phone: a coach logs a group session and shares an urgent concern; a supervisor has it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import PatientFactory, on_caseload_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def caseload(coach, supervisor):
    names = ["Odette Lark", "Pearl Quinn", "Ivy Marsh"]
    patients = [PatientFactory(program=coach.program, legal_name=name, clinical_provider=supervisor) for name in names]
    for patient in patients:
        on_caseload_of(patient, coach)
    return patients


def test_group_session_then_urgent_concern_reaches_supervisors_only(
    live_server, page: Page, coach, other_coach, supervisor, admin, caseload
):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").click()
    page.get_by_label("What you did").select_option(label="Group treatment session")
    page.get_by_label("1 hour ago").check()
    page.get_by_label("How long (minutes)").fill("90")
    odette, pearl, _ivy = caseload
    # Two women: each one's own note shows once she is ticked; the third woman's stays out of the way.
    expect(page.get_by_label("Her own note: Pearl Quinn")).to_be_hidden()
    for patient in (odette, pearl):
        page.get_by_role("checkbox", name=patient.legal_name).check()
    expect(page.get_by_label("Her own note: Ivy Marsh")).to_be_hidden()
    page.get_by_label("What happened").fill("Group on sleep and cravings. Pearl was quiet and left early.")
    page.get_by_label("Her own note: Pearl Quinn").fill("Quiet; left early, before the break.")
    expect(page.get_by_text("Saved as draft at")).to_be_visible()  # saved as she typed
    page.get_by_role("button", name="Save encounter").click()
    # The group's note is in Odette's record too: it may name no one, and she is told so next to it.
    expect(page.locator("#id_summary_error")).to_contain_text("The note about the group names Pearl")
    page.get_by_label("What happened").fill("Group on sleep and cravings.")
    page.get_by_role("button", name="Save encounter").click()

    expect(page.get_by_role("heading", name="Group treatment session")).to_be_visible()
    encounter_url = page.url
    page.goto(f"{encounter_url}?patient={odette.pk}")
    expect(page.get_by_text("Odette Lark, in a group of 2")).to_be_visible()
    expect(page.get_by_text("Pearl")).to_have_count(0)
    page.goto(encounter_url)
    page.get_by_role("link", name="Share a concern with my supervisor").click()
    page.get_by_label("About").select_option(label="Pearl Quinn")
    page.get_by_label("Return to use, or signs of it").check()
    page.get_by_label("What you saw or heard").fill("She told me she used last night and is scared.")
    page.get_by_label("Urgent: a supervisor must act now").check()
    page.get_by_role("button", name="Share with my supervisor").click()
    expect(page.get_by_text("Shared with your supervisor")).to_be_visible()
    expect(page.get_by_text("Shared", exact=True)).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, supervisor)
    expect(page.get_by_role("alert")).to_contain_text("1 urgent concern needs you now")
    page.get_by_role("link", name="Concern queue").first.click()
    first = page.locator(".encounters li").first
    expect(first).to_contain_text("Urgent now")
    expect(first).to_contain_text("Pearl Quinn")
    first.get_by_role("link").click()
    page.get_by_role("button", name="Mark as seen").click()
    expect(page.get_by_text("Marked as seen")).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="My concerns").first.click()
    expect(page.get_by_text("Seen by a supervisor")).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, other_coach)
    page.get_by_role("link", name="My concerns").first.click()
    expect(page.get_by_text("You have not shared any concerns yet.")).to_be_visible()
    expect(page.get_by_text("Pearl Quinn")).to_have_count(0)
    _log_out(page)

    _log_in(page, live_server.url, admin)
    expect(page.get_by_role("link", name="Concern queue")).to_have_count(0)
    expect(page.get_by_text("urgent concern")).to_have_count(0)
    page.goto(f"{live_server.url}/coaching/concerns/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_mistake_in_the_log_form_is_shown_without_reloading_the_page(live_server, page: Page, coach, caseload):
    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Log an encounter").click()
    page.get_by_label("What happened").fill("Coffee at Maple Street; she talked about the custody hearing.")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Save encounter").click()  # nobody chosen under "Who was there"

    expect(page.get_by_role("link", name="Pick at least one person who was there.")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage === true")  # htmx swapped the form; the page did not reload
    expect(page.get_by_label("What happened")).to_have_value(
        "Coffee at Maple Street; she talked about the custody hearing."
    )
    page.get_by_role("checkbox", name=caseload[0].legal_name).check()
    page.get_by_label("What you did").select_option(label="Phone call or text")
    page.get_by_label("Now").check()
    page.get_by_role("button", name="Save encounter").click()
    expect(page.get_by_text("Encounter saved.")).to_be_visible()
