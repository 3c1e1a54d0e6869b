"""Who may see which staff members. The only place that decides it."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q, QuerySet

from staff.models import User
from staff.roles import Role


def staff_visible_to(user: User) -> QuerySet[User]:
    """Supervisors and admins see the staff of their own program; coaches see no staff list."""
    if not user.has_perm("staff.view_program_staff"):
        return User.objects.none()
    return User.objects.filter(program_id=user.program_id).prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("name"))
    )


def supervisors_reachable_by(user: User) -> QuerySet[User]:
    """Everyone may see who the active supervisors of her own program are, and how to reach them."""
    return User.objects.filter(program_id=user.program_id, is_active=True, groups__name=Role.SUPERVISOR)


def staff_counts_for(user: User) -> dict[str, int] | None:
    """Active staff of her program counted by role, for those who see the staff list; otherwise None."""
    if not user.has_perm("staff.view_program_staff"):
        return None
    counts = User.objects.filter(program_id=user.program_id, is_active=True).aggregate(
        **{role.value: Count("pk", filter=Q(groups__name=role.value), distinct=True) for role in Role}
    )
    plural = {Role.COACH: "Coaches", Role.SUPERVISOR: "Supervisors", Role.ADMIN: "Admins"}
    return {plural[Role(name)]: count for name, count in counts.items()}
