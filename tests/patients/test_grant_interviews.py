"""The grant's interviews: intake, the follow-up in its window, discharge. Dates and status only. Each rule (the
service's and the database's), the status at the window's edges in the program's time zone, and each role's side."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from patients import permissions
from patients.interviews import FollowUpStatus, add_months, follow_up_status, follow_up_window
from patients.models import Episode, GrantInterview, InterviewKind, InterviewOutcome
from patients.services import grant_interview_record
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, noon in New York.
NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 30)
INTAKE = datetime.date(2026, 5, 15)  # window May 15 + 5 months = Oct 15 to Jan 15; six months is Nov 15
DONE, UNREACHABLE = InterviewOutcome.DONE, InterviewOutcome.UNREACHABLE
INTAKE_KIND, FOLLOW_UP, DISCHARGE = InterviewKind.INTAKE, InterviewKind.FOLLOW_UP, InterviewKind.DISCHARGE


@pytest.fixture(autouse=True)
def clock(settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def woman(coach, supervisor):
    """Enrolled in May, on the coach's caseload, her intake interview done on May 15."""
    woman = PatientFactory(
        program=coach.program,
        legal_name="Juniper Hale",
        clinical_provider=supervisor,
        enrollment_date=datetime.date(2026, 5, 14),
    )
    on_caseload_of(woman, coach)
    _record(coach, woman, INTAKE_KIND, INTAKE)
    return woman


def _record(user, patient, kind, dated_on, outcome=DONE, outside_window=False):
    return grant_interview_record(
        actor=Actor(user, None),
        patient=patient,
        kind=kind,
        outcome=outcome,
        dated_on=dated_on,
        outside_window=outside_window,
    )


