"""Writes about staff, training and supervision links."""

from __future__ import annotations

import calendar
import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, gettext_lazy

from recovery_program import outbox
from recovery_program.audit import Actor
from recovery_program.models import Outgoing
from staff.models import (
    ON_CALL_LINE_PATTERN,
    AccountChangeRequest,
    Program,
    StaffEvent,
    TrainingKind,
    TrainingRecord,
    TrainingReminder,
    TrainingRequirement,
    User,
)
from staff.permissions import needs_a_second_person, proposing_side
from staff.roles import Role
from staff.sessions import StaffSession
from staff.tokens import password_link_tokens
from staff.training import STANDARD_KINDS, STANDARD_REQUIREMENTS


def staff_event_record(
    actor: Actor | None,
    action: StaffEvent.Action,
    *,
    subject: User | None = None,
    program_id: int | None = None,
    description: str = "",
) -> StaffEvent:
    """The staff history row, written in the caller's transaction: about her account (`subject`), or a setting
    of the program. No actor: the operators, or a command."""
    program_id = subject.program_id if subject else program_id
    if program_id is None:
        raise ValueError("A staff history row belongs to a program: name her account or the program.")
    return StaffEvent.objects.create(
        actor=actor.user if actor else None,
        program_id=program_id,
        subject=subject,
        action=action,
        description=description[:300],
    )


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if name == "office_days":
        return ", ".join(calendar.day_abbr[int(day)] for day in value)
    return str(value)


def _change(instance: models.Model, fields: dict[str, Any]) -> dict[str, str]:
    """Sets the fields whose value differs; returns each changed field with what changed, in words."""
    changed = {}
    for name, value in fields.items():
        before = getattr(instance, name)
        if before != value:
            field = instance._meta.get_field(name)
            # The history is written once, in the site's language, whoever's language the page was in.
            with translation.override(settings.LANGUAGE_CODE):
                label = str(getattr(field, "verbose_name", name)).capitalize()
            changed[name] = f"{label}: {_shown(name, before)} → {_shown(name, value)}"
            setattr(instance, name, value)
    return changed


# What she is told when she tries it on her own account, whole sentences so that each language can word them.
OWN_ACCOUNT_REFUSALS = {
    "role": gettext_lazy("You cannot change your own role here. Another admin of your program can."),
    "email": gettext_lazy("You cannot change your own e-mail address here. Another admin of your program can."),
    "two_step": gettext_lazy("You cannot turn off your own two-step login here. Another admin of your program can."),
    "account": gettext_lazy("You cannot deactivate your own account here. Another admin of your program can."),
}


def refuse_own_account(actor: Actor | None, user: User, *, field: str) -> None:
    """Nobody changes her own role, e-mail address, two-step login or account through the pages where she
    manages other people's: another admin of her program does. Refused next to `field`."""
    if actor is not None and actor.user.pk == user.pk:
        raise ValidationError({field: str(OWN_ACCOUNT_REFUSALS[field])})


