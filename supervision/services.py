"""Writes about supervision: links, sessions, agenda items, the on-call rota, the Monday notices."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coaching.debrief import DebriefEvent
from coaching.models import Draft
from coaching.services import draft_discard
from patients import permissions as patient_permissions
from patients.models import BreakGlass, Patient
from recovery_program import outbox
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many, log_access_records
from recovery_program.models import Outgoing
from recovery_program.versioning import check_version
from staff.models import Program, User
from staff.roles import Role, members_with_role
from supervision import paging, rota
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
    Page,
    SessionStatus,
    ShiftCover,
    SupervisionAssignment,
    SupervisionSession,
    Unavailability,
)
from supervision.paging import on_call_at, supervisors_of
from supervision.rota import Span


@transaction.atomic
def supervision_assign(
    *, actor: Actor, coach: User, supervisor: User, started_on: datetime.date
) -> SupervisionAssignment:
    """Makes `supervisor` her primary supervisor from `started_on`; the previous link ends that day."""
    User.objects.select_for_update().get(pk=coach.pk)
    current = SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).first()
    if current is not None:
        if current.supervisor_id == supervisor.pk:
            raise ValidationError({"supervisor": _("%(name)s already supervises her.") % {"name": supervisor}})
        if started_on < current.started_on:
            raise ValidationError(
                {"started_on": _("Her current supervision began %(date)s.") % {"date": date_format(current.started_on)}}
            )
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
    shift = OnCallShift.live.filter(Q(primary=user) | Q(backup=user), ends_at__gt=now).order_by("starts_at").first()
    if shift is not None:
        errors.append(
            _("%(name)s is on the on-call rota (from %(when)s). Give her shifts to another supervisor first.")
            % {"name": user, "when": _when(shift.starts_at)}
        )
    cover = ShiftCover.live.filter(substitute=user, ends_at__gt=now, shift__removed_at__isnull=True).first()
    if cover is not None:
        errors.append(
            _("%(name)s covers a shift from %(when)s. End that cover first.")
            % {"name": user, "when": _when(cover.starts_at)}
        )
    coaches = members_with_role(Role.COACH, program_id=user.program_id)
    waiting = sorted(str(link.coach) for link in links if link.supervisor_id == user.pk and link.coach in coaches)
    if waiting:
        errors.append(
            _("%(name)s supervises %(coaches)s. Give them another supervisor first.")
            % {"name": user, "coaches": ", ".join(waiting)}
        )
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
        raise ValidationError({"patient": _("A check-in or a boundary question is not about one woman.")})
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
        raise ValidationError(_("Only a boundary question is answered here."))
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
        raise ValidationError({"notes": _("Write down the safeguards she keeps with this woman.")})
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
    program_id = session.program_id
    CaseReview.objects.bulk_create([CaseReview(program_id=program_id, session=session, **case) for case in cases])
    ActionItem.objects.bulk_create(
        [ActionItem(program_id=program_id, session=session, **item) for item in action_items]
    )
    named = {case["patient"].pk for case in cases}
    if session.status == SessionStatus.HELD:
        AgendaItem.objects.filter(pk__in=[item.pk for item in agenda_done]).update(discussed_in=session)
        ActionItem.objects.filter(pk__in=[item.pk for item in actions_done]).update(done_at=timezone.now())
        named |= {item.patient_id for item in agenda_done if item.patient_id}
        Debrief.objects.bulk_create(
            [
                Debrief(
                    program_id=program_id,
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


@transaction.atomic
def page_release(*, actor: Actor, page: Page, send: bool) -> Page:
    """A supervisor decides about a page held after a restore: sent now (delivered like any page, and the concern's
    escalation resumes from where it stood) or dropped as no longer needed. Logged on the concern's patient. A page
    already decided (by another supervisor) is left as it is and returned."""
    page = Page.objects.select_for_update(of=("self",)).select_related("concern__patient").get(pk=page.pk)
    if page.status != Page.Status.HELD:
        return page
    page.status = Page.Status.PENDING if send else Page.Status.DROPPED
    page.next_attempt_at = None
    page.save(update_fields=["status", "next_attempt_at"])
    if send:
        transaction.on_commit(lambda: paging.enqueue_delivery(page.pk, page.channel))
    log_access(actor, AccessAction.CHANGE, patient=page.concern.patient, record=page, record_type="page")
    return page


def pages_hold_after_restore() -> int:
    """After a restore of the database: every page that was waiting or being sent at backup time is held, for a
    supervisor to send or drop; the sweep never sends a held page. Returns how many."""
    return Page.objects.filter(status__in=[Page.Status.PENDING, Page.Status.SENDING]).update(status=Page.Status.HELD)


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def missed_session_notices_send(*, program: Program, today: datetime.date) -> int:
    """For last week (Monday to Sunday) of the program, `today` being its date: each of its coaches with a
    supervisor and no session held gets her supervisor told, once: the notice and its e-mail in the outbox are
    written together (`sent_at`: when it was handed to the outbox). Returns how many were written."""
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
        notice, _created = MissedSessionNotice.objects.get_or_create(
            coach=link.coach, week_starting=last_week, defaults={"supervisor": link.supervisor}
        )
        with transaction.atomic():
            notice = MissedSessionNotice.objects.select_for_update().get(pk=notice.pk)
            if notice.sent_at:
                continue
            outbox.message_add(
                kind="missed_supervision",
                recipient=notice.supervisor,
                template="missed_supervision",
                context={"coach": link.coach_id, "week": last_week.isoformat()},
            )
            notice.sent_at = timezone.now()
            notice.save(update_fields=["sent_at"])
            sent += 1
    return sent


def missed_session_notice_build(message: Outgoing) -> outbox.Built:
    """The outbox builds the Monday notice when it sends it: the coach's name, the week and a link, nothing else."""
    return outbox.Built(
        {
            "coach": User.objects.get(pk=message.context["coach"]),
            "week": datetime.date.fromisoformat(message.context["week"]),
            "link": settings.SITE_URL.rstrip("/") + reverse("supervision:weeks"),
        }
    )


