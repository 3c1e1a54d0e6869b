"""Writes that reach across apps: changing a staff member's role and deactivating her (her patients, supervision
links and drafts too), a training reminder (a lapsed one goes to her supervisor as well), and a woman's discharge
(what is still open about her in coaching, referrals and supervision, closed or carried)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coaching import permissions as coaching_permissions
from coaching.models import Draft
from coaching.services import concern_close, drafts_discard_all
from patients import services as patient_services
from patients.models import CoachAssignment, DischargeReason, Episode, Patient
from patients.services import clinical_provider_leaves, coach_leaves
from recovery_program import outbox
from recovery_program.audit import Actor, log_export
from recovery_program.models import Export, Outgoing
from referrals import permissions as referral_permissions
from referrals.models import OPEN_REFERRAL_STATUSES, Referral, ReferralStatus
from referrals.services import referral_change_status
from staff import services as staff_services
from staff.models import AccountChangeRequest, StaffEvent, TrainingRecord, TrainingReminder, User
from staff.roles import Role, members_with_role
from supervision import permissions as supervision_permissions
from supervision.models import ActionItem, OnCallShift, SupervisionAssignment
from supervision.permissions import current_supervisor_of
from supervision.services import action_item_done, supervision_links_end
from workspace import permissions as workspace_permissions


def staff_deactivate_effects(user: User, *, now: datetime.datetime) -> list[str]:
    """What deactivating her ends, in words, for the page that asks the admin to confirm it (counts only)."""
    caseload, coaches, shifts = _what_her_role_holds(user, now=now)
    return [
        _("She is logged out at once and can no longer log in. Everything she recorded stays in the program."),
        *caseload,
        *_counted(
            coaches,
            ngettext(
                "A coach has her as supervisor: give the coach another supervisor (her urgent concerns go to the "
                "next supervisor in line until then).",
                "%(count)d coaches have her as supervisor: give them another supervisor (their urgent concerns go "
                "to the next supervisor in line until then).",
                coaches,
            ),
        ),
        *_counted(
            shifts,
            ngettext(
                "She is on an on-call shift from now on: the other supervisor of that shift is paged instead until "
                "the rota is changed.",
                "She is on %(count)d on-call shifts from now on: the other supervisor of each is paged instead "
                "until the rota is changed.",
                shifts,
            ),
        ),
        *_provider_of(user),
        *_counted(
            drafts := Draft.objects.filter(user=user).count(),
            ngettext("Her unfinished draft is removed.", "Her %(count)d unfinished drafts are removed.", drafts),
        ),
    ]


def staff_role_change_effects(user: User, role: Role, *, now: datetime.datetime) -> list[str]:
    """What changing her role at once ends, in words, for the page that asks the admin to confirm it."""
    caseload, coaches, shifts = _what_her_role_holds(user, now=now)
    new_role = str(role.label).lower()
    if user.role:
        becomes = _("She is %(role)s from now on (today she is %(today)s).") % {
            "role": new_role,
            "today": str(user.role.label).lower(),
        }
    else:
        becomes = _("She is %(role)s from now on.") % {"role": new_role}
    return [
        becomes,
        *caseload,
        *([_("She no longer sees any patient's record.")] if role == Role.ADMIN else []),
        *(_provider_of(user) if role != Role.SUPERVISOR else []),
        *(
            [_("She supervises coaches or is on the on-call rota: give those to another supervisor first.")]
            if coaches or shifts
            else []
        ),
    ]


def _provider_of(user: User) -> list[str]:
    count = Patient.objects.filter(clinical_provider=user).count()
    return _counted(
        count,
        ngettext(
            "A woman has her as clinical provider: she will have none named until a supervisor names another.",
            "%(count)d women have her as clinical provider: they will have none named until a supervisor names "
            "another.",
            count,
        ),
    )


def _what_her_role_holds(user: User, *, now: datetime.datetime) -> tuple[list[str], int, int]:
    """Her caseload in words, how many active coaches she supervises, and her on-call shifts still to come."""
    count = CoachAssignment.objects.filter(coach=user, ended_on__isnull=True).count()
    caseload = _counted(
        count,
        ngettext(
            "The patient on her caseload is left without a coach; supervisors see her listed to assign a new one.",
            "The %(count)d patients on her caseload are left without a coach; supervisors see them listed to "
            "assign a new one.",
            count,
        ),
    )
    coaches = SupervisionAssignment.objects.filter(supervisor=user, ended_on__isnull=True, coach__is_active=True)
    shifts = OnCallShift.live.filter(Q(primary=user) | Q(backup=user), ends_at__gt=now)
    return caseload, coaches.count(), shifts.count()


def _no_provider(count: int) -> str:
    return f"{count} women no longer have her as clinical provider"


def _counted(count: int, message: str) -> list[str]:
    """The message (ngettext's, for `count`) with its count in, or nothing when there are none."""
    return [message % {"count": count}] if count else []


@transaction.atomic
def staff_deactivate(*, actor: Actor, user: User) -> list[int]:
    """She can no longer log in; her open sessions end at once; her records stay hers.

    A coach's patients are left without a coach (her access ends with her assignments), and
    returned so that the app can list them for supervisors to reassign. Her unfinished drafts,
    working copies that were never records, are removed. Changes waiting for a second person, about her or
    proposed by her, are withdrawn. Another admin deactivates an admin, never herself.
    """
    staff_services.refuse_own_account(actor, user, field="account")
    user = staff_services.account_deactivate(user=user)
    staff_services.account_changes_withdraw(actor=actor, user=user)
    drafts_discard_all(user=user)
    left = coach_leaves(actor=actor, coach=user, on=timezone.localdate())
    unnamed = clinical_provider_leaves(actor=actor, provider=user)
    ended = [
        *([f"{len(left)} of her patients now need a coach"] if left else []),
        *([_no_provider(len(unnamed))] if unnamed else []),
    ]
    staff_services.staff_event_record(actor, StaffEvent.Action.DEACTIVATED, subject=user, description="; ".join(ended))
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
    staff_services.refuse_own_account(actor, user, field="role")
    if user.role == role:
        return []
    links = supervision_links_end(user=user, on=timezone.localdate(), now=timezone.now())
    left = coach_leaves(actor=actor, coach=user, on=timezone.localdate())
    unnamed = clinical_provider_leaves(actor=actor, provider=user)
    ended = [
        *([f"{len(left)} of her patients now need a coach"] if left else []),
        *([f"supervision links ended: {links}"] if links else []),
        *([_no_provider(len(unnamed))] if unnamed else []),
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


@dataclass(frozen=True)
class OpenItem:
    """Something about her still open at her discharge: a concern, a referral or a supervision action item."""

    kind: str  # patients.services.OPEN_ITEM_KINDS
    id: int
    label: str
    url: str

    @property
    def field(self) -> str:
        return f"{self.kind}-{self.id}"


def open_items_of(user: User, patient: Patient) -> list[OpenItem]:
    """What is still open about her, as the supervisor discharging her sees it (three queries): open concerns,
    referrals not yet completed or declined, and undone action items of supervision sessions that reviewed her."""
    concerns = coaching_permissions.concerns_visible_to(user).filter(patient=patient).open().order_by("created_at")
    referrals = referral_permissions.records_visible_to(user, Referral).filter(
        patient=patient, status__in=OPEN_REFERRAL_STATUSES
    )
    items = ActionItem.objects.filter(
        session__in=supervision_permissions.sessions_visible_to(user), session__cases__patient=patient
    ).filter(done_at__isnull=True)
    return (
        [
            OpenItem(
                "concern",
                c.pk,
                _("Concern: %(category)s, shared %(day)s")
                % {
                    "category": c.get_category_display(),
                    "day": date_format(timezone.localtime(c.created_at), _("M j")),
                },
                reverse("coaching:concern_detail", args=[c.pk]),
            )
            for c in concerns
        ]
        + [
            OpenItem(
                "referral",
                r.pk,
                _("Referral to %(provider)s (%(status)s)")
                % {"provider": r.receiving_provider, "status": r.get_status_display().lower()},
                reverse("referrals:referral_detail", args=[r.pk]),
            )
            for r in referrals
        ]
        + [
            OpenItem(
                "action_item",
                a.pk,
                _("Action item: %(what)s (due %(day)s)") % {"what": a.what, "day": date_format(a.due_on, _("M j"))},
                reverse("supervision:session", args=[a.session_id]),
            )
            for a in items.distinct().order_by("due_on", "pk")
        ]
    )


@transaction.atomic
def patient_discharge(
    *,
    actor: Actor,
    patient: Patient,
    reason: DischargeReason,
    ended_on: datetime.date,
    summary: str,
    closing: set[str],
) -> Episode:
    """Discharges her (`patients.services.patient_discharge`: her episode, her coach's care, her consents that end
    at discharge). Of what is still open about her, the items named in `closing` (OpenItem.field) are closed here,
    each by its own app's service (a concern closed with the reason "She was discharged", a referral closed at her
    discharge, an action item done); the others are carried: left open, and noted on the discharge."""
    open_items = open_items_of(actor.user, patient)
    today = timezone.localdate()
    noted = []
    for item in open_items:
        outcome = "closed" if item.field in closing else "carried"
        noted.append({"kind": item.kind, "id": item.id, "outcome": outcome})
        if outcome == "carried":
            continue
        if item.kind == "concern":
            concern = coaching_permissions.get_concern_for_action(actor.user, item.id)
            concern_close(actor=actor, concern=concern, reason="She was discharged")
        elif item.kind == "referral":
            referral = referral_permissions.get_record_for_change(actor.user, Referral, item.id)
            referral_change_status(
                actor=actor, referral=referral, status=ReferralStatus.CLOSED, changed_on=max(today, ended_on)
            )
        else:
            action_item_done(actor=actor, item=supervision_permissions.get_action_item_for_update(actor.user, item.id))
    return patient_services.patient_discharge(
        actor=actor, patient=patient, reason=reason, ended_on=ended_on, summary=summary, open_items=noted
    )


def discharge_effects(patient: Patient, open_items: list[OpenItem], closing: set[str]) -> list[str]:
    """What her discharge will do, in words, for the page that asks the supervisor to confirm it."""
    closed = sum(1 for item in open_items if item.field in closing)
    carried = len(open_items) - closed
    effects = [
        _("%(name)s's time in the program ends; her record and everything in it stay.")
        % {"name": patient.display_name},
        _("Her coach's care ends, and her coach can no longer open her record."),
        _("Consents that end at her discharge end."),
        _("Nothing new can be logged about her until she is re-enrolled."),
    ]
    if closed:
        effects.append(ngettext("%d open item is closed.", "%d open items are closed.", closed) % closed)
    if carried:
        effects.append(
            ngettext("%d open item stays open (carried).", "%d open items stay open (carried).", carried) % carried
        )
    return effects


EXPORT_NEEDS_A_REASON = gettext_lazy(
    "Say why you need names and dates: the reason is kept with the record of this download."
)
# A longer period is refused: a file past a few years is not a list anyone reads (and not one to carry off).
EXPORT_LONGEST_PERIOD = datetime.timedelta(days=3 * 366)


def export_refusal(*, identified: bool, reason: str) -> ValidationError | None:
    """Why an export cannot be made as asked, or None: an identified one needs a reason."""
    if identified and not reason.strip():
        return ValidationError({"reason": EXPORT_NEEDS_A_REASON})
    return None


@transaction.atomic
def export_record(
    *,
    actor: Actor,
    kind: str,
    file_format: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    coach: User | None,
    identified: bool,
    reason: str,
) -> Export:
    """Records one download of a list and writes its one access-log row (with her choices), before any row of
    the file is read. Only those who may export reach here (views ask `workspace.permissions.can_export`); an
    identified file is refused to anyone else, and without a reason (a CHECK holds that too).
    A de-identified export keeps no reason: there is none to give."""
    if not workspace_permissions.can_export(actor.user) or (
        identified and not workspace_permissions.can_export_identified(actor.user)
    ):
        raise ValidationError(_("Only the program's supervisors download these lists."))
    if (refusal := export_refusal(identified=identified, reason=reason)) is not None:
        raise refusal
    if coach is not None and not workspace_permissions.export_coaches_for(actor.user).filter(pk=coach.pk).exists():
        raise ValidationError({"coach": _("Choose one of your program's coaches, or all coaches.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("“To” is before “From”. Type a last day on or after the first.")})
    if ends_on - starts_on > EXPORT_LONGEST_PERIOD:
        raise ValidationError({"ends_on": _("Choose a period of three years or less.")})
    export = Export.objects.create(
        user=actor.user,
        kind=kind,
        file_format=file_format,
        starts_on=starts_on,
        ends_on=ends_on,
        coach=coach,
        identified=identified,
        reason=reason.strip() if identified else "",
    )
    log_export(actor, export)
    return export