def _label(role: Role | str) -> str:
    """A role's name for the staff history, which is written in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(Role(role).label)


def _give_role(user: User, role: Role) -> None:
    user.groups.set([Group.objects.get(name=role)])
    user.__dict__.pop("role", None)


@transaction.atomic
def user_set_role(*, actor: Actor | None, user: User, role: Role, note: str = "") -> None:
    """Give her exactly one role: her permissions change from her next request on. The staff history says who.

    The low-level setter: the staff pages go through `workspace.services.staff_role_change`, which also ends
    what her old role held (`note` says what, in the history). No actor: the operators, or a command (seeding,
    tests).
    """
    user.__dict__.pop("role", None)
    before = user.role
    if before == role:
        return
    _give_role(user, role)
    staff_event_record(
        actor,
        StaffEvent.Action.ROLE_CHANGED,
        subject=user,
        description=f"{_label(before) if before else 'No role'} → {_label(role)}" + (f"; {note}" if note else ""),
    )


@transaction.atomic
def staff_create(*, actor: Actor, fields: dict[str, Any], role: Role) -> User:
    """A new account in the actor's program, with no usable password until she follows the link sent to her.

    A clinical role is proposed, not given: she has no role until someone of the other side approves it.
    """
    user = User(program_id=actor.user.program_id, **fields)
    user.set_unusable_password()
    user.save()
    clinical = needs_a_second_person(role)
    if not clinical:
        _give_role(user, role)
    staff_event_record(
        actor,
        StaffEvent.Action.ACCOUNT_CREATED,
        subject=user,
        description=f"{user.username}, {_label(role).lower()}" + (" (waiting for approval)" if clinical else ""),
    )
    if clinical:
        role_change_propose(actor=actor, user=user, role=role)
    _password_link_add(user, welcome=True)
    return user


def _change_words(request: AccountChangeRequest, before: Role | None) -> str:
    if request.kind == AccountChangeRequest.Kind.TWO_STEP_OFF:
        return "Two-step login off"
    if request.kind == AccountChangeRequest.Kind.EMAIL:
        return f"E-mail address: {request.subject.email} → {request.email}"
    return f"{_label(before) if before else 'No role'} → {_label(request.role)}"


def _change_propose(
    *, actor: Actor, user: User, kind: AccountChangeRequest.Kind, field: str, role: Role | str = "", email: str = ""
) -> AccountChangeRequest:
    if not user.is_active:
        raise ValidationError(
            {
                field: gettext("%(name)s's account is deactivated: reactivate it before proposing a change.")
                % {"name": user}
            }
        )
    if AccountChangeRequest.objects.filter(subject=user, kind=kind, status=AccountChangeRequest.Status.PENDING):
        raise ValidationError(
            {
                field: gettext("A change of %(name)s's %(what)s is already waiting for approval.")
                % {"name": user, "what": kind.label.lower()}
            }
        )
    request = AccountChangeRequest.objects.create(
        program_id=user.program_id,
        subject=user,
        kind=kind,
        role=role,
        email=email,
        proposed_by=actor.user,
        proposed_as=proposing_side(actor.user),
    )
    staff_event_record(
        actor, StaffEvent.Action.CHANGE_PROPOSED, subject=user, description=_change_words(request, user.role)
    )
    return request


@transaction.atomic
def role_change_propose(*, actor: Actor, user: User, role: Role) -> AccountChangeRequest:
    """Proposes a clinical role for her; it is given when someone of the other side approves
    (`workspace.services.account_change_approve`). Refused for her own account, for the role she holds, and while
    another proposal for her is waiting."""
    if not needs_a_second_person(role):
        raise ValueError("Only a clinical role is proposed; an admin gives any other at once.")
    refuse_own_account(actor, user, field="role")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.__dict__.pop("role", None)
    if user.role == role:
        raise ValidationError(
            {"role": gettext("%(name)s is already %(role)s.") % {"name": user, "role": Role(role).label.lower()}}
        )
    return _change_propose(actor=actor, user=user, kind=AccountChangeRequest.Kind.ROLE, field="role", role=role)


@transaction.atomic
def account_change_decide(*, actor: Actor, request: AccountChangeRequest, approve: bool) -> AccountChangeRequest:
    """Records the second person's decision on a proposal; the staff history names both people.

    Refused unless it is waiting, and she is of the other side, neither the proposer nor the person it is about.
    Approving changes nothing by itself: `workspace.services.account_change_approve` does, in the same
    transaction.
    """
    request = (
        AccountChangeRequest.objects.select_for_update().select_related("subject", "proposed_by").get(pk=request.pk)
    )
    if request.status != AccountChangeRequest.Status.PENDING:
        raise ValidationError(
            gettext("This proposal was already %(status)s.") % {"status": request.get_status_display().lower()}
        )
    if approve and not (request.subject.is_active and request.proposed_by.is_active):
        gone = request.subject if not request.subject.is_active else request.proposed_by
        raise ValidationError(
            gettext(
                "%(name)s's account is deactivated, so this proposal cannot be approved. Decline it; "
                "if it is still wanted once she is back, someone proposes it again."
            )
            % {"name": gone}
        )
    if actor.user.pk in (request.proposed_by_id, request.subject_id):
        raise ValidationError(
            gettext("Someone else decides on this proposal: neither its proposer nor the person it is about.")
        )
    if proposing_side(actor.user) == request.proposed_as or actor.user.program_id != request.program_id:
        raise ValidationError(
            gettext("This proposal waits for %(approver)s of the program.") % {"approver": request.approver_words}
        )
    request.status = AccountChangeRequest.Status.APPROVED if approve else AccountChangeRequest.Status.DECLINED
    request.decided_by = actor.user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    staff_event_record(
        actor,
        StaffEvent.Action.CHANGE_APPROVED if approve else StaffEvent.Action.CHANGE_DECLINED,
        subject=request.subject,
        description=f"{_change_words(request, request.subject.role)}, proposed by {request.proposed_by}",
    )
    return request


@transaction.atomic
def staff_update(*, actor: Actor, user: User, fields: dict[str, Any], confirmed: bool = False) -> User:
    """Her name, username, e-mail, phone or start date; the staff history says what changed and who changed it.

    Her own e-mail address is changed by another admin (a password link goes to it), and she is told at the
    address she had, after this transaction commits. A coach's or supervisor's new address is proposed, and set
    when a supervisor confirms it (`confirmed`, from `workspace.services.account_change_approve`).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    old_email = user.email
    if "email" in fields and fields["email"] != old_email:
        refuse_own_account(actor, user, field="email")
        if User.objects.filter(email__iexact=fields["email"]).exclude(pk=user.pk).exists():
            raise ValidationError({"email": gettext("Another account already uses this e-mail address.")})
        if needs_a_second_person(user.role) and not confirmed:
            email = fields.pop("email")
            _change_propose(actor=actor, user=user, kind=AccountChangeRequest.Kind.EMAIL, field="email", email=email)
    changed = _change(user, fields)
    if "email" in changed:
        outbox.message_add(
            kind="email_changed",
            recipient=user,
            address=old_email,
            template="email_changed",
            context={"changed_by": actor.user.pk},
        )
    if changed:
        user.save(update_fields=list(changed))
        staff_event_record(
            actor,
            StaffEvent.Action.DETAILS_CHANGED,
            subject=user,
            description="; ".join(changed.values()),
        )
    return user