def _rota_around(
    program: Program, start: datetime.datetime, end: datetime.datetime, *, leaving_out: OnCallShift | None
) -> list[Span]:
    """The shifts on the rota from the one ending last before `start` to the one starting first after `end`, without
    `leaving_out`: what the rota would hold there once she saves."""
    live = OnCallShift.live.filter(program=program)
    if leaving_out is not None:
        live = live.exclude(pk=leaving_out.pk)
    before = live.filter(ends_at__lte=start).order_by("-ends_at").values_list("ends_at", flat=True).first()
    after = live.filter(starts_at__gte=end).order_by("starts_at").values_list("starts_at", flat=True).first()
    near = live.filter(ends_at__gte=before or start, starts_at__lte=after or end)
    return list(near.values_list("starts_at", "ends_at"))


def _gaps_left(program: Program, shifts: list[Span]) -> list[tuple[Span, list[Span]]]:
    """Each gap between consecutive shifts that holds after-hours time, with the hours it would leave uncovered."""
    shifts = sorted(shifts)
    gaps = []
    for (_start, ended), (started, _end) in itertools.pairwise(shifts):
        if ended < started and program.after_hours_within(ended, started):
            gaps.append(((ended, started), rota.after_hours_spans(program, ended, started)))
    return gaps


def _check_rota(
    program: Program,
    *,
    starts_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    shift: OnCallShift | None = None,
) -> None:
    """Refuses, saying exactly which hours (in the program's zone) would have no one on call, a rota where the
    shift (`shift` moved to starts_at to ends_at, or added there, or removed when they are None) leaves a gap
    with after-hours time. A gap before the shift is told next to its start, one after it next to its end, and one
    where it was, when it moves or goes, above the form."""
    window = [moment for moment in (starts_at, ends_at) if moment is not None]
    if shift is not None:
        window += [shift.starts_at, shift.ends_at]
    rota_then = _rota_around(program, min(window), max(window), leaving_out=shift)
    if starts_at is not None and ends_at is not None:
        if any(start < ends_at and starts_at < end for start, end in rota_then):
            raise ValidationError({"starts_at": str(ROTA_REFUSALS[ROTA_NO_OVERLAP])})
        rota_then.append((starts_at, ends_at))
    errors: dict[str, list[str]] = {}
    for (gap_start, gap_end), spans in _gaps_left(program, rota_then):
        where = "__all__"
        if gap_end == starts_at:
            where = "starts_at"
        elif gap_start == ends_at:
            where = "ends_at"
        errors.setdefault(where, []).append(
            (
                _(
                    "%(hours)s would have no one on call. "
                    "Change the times so that the shifts meet, or add a shift for those hours first."
                )
                if shift is None or starts_at is not None
                else _(
                    "%(hours)s would have no one on call. "
                    "Add a shift for those hours first, or give this shift to someone else."
                )
            )
            % {"hours": rota.say_spans(program, spans)}
        )
    if errors:
        raise ValidationError(errors)


