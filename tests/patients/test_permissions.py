"""Who sees which patients, decided in patients.permissions, from each role's side."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from patients import permissions, services
from recovery_program.audit import Actor

pytestmark = pytest.mark.django_db


def test_coach_sees_only_her_own_caseload(coach, patient, other_patient, outside_patient):
    assert list(permissions.patients_visible_to(coach)) == [patient]


def test_supervisor_sees_every_patient_of_her_program_and_no_other(supervisor, patient, other_patient, outside_patient):
    assert set(permissions.patients_visible_to(supervisor)) == {patient, other_patient}


def test_admin_sees_no_patient(admin, patient):
    assert not permissions.patients_visible_to(admin).exists()


def test_supervisor_of_another_program_sees_none_of_ours(outside_supervisor, patient, outside_patient):
    assert list(permissions.patients_visible_to(outside_supervisor)) == [outside_patient]


def test_another_coachs_patient_is_not_found_rather_than_forbidden(coach, other_patient):
    with pytest.raises(Http404):
        permissions.get_patient_for_user(coach, other_patient.pk)


def test_reassignment_moves_the_patient_between_caseloads_at_once(coach, other_coach, supervisor, patient):
    services.assignment_start(
        actor=Actor(supervisor, None), patient=patient, coach=other_coach, started_on=timezone.localdate()
    )
    assert not permissions.patients_visible_to(coach).exists()
    assert list(permissions.patients_visible_to(other_coach)) == [patient]
    assert not coach.has_perm("patients.change_patient_contact", patient)


def test_a_coachs_reach_is_built_once_per_page_and_still_follows_her_caseload(
    monkeypatch, coach, supervisor, patient, other_patient
):
    # A page asks up to seven times; guardian's subquery is built once for her, and stays lazy.
    built = []
    real = permissions.get_objects_for_user
    monkeypatch.setattr(permissions, "get_objects_for_user", lambda *a, **k: built.append(1) or real(*a, **k))
    assert list(permissions.patients_visible_to(coach)) == [patient]
    services.assignment_start(
        actor=Actor(supervisor, None), patient=other_patient, coach=coach, started_on=timezone.localdate()
    )
    assert set(permissions.patients_visible_to(coach)) == {patient, other_patient}
    assert len(built) == 1


def test_ending_an_assignment_takes_the_coachs_access_away(coach, supervisor, patient):
    services.assignment_end(actor=Actor(supervisor, None), patient=patient, ended_on=timezone.localdate(), reason="x")
    assert not permissions.patients_visible_to(coach).exists()


def test_deactivated_coach_sees_nothing(coach, patient):
    coach.is_active = False
    coach.save()
    assert not permissions.patients_visible_to(coach).exists()


def test_coach_may_change_contact_but_nothing_else(coach, patient):
    assert permissions.patient_perms(coach, patient) == {"change_patient_contact"}


def test_supervisor_may_do_everything_on_her_programs_patient(supervisor, patient):
    assert set(permissions.PATIENT_ACTIONS) == permissions.patient_perms(supervisor, patient)


def test_counts_are_for_admins_and_supervisors_not_coaches(admin, supervisor, coach, patient, other_patient):
    assert permissions.patient_counts_for(admin)["Enrolled"] == 2
    assert permissions.patient_counts_for(supervisor)["Active"] == 2
    assert permissions.patient_counts_for(coach) is None


def test_consents_are_hidden_from_coaches(coach, supervisor, patient):
    services.consent_record(
        actor=Actor(supervisor, None),
        patient=patient,
        fields={
            "recipient": "Clinic",
            "purpose": "Care",
            "information_scope": "All",
            "signed_on": timezone.localdate(),
            "expires_on": timezone.localdate() + datetime.timedelta(days=90),
        },
    )
    assert not permissions.consents_visible_to(coach, patient).exists()
    assert permissions.consents_visible_to(supervisor, patient).count() == 1


def test_only_coaches_of_her_program_can_be_assigned(supervisor, coach, other_coach, outside_supervisor, admin):
    assert set(permissions.coaches_assignable_by(supervisor)) == {coach, other_coach}


def test_her_permissions_on_a_woman_are_read_once_a_page_and_follow_her_caseload(
    django_assert_max_num_queries, coach, supervisor, patient, other_patient
):
    coach.has_perm("patients.view_patient")  # her role's permissions, read once, as Django keeps them
    # Her permissions on this woman, read once (hers and her groups'), however many are asked.
    with django_assert_max_num_queries(2):
        asked = [
            permissions.has_patient_perm(coach, perm, other_patient)
            for perm in ("patients.view_patient", "patients.change_patient_contact", "patients.assign_coach")
        ]
        permissions.patient_perms(coach, other_patient)
    assert asked == [False, False, False]

    services.assignment_start(
        actor=Actor(supervisor, None), patient=other_patient, coach=coach, started_on=timezone.localdate()
    )
    assert permissions.has_patient_perm(coach, "patients.change_patient_contact", other_patient)
    services.assignment_end(
        actor=Actor(supervisor, None), patient=other_patient, ended_on=timezone.localdate(), reason="x"
    )
    assert not permissions.has_patient_perm(coach, "patients.change_patient_contact", other_patient)
    assert not permissions.has_patient_perm(coach, "coaching.add_encounter", other_patient)
