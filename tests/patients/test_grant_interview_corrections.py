"""A supervisor of her program corrects a recorded grant interview, saying why: each rule (the service's and the
database's), the history kept, the version check, the access log, and each role's side."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse

from patients.models import GrantInterview, InterviewKind, InterviewOutcome
from patients.services import grant_interview_correct, grant_interview_record
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
INTAKE = datetime.date(2026, 5, 15)  # window Oct 15 to Jan 15
IN_WINDOW = datetime.date(2026, 11, 2)
DONE, DECLINED = InterviewOutcome.DONE, InterviewOutcome.DECLINED


@pytest.fixture(autouse=True)
def clock(settings):
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def woman(coach, supervisor):
    woman = PatientFactory(program=coach.program, clinical_provider=supervisor, enrollment_date=INTAKE)
    on_caseload_of(woman, coach)
    _record(coach, woman, InterviewKind.INTAKE, INTAKE)
    return woman


@pytest.fixture
def follow_up(coach, woman):
    return _record(coach, woman, InterviewKind.FOLLOW_UP, IN_WINDOW)


def _record(user, patient, kind, dated_on):
    return grant_interview_record(actor=Actor(user, None), patient=patient, kind=kind, outcome=DONE, dated_on=dated_on)


def _correct(
    user, interview, *, dated_on=IN_WINDOW, outcome=DONE, outside_window=False, reason="Wrong day typed.", **kw
):
    return grant_interview_correct(
        actor=Actor(user, None),
        interview=interview,
        outcome=outcome,
        dated_on=dated_on,
        outside_window=outside_window,
        reason=reason,
        **kw,
    )


def _refused(field, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        _correct(*args, **kwargs)
    return " ".join(refused.value.message_dict[field]) if field else " ".join(refused.value.messages)


# The rules, in the service.


def test_a_supervisor_corrects_the_date_and_says_why(supervisor, follow_up):
    corrected = _correct(supervisor, follow_up, dated_on=datetime.date(2026, 11, 5), reason="It was the 5th.")
    corrected.refresh_from_db()
    assert (corrected.dated_on, corrected.corrected_by, corrected.correction_reason) == (
        datetime.date(2026, 11, 5),
        supervisor,
        "It was the 5th.",
    )
    assert corrected.corrected_at == NOW
    assert corrected.version == 2


def test_history_keeps_what_it_said_before_and_each_reason(supervisor, follow_up):
    _correct(supervisor, follow_up, dated_on=datetime.date(2026, 11, 5), reason="First.")
    _correct(supervisor, follow_up, outcome=DECLINED, dated_on=datetime.date(2026, 11, 5), reason="Second.")
    events = list(follow_up.events.order_by("pgh_id").values_list("dated_on", "outcome", "correction_reason"))
    assert events == [
        (IN_WINDOW, DONE, ""),
        (datetime.date(2026, 11, 5), DONE, "First."),
        (datetime.date(2026, 11, 5), DECLINED, "Second."),
    ]


def test_a_reason_is_required(supervisor, follow_up):
    assert "why" in _refused("reason", supervisor, follow_up, dated_on=datetime.date(2026, 11, 5), reason="  ")


def test_nothing_changed_is_refused(supervisor, follow_up):
    assert "Nothing was changed" in _refused(None, supervisor, follow_up)


def test_not_after_today(supervisor, follow_up):
    assert _refused("dated_on", supervisor, follow_up, dated_on=datetime.date(2026, 12, 1))


def test_the_window_rule_holds_on_a_correction(supervisor, follow_up):
    outside = datetime.date(2026, 10, 14)
    assert "Tick the box" in _refused("outside_window", supervisor, follow_up, dated_on=outside)
    assert "Untick" in _refused("outside_window", supervisor, follow_up, outside_window=True)
    _correct(supervisor, follow_up, dated_on=outside, outside_window=True)
    assert GrantInterview.objects.get(pk=follow_up.pk).outside_window


def test_only_a_done_follow_up_is_outside_its_window(supervisor, follow_up):
    refused = _refused("outside_window", supervisor, follow_up, outcome=DECLINED, outside_window=True)
    assert "Only a follow-up" in refused


def test_not_before_the_intake(supervisor, follow_up):
    assert "intake" in _refused("dated_on", supervisor, follow_up, dated_on=datetime.date(2026, 5, 1))


def test_the_intake_stays_done_and_before_the_others(supervisor, woman, follow_up):
    intake = woman.grant_interviews.get(kind=InterviewKind.INTAKE)
    assert _refused("outcome", supervisor, intake, outcome=DECLINED, dated_on=INTAKE)
    assert "earlier day" in _refused("dated_on", supervisor, intake, dated_on=datetime.date(2026, 11, 3))
    _correct(supervisor, intake, dated_on=datetime.date(2026, 5, 16))


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_only_a_supervisor_of_her_program_corrects(request, who, follow_up):
    assert "supervisor of her program" in _refused(None, request.getfixturevalue(who), follow_up, reason="x")


def test_a_change_since_the_form_opened_is_refused(supervisor, follow_up):
    _correct(supervisor, follow_up, dated_on=datetime.date(2026, 11, 5))
    with pytest.raises(ValidationError, match="changed this"):
        _correct(supervisor, follow_up, dated_on=datetime.date(2026, 11, 6), version=1)
    assert GrantInterview.objects.get(pk=follow_up.pk).dated_on == datetime.date(2026, 11, 5)


def test_the_access_log_says_who_changed_it(supervisor, follow_up):
    _correct(supervisor, follow_up, dated_on=datetime.date(2026, 11, 5))
    assert AccessLog.objects.filter(user=supervisor, action="change", patient=follow_up.patient).exists()


# The database holds them too.


def test_the_database_refuses_a_correction_without_its_reason(supervisor, follow_up):
    with pytest.raises(DatabaseError), transaction.atomic():
        GrantInterview.objects.filter(pk=follow_up.pk).update(corrected_by=supervisor, corrected_at=NOW)


def test_the_database_refuses_another_programs_corrector(outside_supervisor, follow_up):
    with pytest.raises(DatabaseError), transaction.atomic():
        GrantInterview.objects.filter(pk=follow_up.pk).update(
            corrected_by=outside_supervisor, corrected_at=NOW, correction_reason="x"
        )


def test_the_database_keeps_the_window_rule(follow_up):
    with pytest.raises(DatabaseError), transaction.atomic():
        GrantInterview.objects.filter(pk=follow_up.pk).update(dated_on=datetime.date(2026, 10, 1))


# The page.


def _url(interview):
    return reverse("patients:interview_correct", args=[interview.patient_id, interview.pk])


def _post(client, interview, **data):
    values = {"outcome": "done", "dated_on": "2026-11-05", "reason": "It was the 5th.", "version": "1"} | data
    return client.post(_url(interview), values)


def test_the_supervisor_corrects_on_the_page_and_sees_it_on_hers(client_for, supervisor, follow_up):
    client = client_for(supervisor)
    assert client.get(_url(follow_up)).status_code == 200
    assert _post(client, follow_up).status_code == 302
    page = client.get(reverse("patients:detail", args=[follow_up.patient_id])).content.decode()
    assert "It was the 5th." in page
    assert AccessLog.objects.filter(user=supervisor, action="view", record_type="grant interview").exists()


def test_a_refusal_keeps_what_was_typed(client_for, supervisor, follow_up):
    response = _post(client_for(supervisor), follow_up, dated_on="2026-10-14", reason="Typed this.")
    assert response.status_code == 200
    assert "Tick the box" in " ".join(response.context["form"].errors["outside_window"])
    assert "Typed this." in response.content.decode()


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_anyone_else_gets_a_404(request, client_for, who, follow_up):
    client = client_for(request.getfixturevalue(who))
    assert client.get(_url(follow_up)).status_code == 404
    assert _post(client, follow_up).status_code == 404
    assert GrantInterview.objects.get(pk=follow_up.pk).dated_on == IN_WINDOW


def test_the_coach_sees_no_correct_link(client_for, coach, follow_up):
    response = client_for(coach).get(reverse("patients:detail", args=[follow_up.patient_id]))
    assert not response.context["interviews_can_correct"]
    assert _url(follow_up) not in response.content.decode()
