"""Writes about supervision: links, sessions, agenda items, the on-call rota, the Monday notices."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from coaching.debrief import DebriefEvent
from coaching.models import Draft
from coaching.services import draft_discard
from patients.models import Patient
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many, log_access_records
from recovery_program.mail import send_templated
from recovery_program.versioning import check_version
from staff.models import Program, User
from staff.roles import Role, members_with_role
from supervision.models import (
    ROTA_AFTER_HOURS_COVERED,
    ROTA_NO_OVERLAP,
    ActionItem,
    AgendaItem,
    AgendaKind,
    CaseReview,
    Debrief,
    DualRelationship,
    DualRelationshipDecision,
    MissedSessionNotice,
    OnCallShift,
    SessionStatus,
    SupervisionAssignment,
    SupervisionSession,
)


@transaction.atomic
def supervision_assign(
    *, actor: Actor, coach: User, supervisor: User, started_on: datetime.date
) -> SupervisionAssignment:
    """Makes `supervisor` her primary supervisor from `started_on`; the previous link ends that day."""
    User.objects.select_for_update().get(pk=coach.pk)
    current = SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).first()
    if current is not None:
        if current.supervisor_id == supervisor.pk:
            raise ValidationError({"supervisor": f"{supervisor} already supervises her."})
        if started_on < current.started_on:
            raise ValidationError({"started_on": f"Her current supervision began {date_format(current.started_on)}."})
        current.ended_on = started_on
        current.save(update_fields=["ended_on"])
    return SupervisionAssignment.objects.create(
        coach=coach, supervisor=supervisor, started_on=started_on, assigned_by=actor.user
    )


@transaction.atomic
def supervision_links_end(*, user: User, on: datetime.date, now: datetime.datetime) -> int:
    """She stops being a coach or a supervisor (her role changes): her links as a coach and as a supervisor end
    `on`, and so urgent pages stop going to her. Returns how many links ended.

    Refused, with the reason next to the role, while she is on call now or later, or while an active coach
    would be left without a supervisor: someone must answer them first.
    """
    links = list(
        SupervisionAssignment.objects.select_for_update()
        .filter(Q(coach=user) | Q(supervisor=user), ended_on__isnull=True)
        .select_related("coach")
    )
    errors = []
    shift = OnCallShift.objects.filter(Q(primary=user) | Q(backup=user), ends_at__gt=now).order_by("starts_at").first()
    if shift is not None:
        errors.append(
            f"{user} is on the on-call rota (from {_when(shift.starts_at)}). "
            "Give her shifts to another supervisor first."
        )
    coaches = members_with_role(Role.COACH, program_id=user.program_id)
    waiting = sorted(str(link.coach) for link in links if link.supervisor_id == user.pk and link.coach in coaches)
    if waiting:
        errors.append(f"{user} supervises {', '.join(waiting)}. Give them another supervisor first.")
    if errors:
        raise ValidationError({"role": errors})
    for link in links:
        link.ended_on = max(on, link.started_on)
        link.save(update_fields=["ended_on"])
    return len(links)


@transaction.atomic
def agenda_item_add(
    *,
    actor: Actor,
    text: str,
    patient: Patient | None = None,
    kind: str = AgendaKind.TOPIC,
    boundary_topic: str = "",
) -> AgendaItem:
    """Her own item for supervision; one that names a patient is a record about her. A private check-in and a
    boundary question name no one (the database refuses a patient on them)."""
    if kind != AgendaKind.TOPIC and patient is not None:
        raise ValidationError({"patient": "A check-in or a boundary question is not about one woman."})
    item = AgendaItem.objects.create(
        coach=actor.user,
        text=text,
        patient=patient,
        kind=kind,
        boundary_topic=boundary_topic if kind == AgendaKind.BOUNDARY else "",
    )
    if patient is not None:
        log_access(actor, AccessAction.CREATE, patient=patient, record=item)
    elif kind == AgendaKind.CHECK_IN:
        log_access(actor, AccessAction.CREATE, record=item, record_type=CHECK_IN_RECORD)
    return item


CHECK_IN_RECORD = "private check-in"


def check_ins_read(*, actor: Actor, items: list[AgendaItem]) -> None:
    """A row in the access log for each private check-in shown to her (one query for all of them)."""
    ids = [item.pk for item in items if item.kind == AgendaKind.CHECK_IN]
    if ids:
        log_access_records(actor, AccessAction.VIEW, ids, record_type=CHECK_IN_RECORD)


@transaction.atomic
def boundary_question_answer(*, actor: Actor, item: AgendaItem, answer: str) -> AgendaItem:
    """A supervisor records how a coach's boundary question was answered; a later answer replaces it, and the
    history keeps the earlier one."""
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if item.kind != AgendaKind.BOUNDARY:
        raise ValidationError("Only a boundary question is answered here.")
    item.answer = answer
    item.answered_by = actor.user
    item.answered_at = timezone.now()
    item.save(update_fields=["answer", "answered_by", "answered_at"])
    return item


@transaction.atomic
def dual_relationship_declare(*, actor: Actor, patient: Patient, kind: str, details: str = "") -> DualRelationship:
    """The coach says she knows a woman of her caseload outside the program; it waits for a supervisor."""
    declaration = DualRelationship.objects.create(coach=actor.user, patient=patient, kind=kind, details=details)
    log_access(actor, AccessAction.CREATE, patient=patient, record=declaration)
    return declaration


@transaction.atomic
def dual_relationship_decide(
    *, actor: Actor, declaration: DualRelationship, decision: str, notes: str, version: int | None = None
) -> DualRelationship:
    """A supervisor decides how a declared dual relationship is handled: kept with the safeguards written down,
    the woman given another coach (on her page), or no concern. A later decision replaces it; history keeps all."""
    declaration = DualRelationship.objects.select_for_update().get(pk=declaration.pk)
    fields = {"decision": decision, "decision_notes": notes}
    if version is not None:
        check_version(declaration, seen=version, saving=fields, user=actor.user)
    if decision == DualRelationshipDecision.KEEP and not notes.strip():
        raise ValidationError({"notes": "Write down the safeguards she keeps with this woman."})
    declaration.decision = decision
    declaration.decision_notes = notes
    declaration.decided_by = actor.user
    declaration.decided_at = timezone.now()
    declaration.save(update_fields=["decision", "decision_notes", "decided_by", "decided_at"])
    log_access(actor, AccessAction.CHANGE, patient=declaration.patient, record=declaration)
    return declaration


@transaction.atomic
def session_record(
    *,
    actor: Actor,
    coach: User,
    fields: dict[str, Any],
    cases: list[dict[str, Any]],
    action_items: list[dict[str, Any]],
    agenda_done: list[AgendaItem],
    actions_done: list[ActionItem],
    debriefs_done: list[DebriefEvent] = (),  # type: ignore[assignment]
) -> SupervisionSession:
    """A session with one coach: what was reviewed, decided and is to be done; what it settled, the hard events
    talked over (debriefs) among it.

    Each patient it names (a case reviewed, an agenda item settled, a debrief) gets an access-log row.
    """
    session = SupervisionSession.objects.create(coach=coach, supervisor=actor.user, **fields)
    CaseReview.objects.bulk_create([CaseReview(session=session, **case) for case in cases])
    ActionItem.objects.bulk_create([ActionItem(session=session, **item) for item in action_items])
    named = {case["patient"].pk for case in cases}
    if session.status == SessionStatus.HELD:
        AgendaItem.objects.filter(pk__in=[item.pk for item in agenda_done]).update(discussed_in=session)
        ActionItem.objects.filter(pk__in=[item.pk for item in actions_done]).update(done_at=timezone.now())
        named |= {item.patient_id for item in agenda_done if item.patient_id}
        Debrief.objects.bulk_create(
            [
                Debrief(
                    coach=coach,
                    kind=event.kind,
                    record_id=event.record_id,
                    patient_id=event.patient_id,
                    session=session,
                )
                for event in debriefs_done
            ],
            ignore_conflicts=True,  # talked over in another session recorded at the same moment
        )
        named |= {event.patient_id for event in debriefs_done}
    log_access_many(
        actor, AccessAction.CREATE, sorted(named), record_type="supervision session", record_id=str(session.pk)
    )
    draft_discard(user=actor.user, form=Draft.Form.SESSION, key=str(coach.pk))
    return session


@transaction.atomic
def session_update(
    *, actor: Actor, session: SupervisionSession, fields: dict[str, Any], version: int | None = None
) -> SupervisionSession:
    """A correction of the session's own record (date, length, notes); pghistory keeps what it said before.

    `version`: the session's version her form was opened at; if one of `fields` was changed since, her correction is
    refused with an EditConflict saying what it holds now (None: no check). Each patient it reviewed gets an
    access-log row."""
    session = SupervisionSession.objects.select_for_update().get(pk=session.pk)
    if version is not None:
        check_version(session, seen=version, saving=fields, user=actor.user)
    for name, value in fields.items():
        setattr(session, name, value)
    session.save(update_fields=list(fields))
    log_access_many(
        actor,
        AccessAction.CHANGE,
        sorted(set(session.cases.values_list("patient_id", flat=True))),
        record_type="supervision session",
        record_id=str(session.pk),
    )
    return session


@transaction.atomic
def action_item_done(*, actor: Actor, item: ActionItem) -> ActionItem:
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done_at is None:
        item.done_at = timezone.now()
        item.save(update_fields=["done_at"])
    return item


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def missed_session_notices_send(*, program: Program, today: datetime.date) -> int:
    """For last week (Monday to Sunday) of the program, `today` being its date: each of its coaches with a
    supervisor and no session held gets her supervisor told, once. Returns how many e-mails were sent."""
    last_week = week_start(today) - datetime.timedelta(days=7)
    held = SupervisionSession.objects.filter(
        status=SessionStatus.HELD, held_on__gte=last_week, held_on__lt=last_week + datetime.timedelta(days=7)
    ).values("coach_id")
    links = (
        SupervisionAssignment.objects.filter(
            ended_on__isnull=True,
            coach__in=members_with_role(Role.COACH, program_id=program.pk),
            started_on__lt=last_week,
        )
        .exclude(coach_id__in=held)
        .select_related("coach", "supervisor")
    )
    sent = 0
    for link in links:
        notice, _ = MissedSessionNotice.objects.get_or_create(
            coach=link.coach, week_starting=last_week, defaults={"supervisor": link.supervisor}
        )
        with transaction.atomic():
            notice = MissedSessionNotice.objects.select_for_update().get(pk=notice.pk)
            if notice.sent_at:
                continue
            send_templated(
                "missed_supervision",
                to=[notice.supervisor.email],
                context={
                    "coach": link.coach,
                    "week": last_week,
                    "link": settings.SITE_URL.rstrip("/") + reverse("supervision:weeks"),
                },
            )
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
            sent += 1
    return sent


def shift_add(
    *, actor: Actor, starts_at: datetime.datetime, ends_at: datetime.datetime, primary: User, backup: User
) -> OnCallShift:
    """Adds a shift unless it overlaps another (the database refuses that too) or leaves after-hours time
    uncovered between it and the shifts before and after it."""
    program = actor.user.program
    before = OnCallShift.objects.filter(program=program, ends_at__lte=starts_at).order_by("-ends_at").first()
    after = OnCallShift.objects.filter(program=program, starts_at__gte=ends_at).order_by("starts_at").first()
    errors = {}
    if before and before.ends_at < starts_at and program.after_hours_within(before.ends_at, starts_at):
        errors["starts_at"] = (
            f"This leaves after-hours time uncovered after the shift ending {_when(before.ends_at)}. "
            "Start this shift then, or add the shift in between first."
        )
    if after and ends_at < after.starts_at and program.after_hours_within(ends_at, after.starts_at):
        errors["ends_at"] = (
            f"This leaves after-hours time uncovered before the shift starting {_when(after.starts_at)}."
        )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return OnCallShift.objects.create(
                program=program,
                starts_at=starts_at,
                ends_at=ends_at,
                primary=primary,
                backup=backup,
                created_by=actor.user,
            )
    except IntegrityError as error:
        # The rota trigger names the rule it refused (overlaps are only checked there; a gap, when another shift
        # was added at the same moment).
        refused = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
        message = ROTA_REFUSALS.get(refused)
        if message is None:
            raise
        raise ValidationError({"starts_at": message}) from None


ROTA_REFUSALS = {
    ROTA_NO_OVERLAP: "This shift overlaps another shift of the rota.",
    ROTA_AFTER_HOURS_COVERED: "This leaves after-hours time uncovered.",
}


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "D M j, g:i a")