def _save_shift(shift: OnCallShift, fields: list[str] | None = None) -> OnCallShift:
    """Saves, turning the rota trigger's refusal (another write at the same moment) into a message."""
    try:
        with transaction.atomic():
            shift.save(update_fields=fields) if fields else shift.save()
    except IntegrityError as error:
        # The rota trigger names the rule it refused.
        refused = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
        message = ROTA_REFUSALS.get(refused)
        if message is None:
            raise
        raise ValidationError({"starts_at": str(message)}) from None
    return shift


@transaction.atomic
def shift_add(
    *, actor: Actor, starts_at: datetime.datetime, ends_at: datetime.datetime, primary: User, backup: User
) -> OnCallShift:
    """Adds a shift unless it overlaps another or leaves after-hours time uncovered between it and the shifts before
    and after it (the database refuses both too)."""
    program = actor.user.program
    _check_rota(program, starts_at=starts_at, ends_at=ends_at)
    return _save_shift(
        OnCallShift(
            program=program, starts_at=starts_at, ends_at=ends_at, primary=primary, backup=backup, created_by=actor.user
        )
    )


def _locked(shift: OnCallShift, now: datetime.datetime) -> OnCallShift:
    shift = OnCallShift.objects.select_for_update().get(pk=shift.pk)
    if shift.removed_at is not None:
        raise ValidationError(_("This shift was removed from the rota."))
    if shift.ends_at <= now:
        raise ValidationError(_("This shift is over: its record stays as it was."))
    return shift


@transaction.atomic
def shift_change(
    *,
    actor: Actor,
    shift: OnCallShift,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    primary: User,
    backup: User,
) -> OnCallShift:
    """Changes a shift's times or people (handing it to another supervisor too). A shift under way keeps its start;
    covers must still lie inside it. The rota's rules hold as for a new shift, where it was and where it goes."""
    now = timezone.now()
    shift = _locked(shift, now)
    if shift.starts_at <= now and starts_at != shift.starts_at:
        raise ValidationError({"starts_at": _("This shift has started: its start stays as it was.")})
    if ends_at <= now:
        raise ValidationError({"ends_at": _("A shift cannot end in the past.")})
    outside = shift.covers(manager="live").exclude(starts_at__gte=starts_at, ends_at__lte=ends_at).first()
    if outside is not None:
        raise ValidationError(
            {
                "__all__": _("%(name)s covers %(span)s, outside these times. Remove that cover first.")
                % {"name": outside.substitute, "span": _cover_span(outside)}
            }
        )
    _check_rota(shift.program, starts_at=starts_at, ends_at=ends_at, shift=shift)
    shift.starts_at, shift.ends_at, shift.primary, shift.backup = starts_at, ends_at, primary, backup
    return _save_shift(shift, ["starts_at", "ends_at", "primary", "backup"])


@transaction.atomic
def shift_swap(
    *, actor: Actor, shift: OnCallShift, other: OnCallShift, seen_primary: int | None = None
) -> tuple[OnCallShift, OnCallShift]:
    """Two shifts exchange their primary supervisors (their times and backups stay: the rota stays whole).

    `seen_primary`: the shift's primary when she chose the swap; if it changed since (her second tap, or someone
    else's swap), the swap is refused rather than undone."""
    now = timezone.now()
    first, second = sorted([shift, other], key=lambda s: s.pk)  # one order of locks for everyone
    first, second = _locked(first, now), _locked(second, now)
    shift, other = (first, second) if first.pk == shift.pk else (second, first)
    if seen_primary is not None and shift.primary_id != seen_primary:
        raise ValidationError(
            _("%(name)s is now the primary of this shift: the rota changed. Look at it again.")
            % {"name": shift.primary}
        )
    if shift.pk == other.pk or shift.primary_id == other.primary_id:
        raise ValidationError({"other": _("Choose a shift that someone else is on call for.")})
    for mine, theirs in ((shift, other), (other, shift)):
        if theirs.primary_id == mine.backup_id:
            raise ValidationError(
                {
                    "other": _("%(name)s is the backup of the shift %(span)s: she cannot be its primary too.")
                    % {"name": theirs.primary, "span": _span(mine)}
                }
            )
    shift.primary_id, other.primary_id = other.primary_id, shift.primary_id
    _save_shift(shift, ["primary"])
    _save_shift(other, ["primary"])
    return shift, other


