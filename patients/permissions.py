"""Who may see and do what with patients. The only place that decides it.

Supervisors hold the patient permissions for their whole program (through their
role's group). Coaches hold them only on the patients of their current caseload
(django-guardian object permissions, granted and revoked with the coach
assignment in patients.services). Admins hold none: they see counts only.
No access and no such patient both give 404, and so does a change page to someone
who may only look: out of reach is a 404, whatever the reason.
"""

from __future__ import annotations

from typing import cast

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from patients.models import (
    CoachAssignment,
    Consent,
    ConsentQuerySet,
    Episode,
    Patient,
    PatientQuerySet,
    ProgramStatus,
    StatusChange,
)
from recovery_program.models import AccessLog
from staff.models import User
from staff.roles import Role, members_with_role

# The permissions a coach holds on each patient of her caseload.
CASELOAD_PERMISSIONS = ("patients.view_patient", "patients.change_patient_contact")

# What the patient page may offer; templates read `patient_perms` instead of asking about roles.
PATIENT_ACTIONS = (
    "change_patient",
    "change_patient_contact",
    "assign_coach",
    "change_patient_status",
    "view_access_log",
    "view_consent",
    "add_consent",
    "change_consent",
    "add_child",
    "change_child",
)


def patients_visible_to(user: User) -> PatientQuerySet:
    """Patients of her own program: all of them if she holds view_patient for the program (supervisors),
    otherwise only those she holds it on as an object permission (a coach's current caseload)."""
    if not user.is_active:
        return Patient.objects.none()
    program_patients = Patient.objects.filter(program_id=user.program_id)
    if user.has_perm("patients.view_patient"):
        return program_patients
    # guardian filters the queryset it is given, so the result keeps the patients' own queryset methods.
    return cast(
        PatientQuerySet,
        get_objects_for_user(
            user, "patients.view_patient", klass=program_patients, accept_global_perms=False, with_superuser=False
        ),
    )


def get_patient_for_user(user: User, pk: int) -> Patient:
    """The patient if she may see her; 404 otherwise, exactly as if there were no such patient."""
    try:
        return patients_visible_to(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError):
        raise Http404("No such patient.") from None


def has_patient_perm(user: User, perm: str, patient: Patient) -> bool:
    """May she do `perm` ("app_label.codename") on this patient, whom she can already see?"""
    return user.has_perm(perm) or user.has_perm(perm, patient)


def get_patient_for_change(user: User, pk: int, perm: str) -> Patient:
    """The patient if she may do `perm` on her; 404 otherwise (she cannot see her, or only may look)."""
    patient = get_patient_for_user(user, pk)
    if not has_patient_perm(user, perm, patient):
        raise Http404
    return patient


def status_history_for(user: User, patient: Patient) -> list[tuple[StatusChange, str]]:
    """Her last 20 status changes, each with the reason this user may read: every reason for those who may
    change her status (supervisors); for anyone else (her coach) only the reasons shared with the coach."""
    sees_all = has_patient_perm(user, "patients.change_patient_status", patient)
    changes = patient.status_changes.select_related("changed_by")[:20]
    return [(change, change.reason if sees_all or change.shared_with_coach else "") for change in changes]


def coach_history_for(user: User, patient: Patient) -> list[tuple[CoachAssignment, str]]:
    """Her last 20 coach assignments, each with the end reason this user may read: every reason for those who
    assign coaches (supervisors); for anyone else (a coach) only the reasons shared with the coaches."""
    sees_all = has_patient_perm(user, "patients.assign_coach", patient)
    assignments = patient.assignments.select_related("coach")[:20]
    return [(a, a.end_reason if sees_all or a.end_reason_shared_with_coach else "") for a in assignments]


def patient_perms(user: User, patient: Patient) -> set[str]:
    """The actions of PATIENT_ACTIONS she may take on this patient (codenames), for templates."""
    object_perms = set(ObjectPermissionChecker(user).get_perms(patient))
    return {action for action in PATIENT_ACTIONS if user.has_perm(f"patients.{action}") or action in object_perms}


