"""Writes that reach across apps: changing a staff member's role and deactivating her (her patients, supervision
links and drafts too), and a training reminder (a lapsed one goes to her supervisor as well)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from coaching.models import Draft
from coaching.services import drafts_discard_all
from patients.models import CoachAssignment
from patients.services import coach_leaves
from recovery_program import outbox
from recovery_program.audit import Actor
from recovery_program.models import Outgoing
from staff import services as staff_services
from staff.models import AccountChangeRequest, StaffEvent, TrainingRecord, TrainingReminder, User
from staff.roles import Role, members_with_role
from supervision.models import OnCallShift, SupervisionAssignment
from supervision.permissions import current_supervisor_of
from supervision.services import supervision_links_end


def staff_deactivate_effects(user: User, *, now: datetime.datetime) -> list[str]:
    """What deactivating her ends, in words, for the page that asks the admin to confirm it (counts only)."""
    caseload, coaches, shifts = _what_her_role_holds(user, now=now)
    return [
        "She is logged out at once and can no longer log in. Everything she recorded stays in the program.",
        *caseload,
        *_counted(
            coaches,
            "A coach has her as supervisor: give the coach another supervisor (her urgent concerns go to the next "
            "supervisor in line until then).",
            "%(count)d coaches have her as supervisor: give them another supervisor (their urgent concerns go to "
            "the next supervisor in line until then).",
        ),
        *_counted(
            shifts,
            "She is on an on-call shift from now on: the other supervisor of that shift is paged instead until "
            "the rota is changed.",
            "She is on %(count)d on-call shifts from now on: the other supervisor of each is paged instead until "
            "the rota is changed.",
        ),
        *_counted(
            Draft.objects.filter(user=user).count(),
            "Her unfinished draft is removed.",
            "Her %(count)d unfinished drafts are removed.",
        ),
    ]


def staff_role_change_effects(user: User, role: Role, *, now: datetime.datetime) -> list[str]:
    """What changing her role at once ends, in words, for the page that asks the admin to confirm it."""
    caseload, coaches, shifts = _what_her_role_holds(user, now=now)
    today = f" (today she is {user.role.label.lower()})" if user.role else ""
    return [
        f"She is {role.label.lower()} from now on{today}.",
        *caseload,
        *(["She no longer sees any patient's record."] if role == Role.ADMIN else []),
        *(
            ["She supervises coaches or is on the on-call rota: give those to another supervisor first."]
            if coaches or shifts
            else []
        ),
    ]


def _what_her_role_holds(user: User, *, now: datetime.datetime) -> tuple[list[str], int, int]:
    """Her caseload in words, how many active coaches she supervises, and her on-call shifts still to come."""
    caseload = _counted(
        CoachAssignment.objects.filter(coach=user, ended_on__isnull=True).count(),
        "The patient on her caseload is left without a coach; supervisors see her listed to assign a new one.",
        "The %(count)d patients on her caseload are left without a coach; supervisors see them listed to "
        "assign a new one.",
    )
    coaches = SupervisionAssignment.objects.filter(supervisor=user, ended_on__isnull=True, coach__is_active=True)
    shifts = OnCallShift.live.filter(Q(primary=user) | Q(backup=user), ends_at__gt=now)
    return caseload, coaches.count(), shifts.count()


def _counted(count: int, one: str, many: str) -> list[str]:
    return [ngettext(one, many, count) % {"count": count}] if count else []


@transaction.atomic
def staff_deactivate(*, actor: Actor, user: User) -> list[int]:
    """She can no longer log in; her open sessions end at once; her records stay hers.

    A coach's patients are left without a coach (her access ends with her assignments), and
    returned so that the app can list them for supervisors to reassign. Her unfinished drafts,
    working copies that were never records, are removed. Changes waiting for a second person, about her or
    proposed by her, are withdrawn. Another admin deactivates an admin, never herself.
    """
    staff_services.refuse_own_account(actor, user, field="account", change="deactivate your own account")
    user = staff_services.account_deactivate(user=user)
    staff_services.account_changes_withdraw(actor=actor, user=user)
    drafts_discard_all(user=user)
    left = coach_leaves(actor=actor, coach=user, on=timezone.localdate())
    staff_services.staff_event_record(
        actor,
        StaffEvent.Action.DEACTIVATED,
        subject=user,
        description=f"{len(left)} of her patients now need a coach" if left else "",
    )
    return left


@transaction.atomic
def staff_role_change(*, actor: Actor, user: User, role: Role) -> list[int]:
    """Gives her another role, and takes away at once everything her old role held.

    In one transaction: a coach's caseload ends (her assignments and every permission on a patient), her
    supervision links end (as a coach and as a supervisor, so that pages stop going to her), and the staff
    history says so. Refused, next to the role, for her own account, while she is on call now or later, and
    while coaches would be left without a supervisor. Returns the patients left waiting for a coach.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    staff_services.refuse_own_account(actor, user, field="role", change="change your own role")
    if user.role == role:
        return []
    links = supervision_links_end(user=user, on=timezone.localdate(), now=timezone.now())
    left = coach_leaves(actor=actor, coach=user, on=timezone.localdate())
    ended = [
        *([f"{len(left)} of her patients now need a coach"] if left else []),
        *([f"supervision links ended: {links}"] if links else []),
    ]
    staff_services.user_set_role(actor=actor, user=user, role=role, note="; ".join(ended))
    return left