def _password_link_add(user: User, *, welcome: bool, asked: bool = False) -> None:
    """Her password link, in the outbox with the change that causes it; the link itself is made when it is sent."""
    template = "welcome" if welcome else "password_asked" if asked else "password_link"
    outbox.message_add(kind="password_link", recipient=user, template=template)


def password_link_build(message: Outgoing) -> outbox.Built | None:
    """The outbox builds her password link when it sends it: none for an account deactivated meanwhile."""
    user = User.objects.filter(pk=message.recipient_id, is_active=True).first()
    if user is None or not user.email:
        return None
    path = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": password_link_tokens.make_token(user)},
    )
    return outbox.Built({"user": user, "link": settings.SITE_URL.rstrip("/") + path})


def email_changed_build(message: Outgoing) -> outbox.Built | None:
    """The e-mail to her old address (the row's `address`): only that it changed, who changed it, and a link."""
    user = User.objects.get(pk=message.recipient_id)
    changed_by = User.objects.get(pk=message.context["changed_by"])
    return outbox.Built({"user": user, "changed_by": changed_by})


@transaction.atomic
def staff_send_password_link(*, actor: Actor, user: User) -> None:
    """A one-time link to set a new password, sent by e-mail after this transaction commits.

    Refused for a deactivated account: she is to be reactivated first, on purpose."""
    if not user.is_active:
        raise ValidationError(
            gettext("%(name)s's account is deactivated. Reactivate it before sending a password link.") % {"name": user}
        )
    staff_event_record(actor, StaffEvent.Action.PASSWORD_LINK_SENT, subject=user)
    _password_link_add(user, welcome=False)


# However often the login page is asked, one account gets at most one link in this time.
PASSWORD_LINK_ASKED_EVERY = datetime.timedelta(minutes=10)


@transaction.atomic
def password_link_ask(*, typed: str, ip_address: str | None) -> None:
    """Someone on the login page asks for a link to set a new password: sent to the e-mail address of the active
    account that what was typed names (her username or e-mail address, in any case), at most once every
    PASSWORD_LINK_ASKED_EVERY. Says nothing back either way, so that the page tells no one which accounts exist.
    The link only sets a password: two-step login is still asked for afterwards."""
    typed = typed.strip()
    if not typed:
        return
    user = (
        User.objects.select_for_update()
        .filter(models.Q(username__iexact=typed) | models.Q(email__iexact=typed), is_active=True)
        .first()
    )
    if user is None or not user.email:
        return
    recently = StaffEvent.objects.filter(
        subject=user,
        action=StaffEvent.Action.PASSWORD_LINK_SENT,
        actor=user,
        at__gte=timezone.now() - PASSWORD_LINK_ASKED_EVERY,
    )
    if recently.exists():
        return
    staff_event_record(
        Actor(user, ip_address),
        StaffEvent.Action.PASSWORD_LINK_SENT,
        subject=user,
        description="She asked for it on the login page",
    )
    _password_link_add(user, welcome=False, asked=True)


