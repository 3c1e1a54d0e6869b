"""Writes about staff, training and supervision links."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from recovery_program.audit import Actor
from recovery_program.mail import send_templated
from staff.models import Program, TrainingKind, TrainingRecord, TrainingReminder, TrainingRequirement, User
from staff.roles import Role, members_with_role
from staff.sessions import StaffSession
from staff.training import STANDARD_KINDS, STANDARD_REQUIREMENTS


@transaction.atomic
def user_set_role(*, user: User, role: Role) -> None:
    """Give her exactly one role: her permissions change from her next request on."""
    user.groups.set([Group.objects.get(name=role)])
    user.__dict__.pop("role", None)


@transaction.atomic
def staff_create(*, actor: Actor, fields: dict[str, Any], role: Role) -> User:
    """A new account in the actor's program, with no usable password until she follows the link sent to her."""
    user = User(program_id=actor.user.program_id, **fields)
    user.set_unusable_password()
    user.save()
    user_set_role(user=user, role=role)
    transaction.on_commit(lambda: _enqueue_password_link(user.pk, welcome=True))
    return user


def _enqueue_password_link(user_id: int, *, welcome: bool) -> None:
    from staff.tasks import send_password_link

    send_password_link.delay(user_id, welcome=welcome)


def staff_send_password_link(*, user: User) -> None:
    """A one-time link to set a new password, sent by e-mail after this transaction commits."""
    transaction.on_commit(lambda: _enqueue_password_link(user.pk, welcome=False))


def password_link_send(user_id: int, *, welcome: bool) -> None:
    user = User.objects.get(pk=user_id, is_active=True)
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_templated(
        "welcome" if welcome else "password_link",
        to=[user.email],
        context={"user": user, "link": settings.SITE_URL.rstrip("/") + path},
    )


@transaction.atomic
def staff_deactivate(*, actor: Actor, user: User) -> list[int]:
    """She can no longer log in; her open sessions end at once; her records stay hers.

    A coach's patients are left without a coach (her access ends with her assignments), and
    returned so that the app can list them for supervisors to reassign. Her unfinished drafts,
    working copies that were never records, are removed.
    """
    from coaching.services import drafts_discard_all
    from patients.services import coach_leaves

    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)
    drafts_discard_all(user=user)
    return coach_leaves(actor=actor, coach=user, on=timezone.localdate())


def _end_sessions(user: User) -> None:
    StaffSession.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def staff_reactivate(*, user: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])


@transaction.atomic
def program_setup(*, program: Program) -> None:
    """The standard training kinds and role requirements for a program. Safe to run again."""
    kinds = {}
    for name, months, by_hours in STANDARD_KINDS:
        kinds[name], _ = TrainingKind.objects.get_or_create(
            program=program, name=name, defaults={"validity_months": months, "counts_as_hours": by_hours}
        )
    for role, requirements in STANDARD_REQUIREMENTS.items():
        for name, hours, months in requirements:
            TrainingRequirement.objects.get_or_create(
                program=program, role=role, kind=kinds[name], defaults={"hours": hours, "period_months": months}
            )


@transaction.atomic
def training_record_add(*, actor: Actor, user: User, fields: dict[str, Any]) -> TrainingRecord:
    return TrainingRecord.objects.create(user=user, recorded_by=actor.user, **fields)


REMINDER_STEPS = [
    (7, TrainingReminder.Step.DAYS_7),
    (30, TrainingReminder.Step.DAYS_30),
    (60, TrainingReminder.Step.DAYS_60),
]


def _latest_records():
    """The latest record of each kind for each active staff member (a renewal replaces the old record)."""
    latest = (
        TrainingRecord.objects.filter(user__is_active=True, kind__is_active=True)
        .order_by("user_id", "kind_id", "-completed_on", "-id")
        .distinct("user_id", "kind_id")
        .values("pk")
    )
    return TrainingRecord.objects.filter(pk__in=latest, expires_on__isnull=False)


def training_reminders_plan(*, program: Program, today: datetime.date) -> list[int]:
    """Writes a reminder row for every record of the program's staff that reached a step today (its date) or
    earlier; returns the unsent ones.

    A record 20 days from expiry gets its 30-day reminder; the 60-day one, missed, is never sent late.
    """
    records = list(
        _latest_records()
        .filter(user__program=program, expires_on__lte=today + datetime.timedelta(days=60))
        .prefetch_related("reminders")
    )
    due = []
    for record in records:
        days_left = (record.expires_on - today).days
        if days_left < 0:
            step = TrainingReminder.Step.LAPSED
        else:
            step = next(step for limit, step in REMINDER_STEPS if days_left <= limit)
        if not {reminder.step for reminder in record.reminders.all()} & set(_steps_at_or_after(step)):
            due.append(TrainingReminder(record=record, step=step))
    # Two runs at once write each row once: the unique (record, step) constraint settles it.
    TrainingReminder.objects.bulk_create(due, ignore_conflicts=True)
    unsent = TrainingReminder.objects.filter(record__user__program=program, sent_at__isnull=True)
    return list(unsent.values_list("pk", flat=True))


def _steps_at_or_after(step: str) -> list[str]:
    order = [
        TrainingReminder.Step.DAYS_60,
        TrainingReminder.Step.DAYS_30,
        TrainingReminder.Step.DAYS_7,
        TrainingReminder.Step.LAPSED,
    ]
    return order[order.index(step) :]


@transaction.atomic
def training_reminder_send(reminder_id: int) -> bool:
    """Sends one reminder unless it was sent already. True if it sent."""
    from supervision.permissions import current_supervisor_of

    reminder = (
        TrainingReminder.objects.select_for_update(skip_locked=True)
        .select_related("record__user", "record__kind")
        .filter(pk=reminder_id, sent_at__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    record, user = reminder.record, reminder.record.user
    context = {"user": user, "record": record, "link": settings.SITE_URL.rstrip("/") + reverse("staff:my_training")}
    if reminder.step == TrainingReminder.Step.LAPSED:
        supervisor = current_supervisor_of(user)
        admins = members_with_role(Role.ADMIN, program_id=user.program_id)
        to = sorted({u.email for u in [*admins, *([supervisor] if supervisor else [])]})
        send_templated("training_lapsed", to=to, context=context)
    else:
        send_templated("training_expiring", to=[user.email], context=context | {"days": reminder.step})
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    return True


def training_reminder_ids_due(*, program: Program, today: datetime.date) -> list[int]:
    with transaction.atomic():
        return training_reminders_plan(program=program, today=today)


@transaction.atomic
def two_step_reset(*, user: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
