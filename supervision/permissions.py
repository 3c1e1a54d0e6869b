"""Who supervises whom, and who may change it. The only place that decides it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from staff.models import User
from staff.roles import Role
from supervision.models import SupervisionAssignment


def current_supervisor_of(coach: User) -> User | None:
    assignment = (
        SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).select_related("supervisor").first()
    )
    return assignment.supervisor if assignment else None


def supervisees_of(user: User) -> QuerySet[User]:
    """The coaches she supervises now (none for anyone who is not a supervisor)."""
    return User.objects.filter(
        program_id=user.program_id,
        supervised_by__supervisor=user,
        supervised_by__ended_on__isnull=True,
    )


def can_assign_supervisors(user: User) -> bool:
    """Admins and supervisors keep the supervision links of their program."""
    return user.has_perm("supervision.add_supervisionassignment")


def get_coach_for_supervision(user: User, pk) -> User:
    """A coach of her program whose supervisor she may set; 404 for anyone else."""
    if not can_assign_supervisors(user):
        raise Http404
    try:
        return User.objects.get(pk=pk, program_id=user.program_id, groups__name=Role.COACH)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None


def supervision_history(coach: User) -> QuerySet[SupervisionAssignment]:
    return coach.supervised_by.select_related("supervisor", "assigned_by")
