"""Her BARC-10: taken with her by her coach (a cover on its days) or a supervisor of her program, read with its
trend; admins and other programs never see it; every read is logged; the database holds the answers and total."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coaching.barc import barc10_due, barc10_overdue, with_barc10_due
from coaching.models import BARC10_ITEMS, BARC10_STATEMENTS, Barc10
from coaching.services import barc10_correct, barc10_record
from patients.models import Episode, Patient, ProgramStatus
from patients.services import discharge_reasons_for
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import PatientFactory, on_caseload_of, take_barc10

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {"taken_on": timezone.localdate().isoformat(), "occasion": "intake"}
    data |= {name: str(n % 6 + 1) for n, name in enumerate(BARC10_ITEMS)}  # 1..6, 1..4: 21 + 10 = 31
    return data | overrides


def _enrolled(patient, started_on=None):
    """Her open episode, from her enrollment (as enrolling her through the service makes it)."""
    Episode.objects.get_or_create(
        patient=patient,
        ended_on=None,
        defaults={"program_id": patient.program_id, "started_on": started_on or patient.enrollment_date},
    )
    return patient


def on_caseload_of_new(coach, supervisor):
    woman = PatientFactory(program=coach.program, clinical_provider=supervisor)
    on_caseload_of(woman, coach)
    return woman


def _url(name, patient, *args):
    return reverse(f"coaching:{name}", args=[patient.pk, *args])


def test_her_coach_takes_it_with_her_and_reads_the_total(client_for, coach, patient):
    response = client_for(coach).post(_url("barc10_new", patient), _form())

    assert response.url == _url("barc10", patient)
    barc = Barc10.objects.get(patient=patient)
    assert (barc.total, barc.item_1, barc.item_10, barc.entered_by) == (31, 1, 4, coach)
    assert AccessLog.objects.filter(action=AccessAction.CREATE, record_type="BARC-10", patient=patient).exists()
    page = client_for(coach).get(_url("barc10", patient)).content.decode()
    assert "31 of 60" in page
    assert BARC10_STATEMENTS[6] in page
    assert AccessLog.objects.filter(action=AccessAction.VIEW, record_type="BARC-10", patient=patient).exists()


def test_the_form_names_each_statement_as_a_radio_group(client_for, coach, patient):
    page = client_for(coach).get(_url("barc10_new", patient)).content.decode()

    for statement in BARC10_STATEMENTS:
        assert statement in page
    assert page.count('type="radio"') == 10 * 6 + 4
    assert page.count("<fieldset") >= 11
    assert "Strongly agree" in page


def test_a_missing_answer_is_told_next_to_it_and_nothing_typed_is_lost(client_for, coach, patient):
    data = _form()
    del data["item_4"]

    response = client_for(coach).post(_url("barc10_new", patient), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "I am proud of the community I live in" in page
    assert page.count("checked") == 10  # the occasion and the nine answers she gave
    assert not Barc10.objects.exists()


def test_a_day_after_today_or_before_she_enrolled_is_refused(coach, patient):
    actor, answers = Actor(coach, None), dict.fromkeys(BARC10_ITEMS, 3)
    for day in (timezone.localdate() + datetime.timedelta(days=1), patient.enrollment_date - datetime.timedelta(1)):
        with pytest.raises(ValidationError) as refused:
            barc10_record(actor=actor, patient=patient, taken_on=day, occasion="other", answers=answers)
        assert "taken_on" in refused.value.error_dict
    assert not Barc10.objects.exists()


def test_an_answer_outside_one_to_six_is_refused_by_the_service(coach, patient):
    answers = dict.fromkeys(BARC10_ITEMS, 3) | {"item_2": 7}
    with pytest.raises(ValidationError) as refused:
        barc10_record(
            actor=Actor(coach, None), patient=patient, taken_on=timezone.localdate(), occasion="x", answers=answers
        )
    assert {"item_2", "occasion"} <= set(refused.value.error_dict)


def test_the_database_holds_each_answer_and_the_total(coach, patient):
    barc = take_barc10(coach, patient, answers=(6,) * 10)
    assert barc.total == 60
    for change in ({"item_3": 7}, {"item_3": 0}, {"total": 59}, {"occasion": "someday"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Barc10.objects.filter(pk=barc.pk).update(**change)
    with pytest.raises(Exception, match="delete"), transaction.atomic():
        Barc10.objects.filter(pk=barc.pk).delete()


def test_a_row_of_another_program_is_refused_by_the_database(coach, patient, outside_supervisor):
    barc = take_barc10(coach, patient)
    with pytest.raises(Exception, match="program"), transaction.atomic():
        Barc10.objects.filter(pk=barc.pk).update(program=outside_supervisor.program)


def test_a_supervisor_of_her_program_reads_it_and_may_take_one(client_for, coach, supervisor, patient):
    take_barc10(coach, patient, answers=(2,) * 10)

    assert "20 of 60" in client_for(supervisor).get(_url("barc10", patient)).content.decode()
    response = client_for(supervisor).post(_url("barc10_new", patient), _form(occasion="other"))
    assert response.status_code == 302
    assert Barc10.objects.filter(patient=patient, entered_by=supervisor).exists()


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_anyone_else_gets_a_404_for_every_page(request, client_for, coach, patient, who):
    barc = take_barc10(coach, patient)
    client = client_for(request.getfixturevalue(who))
    for url in (_url("barc10", patient), _url("barc10_new", patient), _url("barc10_correct", patient, barc.pk)):
        assert client.get(url).status_code == 404
    assert client.post(_url("barc10_new", patient), _form()).status_code == 404
    assert Barc10.objects.count() == 1


def test_anonymous_is_sent_to_log_in(client, patient):
    response = client.get(_url("barc10", patient))
    assert response.status_code == 302
    assert "login" in response.url


def test_a_discharged_woman_takes_no_new_one_but_her_trend_stays_readable(client_for, coach, supervisor, patient):
    take_barc10(coach, patient)
    Patient.objects.filter(pk=patient.pk).update(status=ProgramStatus.DISCHARGED)

    assert client_for(supervisor).get(_url("barc10_new", patient)).status_code == 404
    assert client_for(supervisor).get(_url("barc10", patient)).status_code == 200
    with pytest.raises(ValidationError):
        take_barc10(supervisor, patient)


def test_who_entered_it_corrects_it_within_72_hours_and_the_history_keeps_the_first(client_for, coach, patient):
    barc = take_barc10(coach, patient, answers=(3,) * 10)

    response = client_for(coach).post(
        _url("barc10_correct", patient, barc.pk), _form(version=str(barc.version), item_1="6")
    )

    assert response.url == _url("barc10", patient)
    barc.refresh_from_db()
    assert (barc.item_1, barc.total) == (6, 36)
    assert sorted(Barc10.pgh_event_model.objects.filter(pgh_obj=barc).values_list("total", flat=True)) == [30, 36]


def test_after_72_hours_it_stands(coach, patient):
    barc = take_barc10(coach, patient)
    later = timezone.now() + datetime.timedelta(hours=73)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError, match="72 hours"):
        barc10_correct(
            actor=Actor(coach, None),
            barc=barc,
            taken_on=barc.taken_on,
            occasion="intake",
            answers=dict.fromkeys(BARC10_ITEMS, 5),
            version=barc.version,
        )
    barc.refresh_from_db()
    assert barc.total == 40


def test_only_who_entered_it_may_correct_it(client_for, coach, supervisor, patient):
    barc = take_barc10(coach, patient)
    assert client_for(supervisor).get(_url("barc10_correct", patient, barc.pk)).status_code == 404
    with pytest.raises(ValidationError):
        barc10_correct(
            actor=Actor(supervisor, None),
            barc=barc,
            taken_on=barc.taken_on,
            occasion="intake",
            answers=dict.fromkeys(BARC10_ITEMS, 5),
            version=barc.version,
        )


def test_due_at_intake_then_every_90_days_while_she_is_enrolled(coach, patient):
    _enrolled(patient)
    today = timezone.localdate()
    women = Patient.objects.filter(pk=patient.pk)

    assert with_barc10_due(women).get().barc10_due_on == patient.enrollment_date
    assert list(barc10_due(women, today)) == [patient]
    assert list(barc10_overdue(women, today)) == [patient]  # enrolled 60 days ago, none taken

    take_barc10(coach, patient, taken_on=today - datetime.timedelta(days=10))
    assert with_barc10_due(women).get().barc10_due_on == today + datetime.timedelta(days=80)
    assert not barc10_due(women, today).exists()
    assert list(barc10_due(women, today + datetime.timedelta(days=80))) == [patient]
    assert not barc10_overdue(women, today + datetime.timedelta(days=94)).exists()
    assert list(barc10_overdue(women, today + datetime.timedelta(days=95))) == [patient]


def test_a_woman_whose_episode_ended_owes_none_and_a_new_episode_starts_with_an_intake(coach, patient):
    _enrolled(patient)
    take_barc10(coach, patient, taken_on=patient.enrollment_date)
    today, women = timezone.localdate(), Patient.objects.filter(pk=patient.pk)
    reason = discharge_reasons_for(patient.program).first()
    Episode.objects.filter(patient=patient).update(ended_on=today - datetime.timedelta(days=5), discharge_reason=reason)

    assert with_barc10_due(women).get().barc10_due_on is None

    Episode.objects.create(program=patient.program, patient=patient, started_on=today)
    assert with_barc10_due(women).get().barc10_due_on == today


def test_her_page_and_her_coachs_home_say_it_is_due(client_for, coach, other_coach, supervisor, patient):
    _enrolled(patient)

    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "BARC-10 due" in page
    home = client_for(coach).get(reverse("home")).content.decode()
    assert 'id="barc10-due"' in home
    assert patient.display_name in home
    assert 'id="barc10-due"' not in client_for(other_coach).get(reverse("home")).content.decode()

    take_barc10(coach, patient)
    assert "BARC-10 due" not in client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'id="barc10-due"' not in client_for(coach).get(reverse("home")).content.decode()


def test_admins_see_no_barc10_on_her_page_or_home(client_for, admin, coach, patient):
    take_barc10(coach, patient)
    assert "BARC-10" not in client_for(admin).get(reverse("home")).content.decode()


def test_her_page_runs_the_same_queries_however_many_she_took(
    client_for, coach, patient, django_assert_max_num_queries
):
    _enrolled(patient)
    take_barc10(coach, patient, taken_on=patient.enrollment_date)
    client = client_for(coach)
    client.get(_url("barc10", patient))
    with CaptureQueriesContext(connection) as once:
        client.get(_url("barc10", patient))
    for days in range(1, 15):
        take_barc10(coach, patient, taken_on=patient.enrollment_date + datetime.timedelta(days=days), occasion="other")
    with django_assert_max_num_queries(len(once)):
        assert "of 60" in client.get(_url("barc10", patient)).content.decode()
    with django_assert_max_num_queries(len(once)):
        client.get(_url("barc10_new", patient))


def test_the_coachs_home_lists_those_due_in_the_same_queries_however_many(
    client_for, coach, supervisor, patient, django_assert_max_num_queries
):
    _enrolled(patient)
    client = client_for(coach)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as once:
        assert patient.display_name in client.get(reverse("home")).content.decode()
    for _ in range(6):
        _enrolled(on_caseload_of_new(coach, supervisor))
    with django_assert_max_num_queries(len(once)):
        assert client.get(reverse("home")).content.decode().count(reverse("coaching:barc10", args=[patient.pk])) == 1