@transaction.atomic
def account_change_approve(*, actor: Actor, request: AccountChangeRequest) -> list[int]:
    """The second person approves a proposal: the decision is recorded and the change happens now. A clinical
    role through `staff_role_change` (and refused with it: the proposal then stays waiting); two-step login off
    through `staff.services.two_step_reset`; an e-mail address through `staff.services.staff_update`. Returns
    the patients left waiting for a coach."""
    request = staff_services.account_change_decide(actor=actor, request=request, approve=True)
    if request.kind == AccountChangeRequest.Kind.TWO_STEP_OFF:
        staff_services.two_step_reset(actor=actor, user=request.subject)
        return []
    if request.kind == AccountChangeRequest.Kind.EMAIL:
        staff_services.staff_update(actor=actor, user=request.subject, fields={"email": request.email}, confirmed=True)
        return []
    return staff_role_change(actor=actor, user=request.subject, role=Role(request.role))


@transaction.atomic
def training_reminder_send(reminder_id: int) -> bool:
    """Puts one reminder in the outbox (one e-mail per person told) unless it was already. True if it did."""
    reminder = (
        TrainingReminder.objects.select_for_update(skip_locked=True)
        .select_related("record__user")
        .filter(pk=reminder_id, sent_at__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    user = reminder.record.user
    if reminder.step == TrainingReminder.Step.LAPSED:
        supervisor = current_supervisor_of(user)
        admins = members_with_role(Role.ADMIN, program_id=user.program_id)
        told = list({u.pk: u for u in [*admins, *([supervisor] if supervisor else [])]}.values())
        template = "training_lapsed"
    else:
        told, template = [user], "training_expiring"
    for person in sorted(told, key=lambda person: person.pk):
        outbox.message_add(
            kind="training_reminder",
            recipient=person,
            template=template,
            context={"record": reminder.record_id, "days": reminder.step},
        )
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    return True


def training_reminder_build(message: Outgoing) -> outbox.Built | None:
    """The outbox builds a training reminder when it sends it: whose training, its kind and dates, a link. A record
    removed meanwhile is reminded of no more."""
    record = TrainingRecord.objects.select_related("user", "kind").filter(pk=message.context["record"]).first()
    if record is None:
        return None
    link = settings.SITE_URL.rstrip("/") + reverse("staff:my_training")
    return outbox.Built({"user": record.user, "record": record, "link": link, "days": message.context["days"]})
