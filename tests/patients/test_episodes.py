"""A woman's course in the program: dated episodes, discharge with what is still open, re-enrollment with a new
consent, and stays in a higher level of care. From each role's side."""

from __future__ import annotations

import datetime
import html

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.models import Concern, ConcernStatus
from patients.models import Episode, HigherCareStay, Patient, ProgramStatus
from patients.services import (
    assignment_start,
    consent_record,
    discharge_reasons_for,
    higher_care_end,
    higher_care_start,
    patient_discharge,
    patient_reenroll,
)
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from referrals.models import Referral
from supervision.models import ActionItem, CaseReview, SupervisionSession
from tests.factories import (
    ConsentFactory,
    PatientFactory,
    log_encounter,
    on_caseload_of,
    record_referral,
    share_concern,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def _reason(patient, code="moved"):
    return discharge_reasons_for(patient.program).get(code=code)


def _discharge(supervisor, patient, code="moved", on=None, **extra):
    return patient_discharge(
        actor=Actor(supervisor, None),
        patient=patient,
        reason=_reason(patient, code),
        ended_on=on or TODAY(),
        summary="Moved to Maine with the baby.",
        **extra,
    )


def _consent(supervisor, patient, signed_on=None):
    return consent_record(
        actor=Actor(supervisor, None),
        patient=patient,
        fields={
            "recipient": "Harbor Family Resource Center",
            "purpose": "Parenting support",
            "information_scope": "Attendance",
            "signed_on": signed_on or TODAY(),
            "expires_on": TODAY() + 300 * DAY,
        },
    )


# The data migration and the database's rules


def test_the_migration_gives_each_enrolled_woman_one_open_episode_from_her_enrollment(program, supervisor):
    from importlib import import_module

    forwards = import_module("patients.migrations.0010_episodes_for_enrolled_patients").forwards
    patient = PatientFactory(program=program, clinical_provider=supervisor)
    consent = ConsentFactory(patient=patient)
    forwards(apps, None)
    episode = Episode.objects.get(patient=patient)
    assert (episode.started_on, episode.ended_on) == (patient.enrollment_date, None)
    consent.refresh_from_db()
    assert consent.episode == episode
    forwards(apps, None)  # run twice: still one
    assert Episode.objects.filter(patient=patient).count() == 1


def test_the_database_allows_one_open_episode_per_woman(supervisor, patient):
    Episode.objects.create(program=patient.program, patient=patient, started_on=patient.enrollment_date)
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(program=patient.program, patient=patient, started_on=TODAY())


def test_the_database_refuses_an_episode_ending_before_it_starts(supervisor, patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            program=patient.program,
            patient=patient,
            started_on=TODAY(),
            ended_on=TODAY() - DAY,
            discharge_reason=_reason(patient),
        )


def test_an_episode_is_never_deleted(supervisor, patient):
    episode = _discharge(supervisor, patient)
    with pytest.raises(ProgrammingError, match="Cannot delete"), transaction.atomic():  # the no_delete trigger
        Episode.objects.filter(pk=episode.pk).delete()


# Discharge


def test_every_program_keeps_the_default_reasons_as_codes(program, other_program):
    codes = list(discharge_reasons_for(program).values_list("code", flat=True))
    assert codes == ["completed", "moved", "stopped_attending", "chose_to_leave", "incarcerated", "died", "other"]
    assert discharge_reasons_for(other_program).count() == 7


def test_discharge_ends_her_episode_her_coachs_care_and_consents_that_end_at_discharge(
    client_for, supervisor, coach, patient
):
    until_discharge = ConsentFactory(patient=patient, expires_on=None, expiry_event="discharge")
    episode = _discharge(supervisor, patient)
    patient.refresh_from_db()
    assert patient.status == ProgramStatus.DISCHARGED
    assert (episode.ended_on, episode.discharge_reason.code, episode.discharged_by) == (TODAY(), "moved", supervisor)
    assert not patient.assignments.filter(ended_on__isnull=True).exists()
    until_discharge.refresh_from_db()
    assert until_discharge.ended_on == TODAY()
    # Her coach loses access at once, as when any assignment ends.
    assert client_for(coach).get(reverse("patients:detail", args=[patient.pk])).status_code == 404


def test_a_reason_of_another_program_is_refused(supervisor, patient, outside_supervisor):
    with pytest.raises(ValidationError):
        patient_discharge(
            actor=Actor(supervisor, None),
            patient=patient,
            reason=discharge_reasons_for(outside_supervisor.program).get(code="moved"),
            ended_on=TODAY(),
            summary="",
        )


def test_a_discharge_before_her_episode_started_is_refused(supervisor, patient):
    with pytest.raises(ValidationError):
        _discharge(supervisor, patient, on=patient.enrollment_date - DAY)
    assert Patient.objects.get(pk=patient.pk).status == ProgramStatus.ACTIVE


@pytest.fixture
def open_items(coach, supervisor, patient):
    concern = share_concern(coach, patient)
    referral = record_referral(supervisor, patient)
    session = SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=TODAY() - 7 * DAY)
    CaseReview.objects.create(session=session, patient=patient)
    action = ActionItem.objects.create(session=session, what="Call the WIC office", owner=coach, due_on=TODAY())
    return concern, referral, action