def can_list_patients(user: User) -> bool:
    """Supervisors list their program's patients; coaches their own caseload; admins neither."""
    return user.has_perm("patients.view_patient") or user.has_perm("patients.view_caseload")


def sees_whole_program(user: User) -> bool:
    """Holds view_patient for her whole program (supervisors), rather than patient by patient."""
    return user.has_perm("patients.view_patient")


def can_enroll(user: User) -> bool:
    """Supervisors enroll patients into their own program."""
    return user.has_perm("patients.add_patient")


def can_export(user: User) -> bool:
    return user.has_perm("patients.export_patients")


def consents_visible_to(user: User, patient: Patient) -> ConsentQuerySet:
    """Consents are for the clinical staff who may record a disclosure; a coach sees none."""
    if not has_patient_perm(user, "patients.view_consent", patient):
        return Consent.objects.none()
    return patient.consents.all()


def coaches_assignable_by(user: User) -> QuerySet[User]:
    """Active coaches of her own program: the only people a patient can be assigned to."""
    return members_with_role(Role.COACH, program_id=user.program_id)


def clinical_providers_for(user: User) -> QuerySet[User]:
    """Active supervisors of her own program: who may be a patient's clinical provider."""
    return members_with_role(Role.SUPERVISOR, program_id=user.program_id)


def access_log_for(user: User, patient: Patient) -> QuerySet[AccessLog]:
    """Who looked at this record: for those who hold view_access_log on her (supervisors)."""
    if not has_patient_perm(user, "patients.view_access_log", patient):
        return AccessLog.objects.none()
    return AccessLog.objects.filter(patient=patient).select_related("user")


def active_caseload_size(user: User) -> int | None:
    """How many active patients she can list (her caseload, or her program), or None if she lists none."""
    if not can_list_patients(user):
        return None
    return patients_visible_to(user).filter(status=ProgramStatus.ACTIVE).count()


def patients_without_coach_count(user: User) -> int | None:
    """For supervisors: how many active or disconnected patients of the program wait for a coach."""
    if not user.has_perm("patients.assign_coach"):
        return None
    return (
        patients_visible_to(user)
        .filter(status__in=[ProgramStatus.ACTIVE, ProgramStatus.DISCONNECTED])
        .without_coach()
        .count()
    )


def patient_counts_for(user: User) -> dict[str, int] | None:
    """Patients of her program counted by status, with no names, for those who may see counts (admins)."""
    if not user.has_perm("patients.view_patient_counts"):
        return None
    counts = Patient.objects.filter(program_id=user.program_id).aggregate(
        total=Count("pk"), **{status.value: Count("pk", filter=Q(status=status.value)) for status in ProgramStatus}
    )
    return {"Enrolled": counts.pop("total")} | {ProgramStatus(key).label: value for key, value in counts.items()}


def episodes_for(user: User, patient: Patient) -> list[tuple[Episode, str]]:
    """Her episodes of care, newest first, each with the summary this user may read: the discharge summary is for
    those who may change her status (supervisors); her coach sees the dates and the reason."""
    sees_all = has_patient_perm(user, "patients.change_patient_status", patient)
    episodes = patient.episodes.select_related("discharge_reason").prefetch_related("higher_care_stays")[:20]
    return [(episode, episode.summary if sees_all else "") for episode in episodes]


def can_change_course(user: User, patient: Patient) -> bool:
    """Discharge, re-enrollment and stays in a higher level of care: those who may change her status."""
    return has_patient_perm(user, "patients.change_patient_status", patient)


def get_patient_for_course(user: User, pk: int) -> Patient:
    """The patient whose course (discharge, re-enrollment, higher care) she may record; 404 otherwise."""
    return get_patient_for_change(user, pk, "patients.change_patient_status")
