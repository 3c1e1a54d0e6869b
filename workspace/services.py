"""Writes that reach across apps: each is one transaction over the services of the apps it touches."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from coaching.services import drafts_discard_all
from patients.services import coach_leaves
from recovery_program.audit import Actor
from staff.models import User
from staff.sessions import StaffSession


@transaction.atomic
def staff_deactivate(*, actor: Actor, user: User) -> list[int]:
    """She can no longer log in; her open sessions end at once; her records stay hers.

    A coach's patients are left without a coach (her access ends with her assignments), and
    returned so that the app can list them for supervisors to reassign. Her unfinished drafts,
    working copies that were never records, are removed.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)
    drafts_discard_all(user=user)
    return coach_leaves(actor=actor, coach=user, on=timezone.localdate())


def _end_sessions(user: User) -> None:
    StaffSession.objects.filter(user_id=user.pk).delete()