def _discharge_data(patient, **extra):
    return {"reason": _reason(patient).pk, "ended_on": TODAY().isoformat(), "summary": "Moved to Maine."} | extra


def test_the_supervisor_sees_what_is_still_open_then_confirms(client_for, supervisor, patient, open_items):
    concern, referral, action = open_items
    client = client_for(supervisor)
    page = html.unescape(client.get(reverse("patients:discharge", args=[patient.pk])).content.decode())
    assert "Still open about her" in page
    assert "Referral to Granite House Residential" in page
    assert "Call the WIC office" in page
    assert "Concern: " in page
    data = _discharge_data(patient, **{f"concern-{concern.pk}": "close", f"referral-{referral.pk}": "carry"})
    data[f"action_item-{action.pk}"] = "close"
    confirm = html.unescape(client.post(reverse("patients:discharge", args=[patient.pk]), data).content.decode())
    assert "What will happen" in confirm
    assert "2 open items are closed." in confirm
    assert "1 open item stays open (carried)." in confirm
    assert Patient.objects.get(pk=patient.pk).status == ProgramStatus.ACTIVE  # nothing yet
    response = client.post(reverse("patients:discharge", args=[patient.pk]), data | {"confirmed": "yes"})
    assert response.status_code == 302
    concern.refresh_from_db()
    referral.refresh_from_db()
    action.refresh_from_db()
    assert concern.status == ConcernStatus.CLOSED
    assert referral.status == "planned"  # carried
    assert action.done_at is not None
    episode = Episode.objects.get(patient=patient)
    assert {"kind": "referral", "id": referral.pk, "outcome": "carried"} in episode.open_at_discharge
    assert {"kind": "concern", "id": concern.pk, "outcome": "closed"} in episode.open_at_discharge
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "1 item carried" in detail
    assert "Discharged on" in detail


def test_a_referral_closed_at_discharge_is_closed(client_for, supervisor, patient, open_items):
    concern, referral, action = open_items
    choices = {f"referral-{referral.pk}": "close", f"concern-{concern.pk}": "carry"}
    choices[f"action_item-{action.pk}"] = "carry"
    data = _discharge_data(patient, **choices, confirmed="yes")
    client_for(supervisor).post(reverse("patients:discharge", args=[patient.pk]), data)
    assert Referral.objects.get(pk=referral.pk).status == "closed"


def test_the_discharge_page_is_a_404_for_coach_admin_and_another_programs_supervisor(
    client_for, coach, admin, outside_supervisor, patient
):
    for user in (coach, admin, outside_supervisor):
        client = client_for(user)
        assert client.get(reverse("patients:discharge", args=[patient.pk])).status_code == 404
        data = _discharge_data(patient, confirmed="yes")
        assert client.post(reverse("patients:discharge", args=[patient.pk]), data).status_code == 404
    assert Patient.objects.get(pk=patient.pk).status == ProgramStatus.ACTIVE


def test_the_discharge_page_is_logged_and_its_queries_do_not_grow(
    client_for, supervisor, coach, patient, django_assert_max_num_queries
):
    for _ in range(6):
        share_concern(coach, patient)
    client = client_for(supervisor)
    with django_assert_max_num_queries(22):
        client.get(reverse("patients:discharge", args=[patient.pk]))
    assert AccessLog.objects.filter(patient=patient, record_type="discharge", user=supervisor).exists()


def test_a_second_discharge_says_she_is_already_discharged(client_for, supervisor, patient):
    client = client_for(supervisor)
    data = _discharge_data(patient, confirmed="yes")
    client.post(reverse("patients:discharge", args=[patient.pk]), data)
    response = client.post(reverse("patients:discharge", args=[patient.pk]), data, follow=True)
    assert "already discharged" in response.content.decode()
    assert Episode.objects.filter(patient=patient).count() == 1


# Nothing new is logged about a discharged woman


def test_no_encounter_or_concern_is_logged_for_a_discharged_woman(supervisor, coach, patient):
    _discharge(supervisor, patient)
    with pytest.raises(ValidationError, match="was discharged"):
        log_encounter(coach, [Patient.objects.get(pk=patient.pk)])
    with pytest.raises(ValidationError, match="was discharged"):
        share_concern(coach, Patient.objects.get(pk=patient.pk))