def _refused(field, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        _record(*args, **kwargs)
    return " ".join(refused.value.message_dict[field]) if field else " ".join(refused.value.messages)


# The rules, in the service.


def test_the_coach_records_the_follow_up_inside_the_window(coach, woman):
    interview = _record(coach, woman, FOLLOW_UP, datetime.date(2026, 11, 2))
    assert (interview.program_id, interview.episode.patient_id, interview.recorded_by) == (
        woman.program_id,
        woman.pk,
        coach,
    )
    assert AccessLog.objects.filter(user=coach, patient=woman, record_type="grant interview").exists()


def test_the_intake_comes_first(coach, patient):
    assert "intake interview first" in _refused("kind", coach, patient, FOLLOW_UP, TODAY)


def test_the_intake_is_recorded_done(coach, patient):
    assert "once it is done" in _refused("outcome", coach, patient, INTAKE_KIND, TODAY, outcome=UNREACHABLE)


def test_one_of_each_kind_per_episode(coach, woman):
    assert "already recorded" in _refused("kind", coach, woman, INTAKE_KIND, TODAY)


def test_no_interview_before_the_intake(coach, woman):
    assert "pick that day or later" in _refused("dated_on", coach, woman, DISCHARGE, INTAKE - datetime.timedelta(1))


def test_no_interview_in_the_future(coach, woman):
    assert _refused("dated_on", coach, woman, DISCHARGE, TODAY + datetime.timedelta(1))


def test_a_follow_up_outside_the_window_says_so(coach, woman):
    early = datetime.date(2026, 10, 14)
    assert "Tick the box" in _refused("outside_window", coach, woman, FOLLOW_UP, early)
    assert _record(coach, woman, FOLLOW_UP, early, outside_window=True).outside_window


def test_a_follow_up_inside_the_window_is_not_marked_outside(coach, woman):
    assert "Untick" in _refused(
        "outside_window", coach, woman, FOLLOW_UP, datetime.date(2026, 10, 15), outside_window=True
    )


def test_only_a_follow_up_done_is_outside_the_window(coach, woman):
    assert _refused("outside_window", coach, woman, DISCHARGE, TODAY, outside_window=True)
    assert _refused("outside_window", coach, woman, FOLLOW_UP, TODAY, outcome=UNREACHABLE, outside_window=True)


def test_not_reached_or_declined_is_recorded_with_its_day(coach, woman):
    interview = _record(coach, woman, FOLLOW_UP, TODAY, outcome=InterviewOutcome.DECLINED)
    assert follow_up_status(woman.program, woman.grant_interviews.get(kind=INTAKE_KIND), interview, TODAY) == (
        FollowUpStatus.DECLINED
    )


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_only_her_coach_or_a_supervisor_records(request, who, woman):
    assert "Only her coach" in _refused(None, request.getfixturevalue(who), woman, DISCHARGE, TODAY)


def test_a_supervisor_records_too(supervisor, woman):
    assert _record(supervisor, woman, DISCHARGE, TODAY).recorded_by == supervisor


# The same rules, held by the database whoever writes.


def _raw(woman, **fields):
    intake = woman.grant_interviews.get(kind=INTAKE_KIND)
    values = {
        "program_id": woman.program_id,
        "patient": woman,
        "episode_id": intake.episode_id,
        "kind": DISCHARGE,
        "dated_on": TODAY,
        "recorded_by_id": intake.recorded_by_id,
    } | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantInterview.objects.create(**values)


def test_the_database_keeps_one_of_each_kind(woman):
    _raw(woman, kind=INTAKE_KIND)


def test_the_database_refuses_an_interview_before_the_intake(woman):
    _raw(woman, dated_on=INTAKE - datetime.timedelta(1))


def test_the_database_refuses_a_follow_up_outside_the_window_unmarked(woman):
    _raw(woman, kind=FOLLOW_UP, dated_on=datetime.date(2026, 10, 14))


def test_the_database_refuses_an_intake_not_done(woman, patient):
    episode = woman.grant_interviews.get().episode
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantInterview.objects.filter(episode=episode).update(outcome=UNREACHABLE)


def test_the_database_refuses_an_outside_mark_on_another_kind(woman):
    _raw(woman, outside_window=True)


def test_the_database_refuses_another_programs_recorder(woman, outside_supervisor):
    _raw(woman, recorded_by_id=outside_supervisor.pk)


def test_an_interview_is_never_deleted_nor_moved(woman, other_patient):
    interview = woman.grant_interviews.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        interview.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        GrantInterview.objects.filter(pk=interview.pk).update(kind=DISCHARGE)
    assert interview.pgh_event_model.objects.filter(pgh_obj=interview).exists()


# The window and the status at its edges, in the program's time zone (Los Angeles, three hours behind the server).


def test_months_end_at_the_end_of_a_shorter_month():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("local", "status"),
    [
        ("2026-06-29 23:30", FollowUpStatus.NOT_YET_DUE),  # already June 30 in New York and UTC
        ("2026-06-30 00:10", FollowUpStatus.DUE),  # Jan 31 + 5 months
        ("2026-07-31 23:50", FollowUpStatus.DUE),  # the six-month day
        ("2026-08-01 00:10", FollowUpStatus.OVERDUE),
        ("2026-09-30 23:50", FollowUpStatus.OVERDUE),  # Jan 31 + 8 months: the last day
        ("2026-10-01 00:10", FollowUpStatus.MISSED),
    ],
)
def test_the_status_turns_at_midnight_in_the_programs_zone(
    client_for, coach, supervisor, program, clock, local, status
):
    program.time_zone = "America/Los_Angeles"
    program.save()
    clock.move_to(datetime.datetime(2026, 2, 2, 12, tzinfo=datetime.UTC))
    woman = PatientFactory(program=program, clinical_provider=supervisor, enrollment_date=datetime.date(2026, 1, 30))
    on_caseload_of(woman, coach)
    _record(coach, woman, INTAKE_KIND, datetime.date(2026, 1, 31))
    from zoneinfo import ZoneInfo

    clock.move_to(datetime.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("America/Los_Angeles")))
    response = client_for(coach).get(reverse("patients:detail", args=[woman.pk]))
    assert response.context["interviews"][0].status == status
    assert str(status.label) in response.content.decode()


def test_the_follow_up_done_is_done_and_outside_is_said(coach, woman):
    intake = woman.grant_interviews.get()
    follow_up = _record(coach, woman, FOLLOW_UP, datetime.date(2026, 10, 1), outside_window=True)
    assert follow_up_status(woman.program, intake, follow_up, TODAY) == FollowUpStatus.DONE_OUTSIDE
    window = follow_up_window(woman.program, INTAKE)
    assert (window.opens, window.target, window.closes) == (
        datetime.date(2026, 10, 15),
        datetime.date(2026, 11, 15),
        datetime.date(2027, 1, 15),
    )


def test_the_discharge_interview_is_due_when_she_is_discharged(client_for, supervisor, woman):
    from patients.services import discharge_reasons_for, patient_discharge

    patient_discharge(
        actor=Actor(supervisor, None),
        patient=woman,
        reason=discharge_reasons_for(woman.program).get(code="moved"),
        ended_on=TODAY,
        summary="Moved.",
    )
    response = client_for(supervisor).get(reverse("patients:detail", args=[woman.pk]))
    assert response.context["interviews"][0].discharge_due
    assert "Due: she was discharged" in response.content.decode()
    due = permissions.interviews_due_for(supervisor)
    assert [(e.patient_id, e.due_kind) for e in due] == [(woman.pk, "discharge")]


# Pages, from each role's side.