def shift_remove_effects(shift: OnCallShift) -> list[str]:
    covers = shift.covers(manager="live").count()
    return [
        _("The shift %(span)s (%(primary)s, backup %(backup)s) leaves the rota; its record and history stay.")
        % {"span": _span(shift), "primary": shift.primary, "backup": shift.backup},
        *(
            [
                ngettext("Its %(count)d cover ends with it.", "Its %(count)d covers end with it.", covers)
                % {"count": covers}
            ]
            if covers
            else []
        ),
    ]


def shift_removal_refusal(shift: OnCallShift) -> list[str]:
    """Why removing this shift is refused (the hours it would leave with no one on call), or nothing."""
    try:
        _check_rota(shift.program, starts_at=None, ends_at=None, shift=shift)
    except ValidationError as error:
        return error.messages
    return []


@transaction.atomic
def shift_remove(*, actor: Actor, shift: OnCallShift) -> OnCallShift:
    """Takes a shift that has not started off the rota (never deleted), with its covers; refused, saying which hours,
    if that would leave after-hours time with no one on call between the shifts around it."""
    now = timezone.now()
    shift = _locked(shift, now)
    if shift.starts_at <= now:
        raise ValidationError(_("This shift has started: change its end or hand it to someone else instead."))
    _check_rota(shift.program, starts_at=None, ends_at=None, shift=shift)
    shift.covers(manager="live").update(removed_at=now, removed_by=actor.user)
    shift.removed_at, shift.removed_by = now, actor.user
    return _save_shift(shift, ["removed_at", "removed_by"])


@transaction.atomic
def cover_add(
    *,
    actor: Actor,
    shift: OnCallShift,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    substitute: User,
) -> ShiftCover:
    """A substitute is the primary of part of a shift (the database holds it inside the shift, apart from its other
    covers)."""
    now = timezone.now()
    shift = _locked(shift, now)
    program = shift.program
    if not (shift.starts_at <= starts_at and ends_at <= shift.ends_at):
        raise ValidationError({"starts_at": f"A cover lies inside its shift: {_span(shift)}."})
    if starts_at < now - COVER_SLACK:
        raise ValidationError({"starts_at": f"A cover starts now ({_when(now)}) or later: who answered before stays."})
    if substitute.pk == shift.primary_id:
        raise ValidationError({"substitute": f"{substitute} is already the primary of this shift."})
    clash = shift.covers(manager="live").filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        raise ValidationError({"starts_at": f"{clash.substitute} already covers {_cover_span(clash)}."})
    away = rota.away_days(program, starts_at, ends_at).get(substitute.pk, [])
    if any(start < ends_at and starts_at < end for start, end in away):
        raise ValidationError({"substitute": f"{substitute} is away then. Choose someone else."})
    return ShiftCover.objects.create(
        shift=shift, starts_at=starts_at, ends_at=ends_at, substitute=substitute, created_by=actor.user
    )


@transaction.atomic
def cover_remove(*, actor: Actor, cover: ShiftCover) -> ShiftCover:
    """Ends a cover (never deleted): the shift's own primary answers those hours again."""
    cover = ShiftCover.objects.select_for_update().get(pk=cover.pk)
    if cover.removed_at is None:
        cover.removed_at, cover.removed_by = timezone.now(), actor.user
        cover.save(update_fields=["removed_at", "removed_by"])
    return cover


@transaction.atomic
def unavailability_add(
    *, actor: Actor, starts_on: datetime.date, ends_on: datetime.date, reason: str
) -> Unavailability:
    """She marks days she cannot answer (the kind of reason only): paging passes her over as primary and backup,
    and the rota shows the hours of her shifts as needing cover."""
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day comes on or after the first.")})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("These days are past.")})
    return Unavailability.objects.create(
        supervisor=actor.user, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor.user
    )


@transaction.atomic
def unavailability_remove(*, actor: Actor, unavailability: Unavailability) -> Unavailability:
    """She is back: the days no longer count (the record stays)."""
    row = Unavailability.objects.select_for_update().get(pk=unavailability.pk)
    if row.removed_at is None:
        row.removed_at = timezone.now()
        row.save(update_fields=["removed_at"])
    return row


# A cover "from now" typed a few minutes ago is still from now.
COVER_SLACK = datetime.timedelta(minutes=10)

ROTA_REFUSALS = {
    ROTA_NO_OVERLAP: gettext_lazy("This shift overlaps another shift of the rota."),
    ROTA_AFTER_HOURS_COVERED: gettext_lazy(
        "Someone else changed the rota at the same moment, and this would now leave "
        "after-hours time with no one on call. Look at the rota again."
    ),
}


