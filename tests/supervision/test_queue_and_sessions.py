"""The weekly case queue, supervision sessions and the twelve weeks."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.services import patient_change_status
from recovery_program.audit import Actor
from recovery_program.models import OutboundMessage
from supervision.models import ActionItem, AgendaItem, MissedSessionNotice, SupervisionSession
from supervision.services import missed_session_notices_send
from tests.factories import PatientFactory, log_encounter, on_caseload_of, send_outbox, share_concern

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def full_queue(coach, supervisor, supervised, patient):
    """One line of each kind for `coach`."""
    program = coach.program

    def on_caseload(**fields):
        p = PatientFactory(program=program, clinical_provider=supervisor, **fields)
        on_caseload_of(p, coach)
        return p

    quiet = on_caseload(legal_name="Quiet Q")  # no encounter at all
    log_encounter(coach, [patient])  # `patient` was seen today: not "no contact"
    gone = on_caseload(legal_name="Gone G")
    patient_change_status(
        actor=Actor(supervisor, None),
        patient=gone,
        status="disconnected",
        changed_on=TODAY() - datetime.timedelta(days=10),
        reason="No contact",
    )
    log_encounter(coach, [gone], kind="outreach", summary="Left a voicemail")
    due = on_caseload(legal_name="Due D", due_date=TODAY() + datetime.timedelta(days=12))
    log_encounter(coach, [due])
    concern = share_concern(coach, patient, urgency="within_24h")
    agenda = AgendaItem.objects.create(coach=coach, text="How do I say no to a ride request?")
    session = SupervisionSession.objects.create(
        coach=coach, supervisor=supervisor, held_on=TODAY() - datetime.timedelta(days=7)
    )
    action = ActionItem.objects.create(
        session=session, what="Call the WIC office", owner=coach, due_on=TODAY() + datetime.timedelta(days=2)
    )
    return {"quiet": quiet, "gone": gone, "due": due, "concern": concern, "agenda": agenda, "action": action}


def test_attempts_to_reconnect_count_from_the_start_of_her_disconnection_day_in_the_programs_zone(
    client_for, supervisor, coach, supervised
):
    new_york = datetime.timezone(datetime.timedelta(hours=-5))  # November: Eastern Standard Time
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=new_york), tick=False):
        gone = PatientFactory(program=coach.program, clinical_provider=supervisor, legal_name="Gone G")
        on_caseload_of(gone, coach)
        patient_change_status(
            actor=Actor(supervisor, None),
            patient=gone,
            status="disconnected",
            changed_on=datetime.date(2026, 11, 18),
            reason="No contact",
        )
        # The evening before (already the 18th in UTC) is not an attempt since; just after midnight is.
        for hour, day in ((23, 17), (0, 18)):
            when = datetime.datetime(2026, 11, day, hour, 30, tzinfo=new_york)
            log_encounter(coach, [gone], kind="outreach", summary="Left a voicemail", occurred_at=when)

        queue = client_for(supervisor).get(reverse("supervision:queue", args=[coach.pk])).context["queue"]

    assert [(p.legal_name, p.reconnect_attempts) for p in queue.disconnected] == [("Gone G", 1)]


def test_the_queue_has_one_line_of_each_kind_each_linking_to_its_record(client_for, supervisor, coach, full_queue):
    response = client_for(supervisor).get(reverse("supervision:queue", args=[coach.pk]))
    queue = response.context["queue"]
    assert queue.concerns == [full_queue["concern"]]
    assert [p.legal_name for p in queue.no_contact] == ["Quiet Q"]
    assert [(p.legal_name, p.reconnect_attempts) for p in queue.disconnected] == [("Gone G", 1)]
    assert [p.legal_name for p in queue.pregnancy] == ["Due D"]
    assert queue.agenda == [full_queue["agenda"]]
    assert queue.action_items == [full_queue["action"]]
    page = response.content.decode()
    for url in (
        reverse("coaching:concern_detail", args=[full_queue["concern"].pk]),
        reverse("patients:detail", args=[full_queue["quiet"].pk]),
        reverse("patients:detail", args=[full_queue["gone"].pk]),
        reverse("supervision:session", args=[full_queue["action"].session_id]),
    ):
        assert url in page


def test_the_coach_sees_her_own_agenda(client_for, coach, full_queue):
    response = client_for(coach).get(reverse("supervision:queues"), follow=True)
    assert response.context["queue"].agenda == [full_queue["agenda"]]
    assert "My supervision agenda" in response.content.decode()


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_no_one_else_opens_her_queue(request, client_for, coach, full_queue, who):
    response = client_for(request.getfixturevalue(who)).get(reverse("supervision:queue", args=[coach.pk]))
    assert response.status_code == 404


def test_the_queue_runs_the_same_queries_however_big_the_caseload(
    client_for, supervisor, coach, full_queue, django_assert_max_num_queries
):
    for _ in range(15):
        on_caseload_of(PatientFactory(program=coach.program, clinical_provider=supervisor), coach)
    client = client_for(supervisor)
    # With her debriefs, check-ins, declarations and hours outside office hours: each a query or two, whatever the size.
    with django_assert_max_num_queries(28):
        client.get(reverse("supervision:queue", args=[coach.pk]))


def test_a_coach_adds_a_boundary_question_to_her_agenda(client_for, coach):
    client_for(coach).post(reverse("supervision:agenda_add"), {"text": "She asked me to babysit."})
    assert AgendaItem.objects.get().coach == coach


def _session_data(coach, supervisor, patient, **overrides):
    data = {
        "held_on": TODAY().isoformat(),
        "minutes": "50",
        "status": "held",
        "notes": "Coach tired; watch for burnout.",
        "notes_for_coach": "Great boundary work this week.",
        "case-TOTAL_FORMS": "2",
        "case-INITIAL_FORMS": "0",
        "case-0-patient": patient.pk,
        "case-0-discussion": "Relapse risk discussed.",
        "case-0-decisions": "Supervisor will call her.",
        "case-0-shared_with_coach": "",
        "case-1-patient": patient.pk,
        "case-1-discussion": "Housing plan.",
        "case-1-decisions": "",
        "case-1-shared_with_coach": "on",
        "action-TOTAL_FORMS": "1",
        "action-INITIAL_FORMS": "0",
        "action-0-what": "Bring the shelter list",
        "action-0-owner": coach.pk,
        "action-0-due_on": (TODAY() + datetime.timedelta(days=7)).isoformat(),
    }
    return data | overrides


def test_supervisor_records_a_session_and_the_coach_sees_only_her_parts(
    client_for, client, supervisor, coach, supervised, patient, full_queue
):
    data = _session_data(
        coach, supervisor, patient, agenda_done=[full_queue["agenda"].pk], actions_done=[full_queue["action"].pk]
    )
    response = client_for(supervisor).post(reverse("supervision:session_new", args=[coach.pk]), data)
    session = SupervisionSession.objects.get(held_on=TODAY())
    assert response.url == reverse("supervision:session", args=[session.pk])
    assert session.cases.count() == 2
    full_queue["agenda"].refresh_from_db()
    assert full_queue["agenda"].discussed_in == session
    assert ActionItem.objects.get(pk=full_queue["action"].pk).done_at is not None
    assert ActionItem.objects.filter(session=session, done_at__isnull=True).count() == 1

    client.force_login(coach)
    page = client.get(reverse("supervision:session", args=[session.pk])).content.decode()
    assert "Great boundary work" in page
    assert "Housing plan." in page
    assert "Relapse risk" not in page
    assert "burnout" not in page


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_session_notes_are_for_no_one_else(request, client_for, supervisor, coach, who):
    session = SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=TODAY(), notes="Private")
    response = client_for(request.getfixturevalue(who)).get(reverse("supervision:session", args=[session.pk]))
    assert response.status_code == 404


def test_a_session_in_the_future_is_refused_with_everything_kept(client_for, supervisor, coach, supervised, patient):
    data = _session_data(coach, supervisor, patient, held_on="2999-01-01")
    response = client_for(supervisor).post(reverse("supervision:session_new", args=[coach.pk]), data)
    assert "cannot be recorded for a future date" in response.content.decode()
    assert "Relapse risk discussed." in response.content.decode()
    assert not SupervisionSession.objects.exists()


def test_an_action_item_without_an_owner_is_explained(client_for, supervisor, coach, supervised, patient):
    data = _session_data(coach, supervisor, patient, **{"action-0-owner": ""})
    response = client_for(supervisor).post(reverse("supervision:session_new", args=[coach.pk]), data)
    assert "Say who does it and by when" in response.content.decode()


def test_coaches_cannot_record_sessions(client_for, coach, other_coach):
    assert client_for(coach).get(reverse("supervision:session_new", args=[coach.pk])).status_code == 404


def test_twelve_weeks_show_held_and_missed(client_for, supervisor, coach, supervised):
    monday = TODAY() - datetime.timedelta(days=TODAY().weekday())
    SupervisionSession.objects.create(
        coach=coach, supervisor=supervisor, held_on=monday - datetime.timedelta(weeks=1), status="held"
    )
    SupervisionSession.objects.create(
        coach=coach, supervisor=supervisor, held_on=monday - datetime.timedelta(weeks=2), status="missed"
    )
    rows = client_for(supervisor).get(reverse("supervision:weeks")).context["rows"]
    ((shown, marks),) = rows
    assert shown == coach
    assert marks[-2:] == ["held", "none"]
    assert marks[-3] == "missed"
    assert len(marks) == 12


def test_monday_tells_the_supervisor_once_whose_session_did_not_happen(
    supervisor, coach, other_coach, admin, supervised
):
    from supervision.services import supervision_assign

    supervision_assign(
        actor=Actor(admin, None), coach=other_coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
    )
    monday = datetime.date(2027, 3, 8)
    SupervisionSession.objects.create(coach=other_coach, supervisor=supervisor, held_on=datetime.date(2027, 3, 3))
    with time_machine.travel(datetime.datetime(2027, 3, 8, 13, 0, tzinfo=datetime.UTC), tick=False):
        assert missed_session_notices_send(program=supervisor.program, today=monday) == 1
        assert missed_session_notices_send(program=supervisor.program, today=monday) == 0
        assert send_outbox() == 1
    (message,) = OutboundMessage.objects.all()
    assert message.to == supervisor.email
    assert coach.get_full_name() in message.subject
    assert MissedSessionNotice.objects.get().week_starting == datetime.date(2027, 3, 1)


def test_the_session_form_starts_from_the_queue(client_for, supervisor, coach, full_queue, patient):
    response = client_for(supervisor).get(reverse("supervision:session_new", args=[coach.pk]))
    offered = [form.initial.get("patient") for form in response.context["cases"].forms if form.initial]
    assert offered == [patient.pk, full_queue["quiet"].pk, full_queue["gone"].pk, full_queue["due"].pk]


@pytest.mark.parametrize(
    ("who", "status"),
    [("coach", 302), ("supervisor", 302), ("other_coach", 404), ("admin", 404), ("outside_supervisor", 404)],
)
def test_who_may_tick_off_an_action_item(request, client_for, coach, full_queue, who, status):
    item = full_queue["action"]  # given to the coach
    response = client_for(request.getfixturevalue(who)).post(reverse("supervision:action_item_done", args=[item.pk]))
    assert response.status_code == status
    item.refresh_from_db()
    assert (item.done_at is not None) == (status == 302)


def test_a_ticked_off_item_leaves_the_queue(client_for, supervisor, coach, full_queue):
    client = client_for(supervisor)
    client.post(reverse("supervision:action_item_done", args=[full_queue["action"].pk]))
    assert client.get(reverse("supervision:queue", args=[coach.pk])).context["queue"].action_items == []