@transaction.atomic
def account_changes_withdraw(*, actor: Actor | None, user: User) -> int:
    """Withdraws every proposal waiting about her or proposed by her, as her account is deactivated: nobody is
    left to approve a change for someone who has gone, or one whose proposer can no longer answer for it. Each
    is marked withdrawn (dated, decided by nobody) and the staff history says so. Returns how many."""
    pending = (
        AccountChangeRequest.objects.select_for_update(of=("self",))
        .select_related("subject", "proposed_by")
        .filter(Q(subject=user) | Q(proposed_by=user), status=AccountChangeRequest.Status.PENDING)
        .order_by("pk")
    )
    withdrawn = 0
    for request in pending:
        request.status = AccountChangeRequest.Status.WITHDRAWN
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        whose = "her account" if request.subject_id == user.pk else f"{request.proposed_by}'s account (the proposer)"
        staff_event_record(
            actor,
            StaffEvent.Action.CHANGE_WITHDRAWN,
            subject=request.subject,
            description=f"{_change_words(request, request.subject.role)}, proposed by {request.proposed_by}: "
            f"withdrawn, as {whose} was deactivated",
        )
        withdrawn += 1
    return withdrawn


@transaction.atomic
def account_deactivate(*, user: User) -> User:
    """Her account stops working at once: she can no longer log in and her open sessions end.

    Called by `workspace.services.staff_deactivate`, which also ends her assignments and drafts and writes
    the staff history row.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    StaffSession.objects.filter(user_id=user.pk).delete()
    return user


@transaction.atomic
def staff_reactivate(*, actor: Actor, user: User) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = True
    user.save(update_fields=["is_active"])
    staff_event_record(actor, StaffEvent.Action.REACTIVATED, subject=user)


@transaction.atomic
def program_settings_change(*, actor: Actor, fields: dict[str, Any]) -> Program:
    """Her program's office hours, escalation and no-contact days, on-call line; the staff history says what
    changed."""
    if "on_call_line" in fields:
        fields = fields | {"on_call_line": on_call_line_clean(fields["on_call_line"])}
    program = Program.objects.select_for_update().get(pk=actor.user.program_id)
    changed = _change(program, fields)
    if changed:
        program.save(update_fields=list(changed))
        staff_event_record(
            actor,
            StaffEvent.Action.PROGRAM_SETTINGS_CHANGED,
            program_id=program.pk,
            description="; ".join(changed.values()),
        )
    return program


def on_call_line_clean(line: str) -> str:
    """The on-call line is shown to anyone on the login page: a phone number (7 to 15 digits) and nothing else,
    or none. The database holds the characters (`program_on_call_line_is_a_number`)."""
    line = line.strip()
    digits = sum(character.isdigit() for character in line)
    if line and (not re.fullmatch(ON_CALL_LINE_PATTERN, line) or not 7 <= digits <= 15):
        raise ValidationError({"on_call_line": gettext("Type a phone number only, for example 603-555-0100.")})
    return line


@transaction.atomic
def program_setup(*, program: Program) -> None:
    """The standard training kinds and role requirements for a program. Safe to run again.

    Run by the operators (the admin site, the demo seed): the staff history names no actor.
    """
    kinds = {}
    added = {"kinds": 0, "requirements": 0}
    for name, months, by_hours in STANDARD_KINDS:
        kinds[name], created = TrainingKind.objects.get_or_create(
            program=program, name=name, defaults={"validity_months": months, "counts_as_hours": by_hours}
        )
        added["kinds"] += created
    for role, requirements in STANDARD_REQUIREMENTS.items():
        for name, hours, months in requirements:
            _, created = TrainingRequirement.objects.get_or_create(
                program=program, role=role, kind=kinds[name], defaults={"hours": hours, "period_months": months}
            )
            added["requirements"] += created
    if any(added.values()):
        staff_event_record(
            None,
            StaffEvent.Action.TRAINING_SET_UP,
            program_id=program.pk,
            description=f"{added['kinds']} kinds of training, {added['requirements']} requirements",
        )


@transaction.atomic
def training_kind_add(*, actor: Actor, fields: dict[str, Any]) -> TrainingKind:
    kind = TrainingKind.objects.create(program_id=actor.user.program_id, **fields)
    staff_event_record(actor, StaffEvent.Action.TRAINING_KIND_ADDED, program_id=kind.program_id, description=kind.name)
    return kind


@transaction.atomic
def training_kind_change(*, actor: Actor, kind: TrainingKind, fields: dict[str, Any]) -> TrainingKind:
    kind = TrainingKind.objects.select_for_update().get(pk=kind.pk)
    name = kind.name
    changed = _change(kind, fields)
    if changed:
        kind.save(update_fields=list(changed))
        staff_event_record(
            actor,
            StaffEvent.Action.TRAINING_KIND_CHANGED,
            program_id=kind.program_id,
            description=f"{name}: " + "; ".join(changed.values()),
        )
    return kind


def _requirement_words(requirement: TrainingRequirement) -> str:
    return f"{Role(requirement.role).label}: {requirement}"


@transaction.atomic
def training_requirement_add(*, actor: Actor, fields: dict[str, Any]) -> TrainingRequirement:
    requirement = TrainingRequirement.objects.create(program_id=actor.user.program_id, **fields)
    staff_event_record(
        actor,
        StaffEvent.Action.REQUIREMENT_ADDED,
        program_id=requirement.program_id,
        description=_requirement_words(requirement),
    )
    return requirement


@transaction.atomic
def training_requirement_remove(*, actor: Actor, requirement: TrainingRequirement) -> None:
    staff_event_record(
        actor,
        StaffEvent.Action.REQUIREMENT_REMOVED,
        program_id=requirement.program_id,
        description=_requirement_words(requirement),
    )
    requirement.delete()


@transaction.atomic
def training_record_add(*, actor: Actor, user: User, fields: dict[str, Any]) -> TrainingRecord:
    return TrainingRecord.objects.create(user=user, recorded_by=actor.user, **fields)


REMINDER_STEPS = [
    (7, TrainingReminder.Step.DAYS_7),
    (30, TrainingReminder.Step.DAYS_30),
    (60, TrainingReminder.Step.DAYS_60),
]


def _latest_records() -> QuerySet[TrainingRecord]:
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
        if record.expires_on is None:  # never: _latest_records leaves these out (this tells mypy)
            continue
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
    order: list[str] = [
        TrainingReminder.Step.DAYS_60,
        TrainingReminder.Step.DAYS_30,
        TrainingReminder.Step.DAYS_7,
        TrainingReminder.Step.LAPSED,
    ]
    return order[order.index(step) :]


def training_reminder_ids_due(*, program: Program, today: datetime.date) -> list[int]:
    with transaction.atomic():
        return training_reminders_plan(program=program, today=today)


@transaction.atomic
def staff_two_step_off(*, actor: Actor, user: User) -> bool:
    """An admin turns off someone else's two-step login (she lost her phone). For a coach or a supervisor it is
    proposed, and turned off when a supervisor confirms it: returns False then, True when it is off now."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    refuse_own_account(actor, user, field="two_step")
    if needs_a_second_person(user.role) and TOTPDevice.objects.filter(user=user).exists():
        _change_propose(actor=actor, user=user, kind=AccountChangeRequest.Kind.TWO_STEP_OFF, field="two_step")
        return False
    two_step_reset(actor=actor, user=user)
    return True


@transaction.atomic
def two_step_reset(*, actor: Actor, user: User) -> None:
    """Turns her two-step login off (she lost her phone, or turns it off herself); the staff history says who."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Her recovery codes go too: left behind, they would still be asked for at her next login.
    StaticDevice.objects.filter(user=user).delete()
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        staff_event_record(actor, StaffEvent.Action.TWO_STEP_OFF, subject=user)


def language_set(*, user: User, code: str) -> User:
    """Her own choice of the language of her pages and of what the app sends her; "" follows her browser."""
    if code and code not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext("Pick one of the languages listed.")})
    if user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    return user