def test_supervisors_still_close_out_her_open_concerns_after_discharge(client_for, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    _discharge(supervisor, patient)
    client_for(supervisor).post(reverse("coaching:concern_close", args=[concern.pk]), {"reason": "She moved"})
    assert Concern.objects.get(pk=concern.pk).status == ConcernStatus.CLOSED


# Re-enrollment


def test_reenrollment_keeps_her_record_and_starts_a_new_episode_waiting_for_a_consent(
    client_for, supervisor, coach, patient
):
    first = _discharge(supervisor, patient, on=TODAY() - 10 * DAY)
    log_before = AccessLog.objects.filter(patient=patient).count()
    response = client_for(supervisor).post(
        reverse("patients:reenroll", args=[patient.pk]), {"started_on": TODAY().isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:consent_add", args=[patient.pk])
    patient.refresh_from_db()
    assert patient.status == ProgramStatus.ACTIVE
    assert Patient.objects.count() == 1  # the same record
    new = Episode.objects.get(patient=patient, ended_on__isnull=True)
    assert new.pk != first.pk
    assert new.needs_consent
    assert AccessLog.objects.filter(patient=patient).count() > log_before
    # Until a consent for this episode is recorded: no coach, nothing logged.
    with pytest.raises(ValidationError, match="consent"):
        assignment_start(actor=Actor(supervisor, None), patient=patient, coach=coach, started_on=TODAY())
    page = client_for(supervisor).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "until a supervisor records the consent" in page
    _consent(supervisor, patient)
    assignment_start(actor=Actor(supervisor, None), patient=patient, coach=coach, started_on=TODAY())
    log_encounter(coach, [patient])  # now allowed


def test_a_consent_from_her_earlier_time_does_not_open_the_new_episode(supervisor, coach, patient):
    _consent(supervisor, patient, signed_on=patient.enrollment_date)
    _discharge(supervisor, patient, on=TODAY() - 10 * DAY)
    patient_reenroll(actor=Actor(supervisor, None), patient=Patient.objects.get(pk=patient.pk), started_on=TODAY())
    with pytest.raises(ValidationError):
        assignment_start(actor=Actor(supervisor, None), patient=patient, coach=coach, started_on=TODAY())
    with pytest.raises(ValidationError, match="signed that day or later"):
        _consent(supervisor, patient, signed_on=TODAY() - 20 * DAY)


def test_reenrollment_before_her_discharge_is_refused(supervisor, patient):
    _discharge(supervisor, patient, on=TODAY() - 2 * DAY)
    with pytest.raises(ValidationError):
        patient_reenroll(actor=Actor(supervisor, None), patient=patient, started_on=TODAY() - 3 * DAY)


def test_reenroll_is_a_404_for_coach_admin_and_another_programs_supervisor(
    client_for, supervisor, coach, admin, outside_supervisor, patient
):
    _discharge(supervisor, patient)
    for user in (coach, admin, outside_supervisor):
        response = client_for(user).post(
            reverse("patients:reenroll", args=[patient.pk]), {"started_on": TODAY().isoformat()}
        )
        assert response.status_code == 404
    assert Episode.objects.filter(patient=patient).count() == 1


# Higher levels of care


def test_in_residential_care_she_stays_on_her_coachs_caseload_who_keeps_logging(client_for, supervisor, coach, patient):
    response = client_for(supervisor).post(
        reverse("patients:higher_care", args=[patient.pk]),
        {
            "kind": "residential",
            "started_on": (TODAY() - 3 * DAY).isoformat(),
            "expected_return_on": (TODAY() + 25 * DAY).isoformat(),
        },
    )
    assert response.status_code == 302
    stay = HigherCareStay.objects.get(patient=patient)
    log_encounter(coach, [patient], kind="community", summary="Visited her at the residential program.")
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    expected = f"In residential treatment since {(TODAY() - 3 * DAY):%b} {(TODAY() - 3 * DAY).day}"
    assert expected in html.unescape(page)
    assert "expected back" in page
    higher_care_end(actor=Actor(supervisor, None), patient=patient, ended_on=TODAY())
    stay.refresh_from_db()
    assert stay.ended_on == TODAY()


def test_the_database_allows_one_open_stay_and_no_return_before_she_went(supervisor, patient):
    stay = higher_care_start(
        actor=Actor(supervisor, None), patient=patient, kind="detox", started_on=TODAY(), expected_return_on=None
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        HigherCareStay.objects.create(
            patient=patient, episode=stay.episode, kind="inpatient", started_on=TODAY(), recorded_by=supervisor
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        HigherCareStay.objects.filter(pk=stay.pk).update(ended_on=TODAY() - DAY)


def test_higher_care_pages_are_a_404_for_coach_admin_and_another_programs_supervisor(
    client_for, coach, admin, outside_supervisor, patient
):
    for user in (coach, admin, outside_supervisor):
        client = client_for(user)
        for name in ("patients:higher_care", "patients:higher_care_end"):
            assert client.get(reverse(name, args=[patient.pk])).status_code == 404
    assert not HigherCareStay.objects.exists()


def test_discharge_ends_a_stay_in_higher_care(supervisor, patient):
    higher_care_start(
        actor=Actor(supervisor, None), patient=patient, kind="incarcerated", started_on=TODAY(), expected_return_on=None
    )
    _discharge(supervisor, patient, code="incarcerated")
    assert HigherCareStay.objects.get(patient=patient).ended_on == TODAY()


# The patient page and the list


def test_the_patient_page_shows_her_times_in_the_program_and_the_summary_to_supervisors_only(
    client_for, supervisor, coach, patient
):
    _discharge(supervisor, patient, on=TODAY() - 30 * DAY)
    patient_reenroll(actor=Actor(supervisor, None), patient=Patient.objects.get(pk=patient.pk), started_on=TODAY())
    _consent(supervisor, patient)
    on_caseload_of(Patient.objects.get(pk=patient.pk), coach, started_on=TODAY())
    supervisors = client_for(supervisor).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Her times in the program" in supervisors
    assert "discharged, moved away" in supervisors
    assert "Moved to Maine with the baby." in supervisors
    coachs = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "discharged, moved away" in coachs
    assert "Moved to Maine with the baby." not in coachs
    assert "Discharge her" not in coachs
    assert "Discharge her" in supervisors


def test_the_admin_sees_no_course_of_any_woman(client_for, admin, patient):
    assert client_for(admin).get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    assert client_for(admin).get(reverse("patients:list")).status_code == 404


def test_the_list_leaves_out_discharged_women_unless_asked(client_for, supervisor, coach, patient, other_patient):
    _discharge(supervisor, other_patient)
    in_care = PatientFactory(program=patient.program, clinical_provider=supervisor, legal_name="Ines Carey")
    higher_care_start(
        actor=Actor(supervisor, None), patient=in_care, kind="residential", started_on=TODAY(), expected_return_on=None
    )
    client = client_for(supervisor)

    def names(**query):
        page = client.get(reverse("patients:list"), query).context["page"]
        return {p.legal_name for p in page}

    assert names() == {"Rosalind Avery", "Ines Carey"}
    assert names(status="discharged") == {"Wilhelmina Drake"}
    assert names(status="higher_care") == {"Ines Carey"}
    assert names(status="active") == {"Rosalind Avery"}
    assert names(status="all") == {"Rosalind Avery", "Ines Carey", "Wilhelmina Drake"}


@pytest.mark.parametrize("batch", [3, 30])
def test_the_list_with_women_in_higher_care_runs_the_same_queries(
    client_for, supervisor, batch, django_assert_max_num_queries
):
    program = supervisor.program
    for patient in PatientFactory.create_batch(batch, program=program, clinical_provider=supervisor):
        higher_care_start(
            actor=Actor(supervisor, None), patient=patient, kind="detox", started_on=TODAY(), expected_return_on=None
        )
    client = client_for(supervisor)
    with django_assert_max_num_queries(17):
        client.get(reverse("patients:list"), {"status": "higher_care"})


def test_no_day_of_her_course_is_after_today_whoever_calls(supervisor, patient):
    """The forms say so; the services hold it too."""
    actor, tomorrow = Actor(supervisor, None), TODAY() + DAY
    with pytest.raises(ValidationError) as refused:
        higher_care_start(actor=actor, patient=patient, kind="detox", started_on=tomorrow, expected_return_on=None)
    assert refused.value.message_dict == {"started_on": ["The date she went cannot be in the future."]}
    higher_care_start(actor=actor, patient=patient, kind="detox", started_on=TODAY(), expected_return_on=None)
    with pytest.raises(ValidationError) as refused:
        higher_care_end(actor=actor, patient=patient, ended_on=tomorrow)
    assert "ended_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _discharge(supervisor, patient, on=tomorrow)
    assert refused.value.message_dict == {"ended_on": ["The last day cannot be in the future."]}
    _discharge(supervisor, patient)
    with pytest.raises(ValidationError) as refused:
        patient_reenroll(actor=actor, patient=Patient.objects.get(pk=patient.pk), started_on=tomorrow)
    assert "started_on" in refused.value.message_dict
    assert not Patient.objects.get(pk=patient.pk).episodes.filter(ended_on__isnull=True).exists()
