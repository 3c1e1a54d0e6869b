"""Who may open the top layer's own pages: the supervisors' overview of their coaches and reports, and the admins'
program figures. Each rule is read from the lower apps' permission layers, never from a role's name."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from coaching import permissions as coaching_permissions
from coaching.models import Barc10, Concern, Encounter, EncounterPatient
from patients import permissions as patient_permissions
from patients.models import Episode, Pregnancy
from recovery_program.models import Export
from referrals import permissions as referral_permissions
from referrals.models import OPEN_REFERRAL_STATUSES, Referral, ReferralStatusChange
from staff import permissions as staff_permissions
from staff.models import Program, User
from supervision import permissions as supervision_permissions
from supervision.models import SupervisionSession

# How many of the program's latest downloads the export page lists.
RECENT_EXPORTS = 20


def sees_coach_overview(user: User) -> bool:
    """Supervisors: they see their program's patients, encounters and supervision. Coaches and admins do not."""
    return (
        user.is_active
        and supervision_permissions.sees_program_supervision(user)
        and patient_permissions.sees_whole_program(user)
        and coaching_permissions.can_see_encounters(user)
    )


def can_export(user: User) -> bool:
    """Supervisors, who see their program's encounters, concerns, referrals and women, download those lists
    (de-identified unless they ask otherwise). Coaches and admins do not: their export pages are a 404."""
    return (
        user.is_active
        and patient_permissions.can_export(user)
        and coaching_permissions.sees_program_concerns(user)
        and referral_permissions.sees_clinical_actions(user)
    )


def can_export_identified(user: User) -> bool:
    """Who may download a list with names, dates and notes (giving a reason, which is kept): supervisors."""
    return can_export(user)


def export_coaches_for(user: User):
    """The coaches a supervisor may narrow an export to: her program's. None for anyone else."""
    return coaching_permissions.coaches_to_filter_by(user) if can_export(user) else User.objects.none()


def recent_exports_for(user: User):
    """Her program's latest downloads, with who made them and why, on the export page: supervisors only."""
    if not can_export(user):
        return Export.objects.none()
    return Export.objects.filter(user__program_id=user.program_id).select_related("user", "coach")[:RECENT_EXPORTS]


def sees_program_figures(user: User) -> bool:
    """Admins, who follow the whole program's staff and training: counts only, no patient's record."""
    return user.is_active and staff_permissions.can_export_compliance(user)


def overview_coaches_for(user: User, *, everyone: bool, coach_id: str | None) -> list[User]:
    """The coaches her overview shows: one coach of her program (a coach out of reach is a 404), every active
    coach of the program, or (the default) the coaches she supervises now. 404 for anyone but a supervisor."""
    if not sees_coach_overview(user):
        raise Http404
    one = coaching_permissions.coach_filter_for(user, coach_id)
    if one is not None:
        return [one]
    if everyone:
        coaches = patient_permissions.coaches_assignable_by(user)
    else:
        coaches = supervision_permissions.coaches_supervised_by(user)
    return list(coaches.order_by("first_name", "last_name", "pk").prefetch_related("groups"))


@dataclass(frozen=True)
class HerPatients:
    """A clinical provider's own women (`Patient.clinical_provider`): their open concerns, most urgent first, and
    their referrals still under way, each list cut to `shown`, and how many there are in all."""

    concerns: list[Concern]
    concerns_count: int
    referrals: list[Referral]
    referrals_count: int


def her_patients_for(user: User, *, shown: int) -> HerPatients | None:
    """For the home page of a supervisor who is someone's clinical provider: what waits about her own women, read
    from the concern queue and the referrals she may see. None for anyone else (coaches and admins are nobody's
    clinical provider; a supervisor may be nobody's). Four queries, whatever the numbers."""
    if not (coaching_permissions.can_act_on_concerns(user) and referral_permissions.sees_clinical_actions(user)):
        return None
    if not patient_permissions.patients_visible_to(user).filter(clinical_provider=user).exists():
        return None
    concerns = coaching_permissions.concern_queue_for(user).filter(patient__clinical_provider=user)
    referrals = (
        referral_permissions.records_visible_to(user, Referral)
        .filter(patient__clinical_provider=user, status__in=OPEN_REFERRAL_STATUSES)
        .select_related("patient")
        .order_by("referred_on", "pk")
    )
    return HerPatients(
        concerns=list(concerns[:shown]),
        concerns_count=concerns.count(),
        referrals=list(referrals[:shown]),
        referrals_count=referrals.count(),
    )


def get_user_for_program_figures(user: User) -> User:
    """The admin herself, whose program's figures she may see; 404 for anyone else."""
    if not sees_program_figures(user):
        raise Http404
    return user


def sees_program_reports(user: User) -> bool:
    """Supervisors (program directors hold the role): the program's reports, counted from the records they may
    read. Coaches and admins do not (admins have the program figures, with no clinical count)."""
    return sees_coach_overview(user) and referral_permissions.sees_clinical_actions(user)


@dataclass(frozen=True)
class ReportSources:
    """The rows a supervisor's reports are counted from, each read through its own app's permission layer."""

    program: Program
    episodes: QuerySet[Episode]
    encounters: QuerySet[Encounter]
    encounter_patients: QuerySet[EncounterPatient]
    concerns: QuerySet[Concern]
    referrals: QuerySet[Referral]
    referral_changes: QuerySet[ReferralStatusChange]
    sessions: QuerySet[SupervisionSession]
    coaches: QuerySet[User]
    pregnancies: QuerySet[Pregnancy]
    barc10s: QuerySet[Barc10] | None = None


def report_sources_for(user: User) -> ReportSources:
    """What the program's reports count, for a supervisor of the program: her own program's women, encounters,
    concerns, referrals and supervision, nothing of another program's. 404 for anyone else."""
    if not sees_program_reports(user):
        raise Http404
    patients = patient_permissions.patients_visible_to(user)
    encounters = coaching_permissions.encounters_visible_to(user)
    referrals = referral_permissions.records_visible_to(user, Referral)
    return ReportSources(
        program=user.program,
        episodes=Episode.objects.filter(program_id=user.program_id, patient__in=patients),
        encounters=encounters,
        encounter_patients=coaching_permissions.encounter_patients_visible_to(user).filter(patient__in=patients),
        concerns=coaching_permissions.concerns_visible_to(user),
        referrals=referrals,
        referral_changes=ReferralStatusChange.objects.filter(referral__in=referrals),
        sessions=supervision_permissions.sessions_visible_to(user),
        coaches=coaching_permissions.coaches_to_filter_by(user),
        pregnancies=Pregnancy.objects.filter(program_id=user.program_id, patient__in=patients),
        barc10s=coaching_permissions.barc10s_for_reports(user),
    )
