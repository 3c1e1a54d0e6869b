"""Who may see and do what with patients. The only place that decides it.

Supervisors hold the patient permissions for their whole program (through their
role's group). Coaches hold them only on the patients of their current caseload
(django-guardian object permissions, granted and revoked with the coach
assignment in patients.services). Admins hold none: they see counts only.
No access and no such patient both give 404, and so does a change page to someone
who may only look: out of reach is a 404, whatever the reason.
"""

from __future__ import annotations

import datetime
from typing import cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from patients.interviews import EpisodeInterviews, due_episodes, episode_interviews, with_interview_dates
from patients.models import (
    BreakGlass,
    Child,
    ChildCustody,
    CoachAssignment,
    Consent,
    ConsentQuerySet,
    CoverGrant,
    DischargeReason,
    Episode,
    GrantInterview,
    Patient,
    PatientQuerySet,
    Pregnancy,
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
    """Patients of her own program.

    Supervisors (view_patient for the program): all of them, unless the program keeps each supervisor to her own
    (`Program.supervisors_see_all` off): then the women on the caseloads of the coaches she supervises now, the
    women whose clinical provider she is, the women without a coach, and a woman whose record she opened in an
    emergency until that access ends (`BreakGlass.ends_at`).
    Coaches: those she holds view_patient on as an object permission (her current caseload), and, on the days of
    a cover (`CoverGrant`, in the program's dates, unless a supervisor ended it early), the current caseload of the
    coach she covers.
    One query either way, whatever the data.
    """
    if not user.is_active:
        return Patient.objects.none()
    program_patients = Patient.objects.filter(program_id=user.program_id)
    if user.has_perm("patients.view_patient"):
        return program_patients.filter(Q(program__supervisors_see_all=True) | _own_reach(user))
    # Built once per user object and day (a page asks up to seven times; guardian's subquery takes ~2 ms to build).
    # The queryset is lazy: each use reads the permissions as they are then; only the day it was built for is kept.
    key = (timezone.localdate(), user.program_id, user.has_perm("patients.view_caseload"))
    built = getattr(user, "_patients_visible", None)
    if built is not None and built[0] == key:
        return built[1].all()
    visible = _caseload_of(user, program_patients, today=key[0])
    user._patients_visible = (key, visible)  # type: ignore[attr-defined]
    return visible.all()


def _caseload_of(user: User, program_patients: PatientQuerySet, *, today: datetime.date) -> PatientQuerySet:
    """A coach's reach (see patients_visible_to): her caseload through guardian, and a covered coach's today."""
    # guardian filters the queryset it is given, so the result keeps the patients' own queryset methods.
    caseload = cast(
        PatientQuerySet,
        get_objects_for_user(
            user, "patients.view_patient", klass=program_patients, accept_global_perms=False, with_superuser=False
        ),
    )
    if not user.has_perm("patients.view_caseload"):
        return caseload
    covered = CoachAssignment.objects.filter(
        patient=OuterRef("pk"),
        ended_on__isnull=True,
        coach__covered_during__covering=user,
        coach__covered_during__starts_on__lte=today,
        coach__covered_during__ends_on__gte=today,
        coach__covered_during__ended_early_at__isnull=True,
    )
    return caseload | program_patients.filter(Exists(covered))


def _own_reach(user: User) -> Q:
    """A supervisor's own women, when the program keeps supervisors to their own (see patients_visible_to)."""
    open_assignments = CoachAssignment.objects.filter(patient=OuterRef("pk"), ended_on__isnull=True)
    supervised = open_assignments.filter(
        coach__supervised_by__supervisor=user, coach__supervised_by__ended_on__isnull=True
    )
    now = timezone.now()
    opened = BreakGlass.objects.filter(patient=OuterRef("pk"), user=user, opened_at__lte=now, ends_at__gt=now)
    return Q(clinical_provider=user) | Q(Exists(supervised)) | Q(~Exists(open_assignments)) | Q(Exists(opened))


def break_glass_open_for(user: User, patient: Patient) -> BreakGlass | None:
    """Her break-glass access to this woman open now, if any: the patient page says so at the top."""
    if not can_break_glass(user):
        return None
    now = timezone.now()
    return BreakGlass.objects.filter(user=user, patient=patient, opened_at__lte=now, ends_at__gt=now).first()


def break_glass_reads(grant: BreakGlass) -> QuerySet[AccessLog]:
    """What she read under a break-glass access: her access-log rows about the woman inside its window. The grant's
    times, user and patient cannot change (a trigger), so this is fixed once the window has passed."""
    return (
        AccessLog.objects.about(grant.patient_id)
        .filter(user_id=grant.user_id, at__gte=grant.opened_at, at__lt=grant.ends_at)
        .order_by("at", "id")
    )


def cover_grants_for(user: User) -> QuerySet[CoverGrant]:
    """The covers she gives or receives whose last day has not passed (her program's today), for a coach's home
    page; one a supervisor ended early is among them, marked so, until its last day would have passed."""
    if not user.has_perm("patients.view_caseload"):
        return CoverGrant.objects.none()
    today = timezone.localdate()
    return (
        CoverGrant.objects.filter(program_id=user.program_id, ends_on__gte=today)
        .filter(Q(covering=user) | Q(covered=user))
        .select_related("covering", "covered")
        .order_by("starts_on", "pk")
    )


def covers_not_over(user: User) -> QuerySet[CoverGrant]:
    """The program's covers that have not ended, for the supervisors who give them; none for anyone else."""
    if not can_give_cover(user):
        return CoverGrant.objects.none()
    return (
        CoverGrant.objects.filter(program_id=user.program_id, ends_on__gte=timezone.localdate())
        .select_related("covering", "covered", "created_by")
        .order_by("starts_on", "pk")
    )


def can_give_cover(user: User) -> bool:
    """Supervisors (who assign coaches) give one coach cover of another's caseload, and end it early."""
    return user.has_perm("patients.assign_coach")


def get_cover_for_end(user: User, pk: int) -> CoverGrant:
    """A cover of her program not over yet and not already ended, for a supervisor to end early; 404 otherwise."""
    try:
        return covers_not_over(user).filter(ended_early_at__isnull=True).get(pk=pk)
    except (CoverGrant.DoesNotExist, ValueError):
        raise Http404("No such cover.") from None


def can_keep_discharge_reasons(user: User) -> bool:
    """Supervisors keep their program's list of discharge reasons (add, rename, retire); nobody else sees it."""
    return user.is_active and user.has_perm("patients.change_dischargereason")


def discharge_reasons_kept_by(user: User) -> QuerySet[DischargeReason]:
    """Her program's discharge reasons, retired ones too, for the supervisors who keep them; 404 for anyone else."""
    if not can_keep_discharge_reasons(user):
        raise Http404
    return DischargeReason.objects.filter(program_id=user.program_id)


def get_discharge_reason_for_change(user: User, pk: int) -> DischargeReason:
    try:
        return discharge_reasons_kept_by(user).get(pk=pk)
    except (DischargeReason.DoesNotExist, ValueError):
        raise Http404("No such reason.") from None


def get_patient_for_transfer(user: User, pk: int) -> Patient:
    """A woman with a coach now, whom she may assign a coach (supervisors of her program); 404 otherwise."""
    patient = get_patient_for_change(user, pk, "patients.assign_coach")
    if not patient.assignments.filter(ended_on__isnull=True).exists():
        raise Http404
    return patient


def get_patient_for_user(user: User, pk: int) -> Patient:
    """The patient if she may see her; 404 otherwise, exactly as if there were no such patient."""
    try:
        return patients_visible_to(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError):
        raise Http404("No such patient.") from None


# Bumped whenever this process grants or revokes object permissions: a user object that read hers before reads
# them again (the service may have granted them through another copy of the same account).
_grants_changed = 0


def _object_perms(user: User) -> ObjectPermissionChecker:
    """Her guardian object permissions, read once per patient for the life of this user object (a request), as
    Django keeps her role's: a woman's page asks up to eight of them."""
    kept = user.__dict__.get("_object_perms")
    if kept is None or kept[0] != _grants_changed:
        kept = user.__dict__["_object_perms"] = (_grants_changed, ObjectPermissionChecker(user))
    return kept[1]


def forget_object_perms() -> None:
    """Called by the services that grant or revoke object permissions."""
    global _grants_changed
    _grants_changed += 1


def has_patient_perm(user: User, perm: str, patient: Patient) -> bool:
    """May she do `perm` ("app_label.codename") on this patient, whom she can already see?"""
    if user.has_perm(perm):
        return True
    app_label, _dot, _codename = perm.partition(".")
    return user.is_active and app_label == "patients" and _object_perms(user).has_perm(perm, patient)


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
    assignments = patient.assignments.select_related("coach", "assigned_by", "compliance_override_by")[:20]
    return [(a, a.end_reason if sees_all or a.end_reason_shared_with_coach else "") for a in assignments]


def patient_perms(user: User, patient: Patient) -> set[str]:
    """The actions of PATIENT_ACTIONS she may take on this patient (codenames), for templates."""
    object_perms = set(_object_perms(user).get_perms(patient)) if user.is_active else set()
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
    """Supervisors download the list of women they see as a CSV; coaches do not (a file of names that leaves the
    app is more than a coach working from her phone needs)."""
    return user.has_perm("patients.export_patients")


def consents_visible_to(user: User, patient: Patient) -> ConsentQuerySet:
    """Consents are for the clinical staff who may record a disclosure; a coach sees none (she sees their summary,
    `consent_summary_for`)."""
    if not has_patient_perm(user, "patients.view_consent", patient):
        return Consent.objects.none()
    return patient.consents.all()


def consent_summary_for(user: User, patient: Patient) -> ConsentQuerySet:
    """What she has agreed may be shared today, with whom and until when: her current consents, for anyone who may see
    her (her coach too, so that at court or the Family Resource Center she knows what she may say). The page shows
    their recipient, scope and end only: never the disclosures made on them, nor the signed form."""
    if not patients_visible_to(user).filter(pk=patient.pk).exists():
        return Consent.objects.none()
    return patient.consents.current()


def get_signed_consent_for_user(user: User, patient: Patient, consent_pk: int) -> Consent:
    """A consent of hers whose signed form this user may open: those who see her consents (supervisors of her
    program within their reach). Not her coach: the summary tells her what she may say, and the form itself carries
    more than she needs (her signature, her details). No form kept, or out of reach: 404."""
    try:
        consent = (
            consents_visible_to(user, patient)
            .filter(patient__in=patients_visible_to(user))  # whoever handed her in, another program's is a 404
            .exclude(signed_form="")
            .get(pk=consent_pk)
        )
    except (Consent.DoesNotExist, ValueError):
        raise Http404("No such consent.") from None
    return consent


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
    return AccessLog.objects.about(patient.pk).select_related("user")


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
    enrolled = {gettext("Enrolled"): counts.pop("total")}
    return enrolled | {str(ProgramStatus(key).label): value for key, value in counts.items()}


def can_break_glass(user: User) -> bool:
    """Supervisors of a program that keeps each supervisor to her own women may ask to open another's record in an
    emergency (whether she is on call now, the service decides). Coaches and admins never: their page is a 404."""
    return user.is_active and user.has_perm("patients.view_patient") and not user.program.supervisors_see_all


def patient_for_break_glass(user: User, *, legal_name: str, date_of_birth: datetime.date) -> Patient | None:
    """The woman of her own program with this legal name (any case) and date of birth whom she cannot see now;
    None if there is none (another program's women are never found). Both are asked so that nobody is listed."""
    if not can_break_glass(user):
        return None
    return (
        Patient.objects.filter(
            program_id=user.program_id, legal_name__iexact=legal_name.strip(), date_of_birth=date_of_birth
        )
        .exclude(pk__in=patients_visible_to(user).values("pk"))
        .order_by("pk")
        .first()
    )


def break_glass_visible_to(user: User) -> QuerySet[BreakGlass]:
    """Break-glass accesses of her program, for its supervisors (who review them); none for anyone else."""
    if not (user.is_active and user.has_perm("patients.view_patient")):
        return BreakGlass.objects.none()
    return BreakGlass.objects.filter(program_id=user.program_id).select_related("user", "reviewed_by", "patient")


def get_break_glass_for_user(user: User, pk: int) -> BreakGlass:
    try:
        return break_glass_visible_to(user).get(pk=pk)
    except (BreakGlass.DoesNotExist, ValueError):
        raise Http404("No such record.") from None


def break_glass_awaiting_review(user: User) -> QuerySet[BreakGlass]:
    """Accesses no supervisor has reviewed yet, oldest first, except her own (someone else reviews those)."""
    return break_glass_visible_to(user).filter(reviewed_at__isnull=True).exclude(user=user).order_by("opened_at")


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


def can_keep_pregnancies(user: User, patient: Patient) -> bool:
    """Her coach and the supervisors who see her record her pregnancies (due date, care, delivery, Plan of Safe
    Care); admins never reach her."""
    return has_patient_perm(user, "patients.change_pregnancy", patient)


def get_patient_for_pregnancy(user: User, pk: int) -> Patient:
    """The woman whose pregnancies she may record (see can_keep_pregnancies); 404 otherwise."""
    return get_patient_for_change(user, pk, "patients.change_pregnancy")


def pregnancies_for(user: User, patient: Patient) -> QuerySet[Pregnancy]:
    """Her pregnancies, newest first, for anyone who sees her (the caller fetched her through this layer)."""
    if not patients_visible_to(user).filter(pk=patient.pk).exists():
        return Pregnancy.objects.none()
    return Pregnancy.objects.filter(program_id=user.program_id, patient=patient)


def sees_custody(user: User, patient: Patient) -> bool:
    """Custody and child protective services are for supervisors of her program only: never her coach (who sees
    where a child lives, the next court date and the visits), never admins."""
    return has_patient_perm(user, "patients.view_childcustody", patient)


def children_for(user: User, patient: Patient) -> list[tuple[Child, ChildCustody | None]]:
    """Her children, each with custody and CPS involvement when she may see them (supervisors), None otherwise.
    One query either way; a coach's query never reads the custody table."""
    children = Child.objects.filter(program_id=user.program_id, patient=patient)
    if not sees_custody(user, patient):
        return [(child, None) for child in children]
    return [(child, getattr(child, "custody", None)) for child in children.select_related("custody")]


def get_child_for_custody(user: User, pk: int, child_pk: int) -> Child:
    """A child of a woman whose children's custody she may record (supervisors of her program), with her custody
    record if there is one (`child.custody`); 404 otherwise."""
    patient = get_patient_for_change(user, pk, "patients.change_childcustody")
    try:
        return Child.objects.select_related("patient", "custody").get(
            program_id=user.program_id, patient=patient, pk=child_pk
        )
    except (Child.DoesNotExist, ValueError):
        raise Http404("No such child.") from None


# The grant's interviews: dates and status of clinical enrollment facts, for her coach and her program's supervisors.


def can_record_interviews(user: User, patient: Patient) -> bool:
    """Her coach (and a coach covering her) and the supervisors who see her record that an interview was done,
    not reached or declined; admins never (add_grantinterview is a clinical role's). She is a woman this user
    sees: `patients_visible_to`."""
    return (
        user.is_active
        and user.has_perm("patients.add_grantinterview")
        and patients_visible_to(user).filter(pk=patient.pk).exists()
    )


def get_patient_for_interviews(user: User, pk: int) -> Patient:
    """The woman whose interviews she may record; 404 otherwise (out of reach, or an admin)."""
    patient = get_patient_for_user(user, pk)
    if not user.has_perm("patients.add_grantinterview"):
        raise Http404
    return patient


def interviews_for(user: User, patient: Patient) -> list[EpisodeInterviews]:
    """Her interviews by episode, newest episode first, with the follow-up's window and status, for those who
    record them (her coach, supervisors who see her); nothing for anyone else. Two queries."""
    if not user.has_perm("patients.add_grantinterview"):
        return []
    episodes = list(patient.episodes.order_by("-started_on", "-id")[:20])
    rows = GrantInterview.objects.filter(episode__in=[e.pk for e in episodes]).select_related("corrected_by")
    by_episode: dict[int, list[GrantInterview]] = {}
    for row in rows:
        by_episode.setdefault(row.episode_id, []).append(row)
    today = timezone.localdate()
    return [episode_interviews(patient.program, e, by_episode.get(e.pk, []), today) for e in episodes]


def can_see_interviews_due(user: User) -> bool:
    """Coaches (their caseload) and supervisors (their program) see the interviews due; admins do not."""
    return user.is_active and user.has_perm("patients.add_grantinterview") and can_list_patients(user)


def interviews_due_for(user: User, *, coach_id: int | None = None) -> QuerySet[Episode]:
    """Episodes of the women she sees with an interview due in the next 30 days (`patients.interviews`), with
    the woman; a supervisor may keep to one coach's current caseload. 404 for anyone who may not see the list."""
    if not can_see_interviews_due(user):
        raise Http404
    episodes = Episode.objects.filter(
        program_id=user.program_id, patient__in=patients_visible_to(user).values("pk")
    ).select_related("patient")
    if coach_id is not None:
        episodes = episodes.filter(patient__assignments__coach_id=coach_id, patient__assignments__ended_on__isnull=True)
    return due_episodes(user.program, episodes, timezone.localdate())


def episodes_with_interview_dates(user: User, patients: QuerySet[Patient]) -> QuerySet[Episode]:
    """Her program's episodes of the women given (already read through `patients_visible_to`), with their interview
    dates (`patients.interviews.with_interview_dates`), for those who see the interviews; none for anyone else."""
    if not user.has_perm("patients.add_grantinterview"):
        return Episode.objects.none()
    episodes = Episode.objects.filter(program_id=user.program_id, patient__in=patients.values("pk"))
    return with_interview_dates(user.program, episodes)


def can_correct_interviews(user: User) -> bool:
    """A supervisor corrects her program's recorded interviews (change_grantinterview); coaches and admins never."""
    return user.is_active and user.has_perm("patients.change_grantinterview") and user.program_id is not None


def get_interview_to_correct(user: User, pk: int, interview_pk: int) -> GrantInterview:
    """One of her recorded interviews, for a supervisor of her program to correct; 404 for everyone else."""
    if not can_correct_interviews(user):
        raise Http404
    patient = get_patient_for_interviews(user, pk)
    return get_object_or_404(
        GrantInterview.objects.select_related("patient", "corrected_by", "recorded_by"),
        pk=interview_pk,
        patient=patient,
        program_id=user.program_id,
    )


def can_correct_interviews_of(user: User, patient: Patient) -> bool:
    """A supervisor of her program, on her page: the links to correct her interviews."""
    return (
        can_correct_interviews(user) and patient.program_id == user.program_id and can_record_interviews(user, patient)
    )
