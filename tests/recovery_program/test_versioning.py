"""Two people (or two tabs) editing one record: the second save is refused with what changed, nobody's text is lost.

Each case opens the edit page twice (two tabs, by one person or by two), saves the first, then the second: the
second is refused, naming who changed what and what it holds now; her text is still in the form, the first one's
is in the record; and her next save, after reading, goes through.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import Concern, ConcernNote, ConcernStatus, Encounter
from patients.models import Patient
from patients.services import patient_change_status
from recovery_program.audit import Actor
from recovery_program.versioning import STALE_FORM, EditConflict
from referrals.models import Referral
from staff.roles import Role
from supervision.models import SupervisionSession
from supervision.services import session_record
from tests.factories import (
    UserFactory,
    log_encounter,
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_supervisor(program):
    return UserFactory(username="super_b", first_name="Alex", last_name="Rivera", program=program, role=Role.SUPERVISOR)


def _session(supervisor, coach):
    return session_record(
        actor=Actor(supervisor, None),
        coach=coach,
        fields={"held_on": timezone.localdate(), "minutes": 60, "status": "held", "notes": "", "notes_for_coach": ""},
        cases=[],
        action_items=[],
        agenda_done=[],
        actions_done=[],
    )


# What each kind of record is, how to make one, and a field of its form that both tabs change.
RECORDS: dict[str, tuple[Callable, str, str]] = {
    "encounter": (lambda f: log_encounter(f["coach"], [f["patient"]]), "summary", "What happened"),
    "patient": (lambda f: f["patient"], "phone", "Phone"),
    "referral": (lambda f: record_referral(f["supervisor"], f["patient"]), "outcome", "Outcome"),
    "session": (lambda f: _session(f["supervisor"], f["coach"]), "notes", "Notes for supervisors"),
    "cps report": (lambda f: record_cps_report(f["supervisor"], f["patient"]), "follow_up", "Follow up"),
    "communication": (lambda f: record_communication(f["supervisor"], f["patient"]), "response", "How she responded"),
}


@dataclass(frozen=True)
class Tabs:
    """Who has the record open in each tab, and on which page."""

    record: str
    first: tuple[str, str]
    second: tuple[str, str]
    names_first: str  # how the refusal names whoever saved first

    def __str__(self) -> str:
        return f"{self.first[1]}-then-{self.second[1]}-{'same' if self.first[0] == self.second[0] else 'two people'}"


ENCOUNTER, CONTACT, PATIENT = "coaching:encounter_edit", "patients:contact", "patients:edit"
REFERRAL, SESSION = "referrals:referral_edit", "supervision:session_edit"
CPS_REPORT, COMMUNICATION = "referrals:cps_report_edit", "referrals:communication_edit"
CASES = [
    Tabs("encounter", ("coach", ENCOUNTER), ("coach", ENCOUNTER), "You, in another tab"),
    Tabs("patient", ("coach", CONTACT), ("coach", CONTACT), "You, in another tab"),
    Tabs("patient", ("coach", CONTACT), ("supervisor", PATIENT), "Mara Quill"),
    Tabs("patient", ("supervisor", PATIENT), ("coach", CONTACT), "Iris Vance"),
    Tabs("referral", ("supervisor", REFERRAL), ("supervisor", REFERRAL), "You, in another tab"),
    Tabs("referral", ("supervisor", REFERRAL), ("second_supervisor", REFERRAL), "Iris Vance"),
    Tabs("session", ("supervisor", SESSION), ("supervisor", SESSION), "You, in another tab"),
    Tabs("session", ("supervisor", SESSION), ("second_supervisor", SESSION), "Iris Vance"),
    Tabs("cps report", ("supervisor", CPS_REPORT), ("second_supervisor", CPS_REPORT), "Iris Vance"),
    Tabs("communication", ("supervisor", COMMUNICATION), ("second_supervisor", COMMUNICATION), "Iris Vance"),
]


def _as_posted(form) -> dict:
    """What the browser sends back for a form as the page shows it (its values, or what she typed)."""
    data = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        if value is True:
            data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [getattr(item, "pk", item) for item in value]
        else:
            data[field.html_name] = value
    return data


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _open(client: Client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return _as_posted(response.context["form"])


@pytest.fixture
def people(coach, supervisor, second_supervisor, patient):
    return {"coach": coach, "supervisor": supervisor, "second_supervisor": second_supervisor, "patient": patient}


@pytest.mark.parametrize("tabs", CASES, ids=str)
def test_the_second_save_is_refused_with_what_changed_and_nobody_loses_her_text(people, tabs):
    make, field, label = RECORDS[tabs.record]
    record = make(people)
    (first_user, first_url), (second_user, second_url) = tabs.first, tabs.second
    first, second = _client(people[first_user]), _client(people[second_user])
    first_tab = _open(first, reverse(first_url, args=[record.pk]))
    second_tab = _open(second, reverse(second_url, args=[record.pk]))

    first_tab[field] = "603-555-0101" if field == "phone" else "What the first tab says."
    assert first.post(reverse(first_url, args=[record.pk]), first_tab).status_code == 302
    second_tab[field] = "603-555-0202" if field == "phone" else "What the second tab says."
    refused = second.post(reverse(second_url, args=[record.pk]), second_tab)

    assert refused.status_code == 200
    page = refused.content.decode()
    assert tabs.names_first in page
    assert f"{label} is now “{first_tab[field]}”" in page
    assert second_tab[field] in page  # her text, still in the form
    record.refresh_from_db()
    assert getattr(record, field) == first_tab[field]

    # She has read what changed; saving again keeps her words (and the history keeps the first tab's).
    again = _as_posted(refused.context["form"])
    assert again["version"] == str(record.version)
    assert second.post(reverse(second_url, args=[record.pk]), again).status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == second_tab[field]


def test_a_change_to_fields_her_form_does_not_show_lets_her_save(client_for, coach, supervisor, patient):
    # Her status changed while the coach was editing contact details: nothing she sees was changed.
    url = reverse("patients:contact", args=[patient.pk])
    client = client_for(coach)
    tab = _open(client, url)
    patient_change_status(
        actor=Actor(supervisor, None), patient=patient, status="on_hold", changed_on=timezone.localdate(), reason="x"
    )
    tab["safe_contact_notes"] = "Only after 6 pm."
    assert client.post(url, tab).status_code == 302
    patient.refresh_from_db()
    assert (patient.safe_contact_notes, patient.status) == ("Only after 6 pm.", "on_hold")


def test_a_refused_encounter_change_sent_by_htmx_shows_the_message_in_the_form(client_for, coach, patient):
    encounter = log_encounter(coach, [patient])
    url = reverse("coaching:encounter_edit", args=[encounter.pk])
    client = client_for(coach)
    first, second = _open(client, url), _open(client, url)
    first["place"] = "The library"
    assert client.post(url, first, headers={"HX-Request": "true"}).status_code == 200  # a client-side redirect
    second["place"] = "The park"
    response = client.post(url, second, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert "Place is now “The library”" in page
    assert 'value="The park"' in page
    encounter.refresh_from_db()
    assert encounter.place == "The library"


@pytest.mark.parametrize("version", [None, "", "abc", "-1", "0", "9" * 30, "1\x00"])
def test_a_missing_or_garbled_version_is_a_clear_message_and_saves_nothing(client_for, coach, patient, version):
    url = reverse("patients:contact", args=[patient.pk])
    client = client_for(coach)
    tab = _open(client, url)
    tab["phone"] = "603-555-0303"
    if version is None:
        del tab["version"]
    else:
        tab["version"] = version
    response = client.post(url, tab)
    assert response.status_code == 200
    assert STALE_FORM in response.content.decode()
    patient.refresh_from_db()
    assert patient.phone != "603-555-0303"
    # The form now carries the record's version: after checking, her save goes through.
    assert client.post(url, _as_posted(response.context["form"])).status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "603-555-0303"


def test_a_version_the_history_does_not_know_refuses_every_field_she_would_change(client_for, coach, patient):
    encounter = log_encounter(coach, [patient], summary="Talked about her week.", place="Coffee shop")
    url = reverse("coaching:encounter_edit", args=[encounter.pk])
    client = client_for(coach)
    tab = _open(client, url)
    tab["version"] = "77"
    tab["summary"] = "Forged."
    page = client.post(url, tab).content.decode()
    assert "What happened is now “Talked about her week.”" in page
    assert "Place is now" not in page  # what she sends back unchanged is no conflict
    encounter.refresh_from_db()
    assert encounter.summary != "Forged."


# The database moves the version on, whoever writes: raw SQL and bulk updates count too.

TABLES = [
    (Encounter, "place"),
    (Concern, "description"),
    (Patient, "safe_contact_notes"),
    (SupervisionSession, "notes"),
    (Referral, "outcome"),
]


@pytest.mark.parametrize(("model", "column"), TABLES, ids=[model.__name__ for model, _ in TABLES])
def test_raw_sql_moves_the_version_on_and_an_update_that_changes_nothing_keeps_it(people, model, column):
    record = {
        Encounter: lambda: log_encounter(people["coach"], [people["patient"]]),
        Concern: lambda: share_concern(people["coach"], people["patient"]),
        Patient: lambda: people["patient"],
        SupervisionSession: lambda: _session(people["supervisor"], people["coach"]),
        Referral: lambda: record_referral(people["supervisor"], people["patient"]),
    }[model]()
    table = model._meta.db_table
    start = model.objects.get(pk=record.pk).version
    with connection.cursor() as cursor:
        # Whatever version the UPDATE writes itself is not taken.
        changed = f'UPDATE "{table}" SET "{column}" = "{column}" || %s, version = 1 WHERE id = %s'  # noqa: S608
        unchanged = f'UPDATE "{table}" SET "{column}" = "{column}" WHERE id = %s'  # noqa: S608 (model metadata)
        cursor.execute(changed, ["!", record.pk])
        cursor.execute(unchanged, [record.pk])
    assert model.objects.get(pk=record.pk).version == start + 1
    model.objects.filter(pk=record.pk).update(**{column: "bulk"})
    assert model.objects.get(pk=record.pk).version == start + 2


@pytest.mark.parametrize(
    ("record", "who", "url"),
    [
        ("encounter", "coach", ENCOUNTER),
        ("patient", "coach", CONTACT),
        ("referral", "supervisor", REFERRAL),
        ("session", "supervisor", SESSION),
    ],
)
def test_edit_pages_ask_the_database_as_often_after_many_changes(people, record, who, url):
    make, field, _label = RECORDS[record]
    record = make(people)
    client = _client(people[who])
    address = reverse(url, args=[record.pk])
    with CaptureQueriesContext(connection) as fresh:
        client.get(address)
    for n in range(3):
        tab = _open(client, address)
        tab[field] = f"603-555-010{n}" if field == "phone" else f"Change {n}"
        assert client.post(address, tab).status_code == 302
    with CaptureQueriesContext(connection) as edited:
        client.get(address)
    assert len(edited) == len(fresh)


# Concerns: what was done to one is checked against its state. Closed while she was writing, it refuses her note
# or her closing, says who closed it, and keeps her text on the page.


def _close_data(reason, note):
    return {"reason": reason, "note_to_coach": note}


def test_a_second_supervisor_closing_a_concern_already_closed_is_refused_and_keeps_her_closing_note(
    coach, patient, supervisor, second_supervisor
):
    concern = share_concern(coach, patient)
    detail = reverse("coaching:concern_detail", args=[concern.pk])
    close = reverse("coaching:concern_close", args=[concern.pk])
    iris, alex = _client(supervisor), _client(second_supervisor)
    assert iris.get(detail).status_code == alex.get(detail).status_code == 200

    assert iris.post(close, _close_data("Talked with her", "Call me anytime.")).status_code == 302
    refused = alex.post(close, _close_data("Referred her", "I found her a bed at Granite House."))

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "This concern is already closed: Iris Vance closed it" in page
    assert "Status is now Closed (“Talked with her”)" in page
    assert "I found her a bed at Granite House." in page
    assert "Concern closed." not in page
    concern.refresh_from_db()
    assert (concern.closed_by, concern.close_reason) == (supervisor, "Talked with her")
    assert list(ConcernNote.objects.values_list("text", flat=True)) == ["Call me anytime."]


def test_a_note_to_a_concern_closed_meanwhile_is_refused_and_her_note_stays_on_the_page(
    coach, patient, supervisor, second_supervisor
):
    concern = share_concern(coach, patient)
    alex = _client(second_supervisor)
    assert alex.get(reverse("coaching:concern_detail", args=[concern.pk])).status_code == 200
    coaching_services.concern_close(actor=Actor(supervisor, None), concern=concern, reason="Talked with her")

    refused = alex.post(reverse("coaching:concern_note", args=[concern.pk]), {"text": "Please check on her Friday."})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Iris Vance closed it" in page
    assert "Please check on her Friday." in page
    assert not ConcernNote.objects.exists()


def test_closing_in_two_tabs_of_her_own_says_she_closed_it(coach, patient, supervisor):
    concern = share_concern(coach, patient)
    close = reverse("coaching:concern_close", args=[concern.pk])
    one, two = _client(supervisor), _client(supervisor)
    assert one.post(close, _close_data("Talked with her", "")).status_code == 302
    page = two.post(close, _close_data("Again", "Second words")).content.decode()
    assert "you, in another tab or window, closed it" in page
    assert "Second words" in page


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_closing_at_the_same_moment_close_it_once(coach, patient, supervisor, second_supervisor):
    concern = share_concern(coach, patient)
    ready = threading.Barrier(2, timeout=30)
    results: dict[str, str] = {}

    def close(user, reason):
        try:
            ready.wait()
            with transaction.atomic():
                coaching_services.concern_close(
                    actor=Actor(user, None), concern=concern, reason=reason, note_to_coach=f"Note from {reason}"
                )
            results[reason] = "closed"
        except EditConflict as error:
            results[reason] = error.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=close, args=(supervisor, "first")),
        threading.Thread(target=close, args=(second_supervisor, "second")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["first", "second"]
    assert list(results.values()).count("closed") == 1
    refused = next(result for result in results.values() if result != "closed")
    assert refused.startswith("This concern is already closed")
    concern.refresh_from_db()
    assert concern.status == ConcernStatus.CLOSED
    winner = next(reason for reason, result in results.items() if result == "closed")
    assert concern.close_reason == winner
    assert list(ConcernNote.objects.values_list("text", flat=True)) == [f"Note from {winner}"]


def test_the_session_page_offers_the_correction_to_supervisors_only(client_for, coach, supervisor):
    session = _session(supervisor, coach)
    edit = reverse("supervision:session_edit", args=[session.pk])
    assert edit in client_for(supervisor).get(reverse("supervision:session", args=[session.pk])).content.decode()
    assert edit not in client_for(coach).get(reverse("supervision:session", args=[session.pk])).content.decode()
    assert client_for(coach).get(edit).status_code == 404


def test_a_session_of_another_program_is_out_of_reach(client_for, coach, supervisor, outside_supervisor):
    session = _session(supervisor, coach)
    assert client_for(outside_supervisor).get(reverse("supervision:session_edit", args=[session.pk])).status_code == 404


def test_correcting_a_session_needs_a_login(client, coach, supervisor):
    session = _session(supervisor, coach)
    response = client.get(reverse("supervision:session_edit", args=[session.pk]))
    assert response.status_code == 302
    assert "login" in response.url


def test_a_session_date_in_the_future_is_refused(client_for, coach, supervisor):
    session = _session(supervisor, coach)
    url = reverse("supervision:session_edit", args=[session.pk])
    client = client_for(supervisor)
    tab = _open(client, url)
    tab["held_on"] = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert "cannot be recorded for a future date" in client.post(url, tab).content.decode()
