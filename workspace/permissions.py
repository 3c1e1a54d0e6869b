"""Who may open the top layer's own pages: the supervisors' overview of their coaches and the admins' program
figures. Each rule is read from the lower apps' permission layers, never from a role's name."""

from __future__ import annotations

from django.http import Http404

from coaching import permissions as coaching_permissions
from patients import permissions as patient_permissions
from recovery_program.models import Export
from referrals import permissions as referral_permissions
from staff import permissions as staff_permissions
from staff.models import User
from supervision import permissions as supervision_permissions

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


def get_user_for_program_figures(user: User) -> User:
    """The admin herself, whose program's figures she may see; 404 for anyone else."""
    if not sees_program_figures(user):
        raise Http404
    return user