def _post(client, woman, **data):
    return client.post(
        reverse("patients:interview_record", args=[woman.pk]),
        {"kind": "follow_up", "outcome": "done", "dated_on": "2026-11-02"} | data,
    )


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_her_coach_and_a_supervisor_record_on_the_page(request, client_for, who, woman):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("patients:interview_record", args=[woman.pk])).status_code == 200
    response = _post(client_for(user), woman)
    assert response.status_code == 302
    assert woman.grant_interviews.get(kind=FOLLOW_UP).recorded_by == user


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_anyone_else_gets_a_404(request, client_for, who, woman):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("patients:interview_record", args=[woman.pk])).status_code == 404
    assert _post(client, woman).status_code == 404
    assert not woman.grant_interviews.filter(kind=FOLLOW_UP).exists()


def test_anonymous_goes_to_login(client, woman):
    response = client.get(reverse("patients:interview_record", args=[woman.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert client.get(reverse("patients:interviews_due")).status_code == 302


def test_a_refusal_is_told_next_to_the_field_and_keeps_what_was_typed(client_for, coach, woman):
    response = _post(client_for(coach), woman, dated_on="2026-10-14")
    assert response.status_code == 200
    assert "Tick the box" in " ".join(response.context["form"].errors["outside_window"])
    assert 'value="2026-10-14"' in response.content.decode()
    assert not woman.grant_interviews.filter(kind=FOLLOW_UP).exists()


def test_the_admin_sees_no_interviews_block(client_for, admin, coach, woman):
    assert client_for(coach).get(reverse("patients:detail", args=[woman.pk])).context["interviews_can_record"]
    assert client_for(admin).get(reverse("patients:detail", args=[woman.pk])).status_code == 404


# The list of interviews due.


@pytest.fixture
def other_woman(other_patient):
    """Another coach's woman, in her time in the program, her intake interview not recorded yet."""
    Episode.objects.create(program=other_patient.program, patient=other_patient, started_on=TODAY)
    return other_patient


def test_the_coach_sees_her_womens_interviews_due_and_not_another_coachs(
    client_for, coach, other_coach, woman, other_woman
):
    other_patient = other_woman
    response = client_for(coach).get(reverse("patients:interviews_due"))
    rows = [(e.patient_id, e.due_kind) for e in response.context["page"]]
    assert rows == [(woman.pk, "follow_up")]
    assert client_for(coach).get(reverse("home")).context["interviews_due"]["shown"] == list(response.context["page"])
    others = client_for(other_coach).get(reverse("patients:interviews_due"))
    assert [(e.patient_id, e.due_kind) for e in others.context["page"]] == [(other_patient.pk, "intake")]


def test_a_supervisor_sees_the_program_and_keeps_to_one_coach(
    client_for, supervisor, coach, other_coach, woman, other_woman, outside_patient
):
    other_patient = other_woman
    client = client_for(supervisor)
    everyone = {e.patient_id for e in client.get(reverse("patients:interviews_due")).context["page"]}
    assert everyone == {woman.pk, other_patient.pk}
    one = client.get(reverse("patients:interviews_due"), {"coach": other_coach.pk})
    assert [e.patient_id for e in one.context["page"]] == [other_patient.pk]
    assert client.get(reverse("patients:interviews_due"), {"coach": "x"}).status_code == 200


def test_a_follow_up_due_in_more_than_30_days_or_recorded_is_not_listed(client_for, coach, supervisor):
    later = PatientFactory(program=coach.program, clinical_provider=supervisor, enrollment_date=TODAY)
    on_caseload_of(later, coach)
    _record(coach, later, INTAKE_KIND, TODAY)
    assert not list(permissions.interviews_due_for(coach))


@pytest.mark.parametrize("who", ["admin", "outside_supervisor"])
def test_the_due_list_is_not_for_admins_nor_another_program(request, client_for, who, woman):
    response = client_for(request.getfixturevalue(who)).get(reverse("patients:interviews_due"))
    assert response.status_code == 404 or woman.pk not in {e.patient_id for e in response.context["page"]}


def test_the_due_list_runs_a_constant_number_of_queries(
    client_for, supervisor, coach, woman, django_assert_max_num_queries
):
    client = client_for(supervisor)
    client.get(reverse("patients:interviews_due"))
    for n in range(6):
        extra = PatientFactory(
            program=coach.program,
            clinical_provider=supervisor,
            legal_name=f"Extra {n}",
            enrollment_date=datetime.date(2026, 5, 14),
        )
        on_caseload_of(extra, coach)
        _record(coach, extra, INTAKE_KIND, INTAKE)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("patients:interviews_due"))
    assert len(response.context["page"]) == 7
    with django_assert_max_num_queries(16):
        client.get(reverse("patients:interview_record", args=[woman.pk]))


def test_the_form_sent_twice_records_once(client_for, coach, woman):
    client = client_for(coach)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert _post(client, woman, **{FIELD: key}).status_code == 302
    assert woman.grant_interviews.filter(kind=FOLLOW_UP).count() == 1