def _span(shift: OnCallShift) -> str:
    return rota.say_span(shift.program, shift.starts_at, shift.ends_at)


def _cover_span(cover: ShiftCover) -> str:
    return rota.say_span(cover.shift.program, cover.starts_at, cover.ends_at)


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), _("D M j, g:i a"))


# Break-glass: the supervisor on call opens a record out of her reach in an emergency. The grant is
# patients.BreakGlass, which patients.permissions reads (nothing to revoke: it ends at ends_at); opening it asks the
# rota, which is supervision's, so the writes live here.
BREAK_GLASS_REASON_MAX = 300


def on_call_now(user: User, now: datetime.datetime) -> bool:
    """Is she the primary or the backup of the program's on-call shift at this moment?"""
    shift = on_call_at(user.program, now)
    return shift is not None and user.pk in (shift.primary_id, shift.backup_id)


@transaction.atomic
def break_glass_open(*, actor: Actor, patient: Patient, reason: str, now: datetime.datetime) -> BreakGlass:
    """Opens this woman's record to the supervisor on call for the program's break-glass minutes.

    Refused unless she may break glass at all (a supervisor of a program that keeps supervisors to their own;
    never a coach or an admin), she is on call now, she gives a reason, the woman is of her program and not
    already in her reach. The supervisors are told after the commit."""
    user = actor.user
    if not patient_permissions.can_break_glass(user) or patient.program_id != user.program_id:
        raise ValidationError(_("Only a supervisor of the program can open a record in an emergency."))
    reason = reason.strip()
    errors = {}
    if not on_call_now(user, now):
        errors["reason"] = _(
            "Only the supervisor on call now can open a record in an emergency. Call whoever is on call."
        )
    elif not reason:
        errors["reason"] = _("Say in a few words why she is in danger and who you could not reach.")
    elif len(reason) > BREAK_GLASS_REASON_MAX:
        errors["reason"] = _("Keep the reason to %(max)d characters.") % {"max": BREAK_GLASS_REASON_MAX}
    elif patient_permissions.patients_visible_to(user).filter(pk=patient.pk).exists():
        errors["reason"] = _("You can already see her record: open it from the patient list.")
    if errors:
        raise ValidationError(errors)
    grant = BreakGlass.objects.create(
        program_id=user.program_id,
        patient=patient,
        user=user,
        reason=reason,
        opened_at=now,
        ends_at=now + datetime.timedelta(minutes=user.program.break_glass_minutes),
        notified_at=now,
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=grant, record_type="break-glass access")
    # Every other supervisor of the program is told, through the outbox (written with the grant, never lost):
    # a record was opened in an emergency, review it, a link. Nothing about the woman or the reason.
    for other in supervisors_of(grant.program).exclude(pk=user.pk).exclude(email=""):
        outbox.message_add(kind="break_glass", recipient=other, template="break_glass", context={"grant": grant.pk})
    return grant


def break_glass_notice_build(message: Outgoing) -> outbox.Built:
    """The outbox builds the break-glass e-mail when it sends it: a link to the review, nothing else."""
    link = settings.SITE_URL.rstrip("/") + reverse("supervision:break_glass_review", args=[message.context["grant"]])
    return outbox.Built({"link": link})


@transaction.atomic
def break_glass_review(*, actor: Actor, grant: BreakGlass, note: str, now: datetime.datetime) -> BreakGlass:
    """Another supervisor of the program records her review, with a note. Not the one who opened it (the database
    refuses that too), and once."""
    user = actor.user
    grant = BreakGlass.objects.select_for_update().get(pk=grant.pk)
    note = note.strip()
    if not user.has_perm("patients.view_patient") or grant.program_id != user.program_id:
        raise ValidationError(_("Only a supervisor of the program reviews a record opened in an emergency."))
    if grant.user_id == user.pk:
        raise ValidationError({"note": _("Another supervisor reviews what you opened.")})
    if grant.reviewed_at is not None:
        raise ValidationError({"note": _("%(name)s reviewed it already.") % {"name": grant.reviewed_by}})
    if not note:
        raise ValidationError({"note": _("Write what you found: was opening it needed, and what follows.")})
    grant.reviewed_by, grant.reviewed_at, grant.review_note = user, now, note[:2000]
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    log_access(actor, AccessAction.CHANGE, patient=grant.patient, record=grant, record_type="break-glass access")
    return grant
