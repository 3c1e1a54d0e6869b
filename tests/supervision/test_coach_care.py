"""Supervision of the coach herself: debriefs, private check-ins, boundary questions, dual relationships and her
hours outside office hours, each from every role's side."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, ProgrammingError, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.services import concern_acknowledge, concern_close
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from supervision.hours import outside_hours
from supervision.models import AgendaItem, AgendaKind, Debrief, DualRelationship, SupervisionSession
from supervision.services import agenda_item_add, dual_relationship_declare
from tests.factories import (
    PatientFactory,
    UserFactory,
    log_encounter,
    on_caseload_of,
    record_cps_report,
    share_concern,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate

CHECK_IN = "I have been sleeping badly since the report, and I missed my home group."


@pytest.fixture
def check_in(coach, supervised):
    return agenda_item_add(actor=Actor(coach, None), text=CHECK_IN, kind=AgendaKind.CHECK_IN)


@pytest.fixture
def other_supervisor(backup_supervisor):
    """A supervisor of the same program who does not supervise the coach."""
    return backup_supervisor


def _queue(client, coach):
    return client.get(reverse("supervision:queue", args=[coach.pk]))


# --- Private check-in -------------------------------------------------------------------------------------------


def test_the_coach_adds_a_private_check_in_to_her_own_agenda(client_for, coach, supervised):
    client = client_for(coach)
    page = client.get(reverse("supervision:check_in_add")).content.decode()
    assert "How are you doing?" in page
    response = client.post(reverse("supervision:check_in_add"), {"text": CHECK_IN})
    assert response.status_code == 302
    item = AgendaItem.objects.get()
    assert (item.kind, item.patient, item.coach) == (AgendaKind.CHECK_IN, None, coach)
    assert CHECK_IN in _queue(client, coach).content.decode()


def test_her_supervisor_reads_her_check_in_in_the_queue_and_the_read_is_logged(client_for, coach, supervisor, check_in):
    response = _queue(client_for(supervisor), coach)
    assert CHECK_IN in response.content.decode()
    assert check_in in response.context["queue"].agenda
    assert AccessLog.objects.filter(
        user=supervisor, action=AccessAction.VIEW, record_type="private check-in", record_id=str(check_in.pk)
    ).exists()


def test_another_supervisor_of_the_program_opens_her_queue_without_the_check_in(
    client_for, coach, other_supervisor, check_in
):
    response = _queue(client_for(other_supervisor), coach)
    assert response.status_code == 200
    assert CHECK_IN not in response.content.decode()
    assert check_in not in response.context["queue"].agenda
    assert not AccessLog.objects.filter(user=other_supervisor, record_type="private check-in").exists()


def test_another_supervisor_recording_her_session_is_not_offered_the_check_in(
    client_for, coach, other_supervisor, check_in
):
    response = client_for(other_supervisor).get(reverse("supervision:session_new", args=[coach.pk]))
    assert check_in not in response.context["form"].fields["agenda_done"].queryset
    assert CHECK_IN not in response.content.decode()


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_no_one_else_reaches_her_check_in(request, client_for, coach, check_in, who):
    assert _queue(client_for(request.getfixturevalue(who)), coach).status_code == 404


def test_a_supervisor_whose_link_ended_no_longer_reads_it(client_for, coach, supervisor, other_supervisor, check_in):
    from supervision.services import supervision_assign

    supervision_assign(actor=Actor(supervisor, None), coach=coach, supervisor=other_supervisor, started_on=TODAY())
    assert CHECK_IN not in _queue(client_for(supervisor), coach).content.decode()
    assert CHECK_IN in _queue(client_for(other_supervisor), coach).content.decode()


def test_her_supervisor_marks_the_check_in_discussed_in_the_session(client_for, coach, supervisor, check_in):
    response = client_for(supervisor).post(
        reverse("supervision:session_new", args=[coach.pk]),
        {
            "held_on": TODAY().isoformat(),
            "minutes": "45",
            "status": "held",
            "agenda_done": [check_in.pk],
            "case-TOTAL_FORMS": "0",
            "case-INITIAL_FORMS": "0",
            "action-TOTAL_FORMS": "0",
            "action-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    check_in.refresh_from_db()
    assert check_in.discussed_in == SupervisionSession.objects.get()
    # Kept, with its history, after it was discussed.
    assert check_in.events.count() == 2


def test_a_check_in_names_no_patient_and_is_never_deleted(coach, patient, check_in):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.filter(pk=check_in.pk).update(patient=patient)
    with pytest.raises(ProgrammingError), transaction.atomic():
        AgendaItem.objects.filter(pk=check_in.pk).delete()


def test_a_check_in_is_in_no_export(client_for, supervisor, patient, check_in):
    response = client_for(supervisor).get(reverse("patients:export"))
    assert response.status_code == 200
    assert CHECK_IN.encode() not in response.content


# --- Boundary question ------------------------------------------------------------------------------------------


def test_the_coach_raises_a_boundary_question_without_naming_anyone(client_for, coach, supervised):
    client = client_for(coach)
    page = client.get(reverse("supervision:boundary_question_add")).content.decode()
    assert "You do not need to name anyone" in page
    client.post(
        reverse("supervision:boundary_question_add"),
        {"boundary_topic": "rides", "text": "She asked me for a ride to her court date."},
    )
    item = AgendaItem.objects.get()
    assert (item.kind, item.boundary_topic, item.patient) == (AgendaKind.BOUNDARY, "rides", None)


def test_a_supervisor_records_the_answer_and_the_coach_sees_it(client_for, coach, supervisor, supervised):
    item = agenda_item_add(
        actor=Actor(coach, None),
        text="Can I accept a thank-you card?",
        kind=AgendaKind.BOUNDARY,
        boundary_topic="gifts",
    )
    queue_page = _queue(client_for(supervisor), coach).content.decode()
    assert reverse("supervision:boundary_answer", args=[item.pk]) in queue_page
    client_for(supervisor).post(
        reverse("supervision:boundary_answer", args=[item.pk]), {"answer": "A card, yes; gifts with value, no."}
    )
    item.refresh_from_db()
    assert (item.answer, item.answered_by) == ("A card, yes; gifts with value, no.", supervisor)
    assert "A card, yes; gifts with value, no." in _queue(client_for(coach), coach).content.decode()


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_only_supervisors_of_her_program_answer_a_boundary_question(request, client_for, coach, supervised, who):
    item = agenda_item_add(actor=Actor(coach, None), text="A friend request?", kind=AgendaKind.BOUNDARY)
    response = client_for(request.getfixturevalue(who)).post(
        reverse("supervision:boundary_answer", args=[item.pk]), {"answer": "No."}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.answer == ""


def test_another_supervisor_of_the_program_answers_a_boundary_question(client_for, coach, other_supervisor, supervised):
    item = agenda_item_add(actor=Actor(coach, None), text="A friend request?", kind=AgendaKind.BOUNDARY)
    client_for(other_supervisor).post(reverse("supervision:boundary_answer", args=[item.pk]), {"answer": "No."})
    item.refresh_from_db()
    assert item.answer == "No."


# --- Debrief ----------------------------------------------------------------------------------------------------


def _closed_urgent_concern(coach, supervisor, patient):
    concern = share_concern(coach, patient, urgency="urgent_now")
    concern = concern_acknowledge(actor=Actor(supervisor, None), concern=concern)
    return concern_close(actor=Actor(supervisor, None), concern=concern, reason="Safe at her mother's.")


def _past_session(coach, supervisor, days_ago):
    return SupervisionSession.objects.create(
        coach=coach, supervisor=supervisor, held_on=TODAY() - datetime.timedelta(days=days_ago)
    )


def test_an_urgent_concern_closed_since_her_last_session_comes_back_as_a_debrief(
    client_for, coach, supervisor, supervised, patient
):
    _past_session(coach, supervisor, 7)
    concern = _closed_urgent_concern(coach, supervisor, patient)
    response = _queue(client_for(supervisor), coach)
    queue = response.context["queue"]
    assert [(e.kind, e.record_id) for e in queue.debriefs] == [("urgent_concern", concern.pk)]
    # Nothing else is open, and the queue still has her debrief.
    assert queue.concerns == []
    assert not queue.is_empty
    assert "Debrief" in response.content.decode()
    assert queue.debriefs == _queue(client_for(coach), coach).context["queue"].debriefs


def test_a_cps_report_about_a_woman_on_her_caseload_comes_back_as_a_debrief(
    client_for, coach, supervisor, supervised, patient
):
    _past_session(coach, supervisor, 7)
    report = record_cps_report(supervisor, patient)
    queue = _queue(client_for(supervisor), coach).context["queue"]
    assert [(e.kind, e.record_id) for e in queue.debriefs] == [("cps_report", report.pk)]
    # The coach is asked how she is, not told what was reported.
    coach_page = _queue(client_for(coach), coach).content.decode()
    assert "child protective services" not in coach_page
    assert report.what_was_reported not in coach_page


def test_events_before_her_last_session_and_routine_concerns_are_no_debrief(
    client_for, coach, supervisor, supervised, patient
):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=10), tick=False):
        _closed_urgent_concern(coach, supervisor, patient)
    _past_session(coach, supervisor, 3)
    routine = share_concern(coach, patient, urgency="routine")
    concern_close(
        actor=Actor(supervisor, None),
        concern=concern_acknowledge(actor=Actor(supervisor, None), concern=routine),
        reason="Done",
    )
    assert _queue(client_for(supervisor), coach).context["queue"].debriefs == []


def test_the_supervisor_marks_a_debrief_discussed_with_the_session(client_for, coach, supervisor, supervised, patient):
    concern = _closed_urgent_concern(coach, supervisor, patient)
    client = client_for(supervisor)
    form = client.get(reverse("supervision:session_new", args=[coach.pk])).context["form"]
    key = f"urgent_concern:{concern.pk}"
    assert key in dict(form.fields["debriefs_done"].choices)
    response = client.post(
        reverse("supervision:session_new", args=[coach.pk]),
        {
            "held_on": TODAY().isoformat(),
            "minutes": "60",
            "status": "held",
            "debriefs_done": [key],
            "case-TOTAL_FORMS": "0",
            "case-INITIAL_FORMS": "0",
            "action-TOTAL_FORMS": "0",
            "action-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    debrief = Debrief.objects.get()
    assert (debrief.kind, debrief.record_id, debrief.session) == (
        "urgent_concern",
        concern.pk,
        SupervisionSession.objects.get(),
    )
    assert _queue(client, coach).context["queue"].debriefs == []


def test_the_queue_runs_the_same_queries_however_many_debriefs_and_check_ins(
    client_for, coach, supervisor, supervised, patient, django_assert_max_num_queries
):
    for _ in range(6):
        p = PatientFactory(program=coach.program, clinical_provider=supervisor)
        on_caseload_of(p, coach)
        _closed_urgent_concern(coach, supervisor, p)
        record_cps_report(supervisor, p)
        agenda_item_add(actor=Actor(coach, None), text="Tired.", kind=AgendaKind.CHECK_IN)
        dual_relationship_declare(actor=Actor(coach, None), patient=p, kind="neighbourhood")
    client = client_for(supervisor)
    with django_assert_max_num_queries(32):
        response = _queue(client, coach)
    assert len(response.context["queue"].debriefs) == 12


# --- Dual relationship ------------------------------------------------------------------------------------------


def test_the_coach_declares_and_sees_her_supervisors_decision(client_for, coach, supervisor, supervised, patient):
    client = client_for(coach)
    client.post(reverse("supervision:dual_relationship_add"), {"patient": patient.pk, "kind": "home_group"})
    declaration = DualRelationship.objects.get()
    assert (declaration.coach, declaration.patient, declaration.is_pending) == (coach, patient, True)

    queue = _queue(client_for(supervisor), coach).context["queue"]
    assert queue.dual_relationships == [declaration]
    url = reverse("supervision:dual_relationship_decide", args=[declaration.pk])
    client_for(supervisor).post(url, {"decision": "keep", "notes": "", "version": declaration.version})
    declaration.refresh_from_db()
    assert declaration.is_pending  # keeping her needs the safeguards written down
    client_for(supervisor).post(
        url, {"decision": "keep", "notes": "Sit apart at meetings; no rides.", "version": declaration.version}
    )
    declaration.refresh_from_db()
    assert (declaration.decision, declaration.decided_by) == ("keep", supervisor)
    assert _queue(client_for(supervisor), coach).context["queue"].dual_relationships == []

    page = _queue(client_for(coach), coach).content.decode()
    assert "Keep her with this coach, with safeguards" in page
    assert "Sit apart at meetings; no rides." in page


def test_a_coach_declares_only_about_her_own_caseload(client_for, coach, other_patient, supervised):
    response = client_for(coach).post(
        reverse("supervision:dual_relationship_add"), {"patient": other_patient.pk, "kind": "using"}
    )
    assert response.status_code == 200
    assert not DualRelationship.objects.exists()


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_only_supervisors_of_her_program_decide(request, client_for, coach, patient, supervised, who):
    declaration = dual_relationship_declare(actor=Actor(coach, None), patient=patient, kind="family_friend")
    client = client_for(request.getfixturevalue(who))
    url = reverse("supervision:dual_relationship_decide", args=[declaration.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "no_concern", "notes": "", "version": 1}).status_code == 404
    declaration.refresh_from_db()
    assert declaration.is_pending


def test_another_supervisor_of_the_program_sees_and_decides(client_for, coach, patient, other_supervisor, supervised):
    declaration = dual_relationship_declare(actor=Actor(coach, None), patient=patient, kind="neighbourhood")
    assert _queue(client_for(other_supervisor), coach).context["queue"].dual_relationships == [declaration]
    url = reverse("supervision:dual_relationship_decide", args=[declaration.pk])
    client_for(other_supervisor).post(url, {"decision": "no_concern", "notes": "", "version": declaration.version})
    declaration.refresh_from_db()
    assert declaration.decision == "no_concern"


def test_after_a_reassignment_she_sees_the_decision_without_the_name(
    client_for, coach, other_coach, supervisor, patient, supervised
):
    from supervision.services import dual_relationship_decide

    declaration = dual_relationship_declare(actor=Actor(coach, None), patient=patient, kind="using")
    dual_relationship_decide(
        actor=Actor(supervisor, None), declaration=declaration, decision="reassign", notes="Another coach."
    )
    on_caseload_of(patient, other_coach, started_on=TODAY())
    page = _queue(client_for(coach), coach).content.decode()
    assert "Give her another coach" in page
    assert "A woman no longer on your caseload" in page
    assert patient.display_name not in page


def test_the_assign_page_prompts_the_supervisor_to_ask_about_dual_relationships(client_for, supervisor, patient):
    page = client_for(supervisor).get(reverse("patients:assign", args=[patient.pk])).content.decode()
    assert "knows her outside the program" in page


# --- Hours outside office hours ---------------------------------------------------------------------------------

# Wednesday 2027-03-10 in New York (office hours 9 to 5, Monday to Friday).
WEDNESDAY = datetime.datetime(2027, 3, 10, 12, 0, tzinfo=datetime.UTC)


def _at(day: datetime.date, hour: int, minute: int, program) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=program.zone)


def test_after_hours_and_weekend_hours_over_four_weeks(coach, patient):
    program = coach.program
    with time_machine.travel(WEDNESDAY, tick=False):
        tuesday, saturday = datetime.date(2027, 3, 9), datetime.date(2027, 3, 6)
        log_encounter(coach, [patient], occurred_at=_at(tuesday, 16, 0, program), duration_minutes=120)  # 1 h after
        log_encounter(coach, [patient], occurred_at=_at(tuesday, 8, 30, program), duration_minutes=60)  # 30 min
        log_encounter(coach, [patient], occurred_at=_at(saturday, 10, 0, program), duration_minutes=90)  # weekend
        log_encounter(coach, [patient], occurred_at=_at(tuesday, 11, 0, program), duration_minutes=60)  # office
        hours = outside_hours([coach], timezone.now())[coach.pk]
    assert (hours.after_hours_minutes, hours.weekend_minutes) == (90, 90)


def test_encounters_older_than_four_weeks_do_not_count(coach, patient):
    program = coach.program
    with time_machine.travel(WEDNESDAY, tick=False):
        old = datetime.date(2027, 2, 6)  # a Saturday five weeks back
        log_encounter(coach, [patient], occurred_at=_at(old, 10, 0, program), duration_minutes=60)
        assert outside_hours([coach], timezone.now())[coach.pk].weekend_minutes == 0


def test_her_supervisor_and_she_herself_see_her_hours(client_for, coach, supervisor, supervised, patient):
    with time_machine.travel(WEDNESDAY, tick=False):
        log_encounter(
            coach, [patient], occurred_at=_at(datetime.date(2027, 3, 6), 10, 0, coach.program), duration_minutes=120
        )
        assert "2.0 h at weekends" in client_for(supervisor).get(reverse("supervision:queues")).content.decode()
        assert "2.0 h</strong> at weekends" in _queue(client_for(coach), coach).content.decode()


def test_the_supervisors_list_runs_the_same_queries_however_many_coaches(
    client_for, program, supervisor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision.services import supervision_assign

    def count_queries():
        client = client_for(supervisor)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("supervision:queues"))
        return len(queries), len(response.context["rows"])

    def add_coaches(first, last):
        for n in range(first, last):
            coach = UserFactory(username=f"coach_{n}", program=program, role="coach")
            supervision_assign(actor=Actor(supervisor, None), coach=coach, supervisor=supervisor, started_on=TODAY())
            woman = PatientFactory(program=program)
            on_caseload_of(woman, coach)
            log_encounter(coach, [woman])

    add_coaches(0, 1)
    one, _ = count_queries()
    add_coaches(1, 9)
    many, shown = count_queries()
    assert (many, shown) == (one, 9)
    client = client_for(supervisor)
    with django_assert_max_num_queries(14):
        client.get(reverse("supervision:queues"))
