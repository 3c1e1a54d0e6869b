"""Paging supervisors about urgent concerns, and who can be reached now.

Who answers, step by step: during office hours the woman's clinical provider first (step 0, when she has one
who can answer and is not the one step 1 pages anyway); during office hours the coach's own supervisor,
otherwise the primary on call (step 1); the backup on call (step 2); every supervisor of the program (step 3),
again and again each program.escalation_minutes until someone has it, settings.PAGE_EVERYONE_ROUNDS times in all
(each a round of step 3; the database takes each page of a round once). Someone who cannot answer
(deactivated, or no longer a supervisor of the program) is left out, and a step left with nobody is passed
at once: nobody waits the escalation minutes for a person who will never answer.

Each page is a row written in the transaction that decides it (the concern, or an escalation), and
delivered by a Celery task enqueued after commit (texts and e-mails on queues of their own). No transaction is
open while a message is sent: the sender claims the row, sends with the page's key, then marks it sent. A send
that fails is tried again later, waiting longer each time (the row says when); after PAGE_MAX_ATTEMPTS (at once
for a refusal that trying again cannot help) the page is failed, the next step is paged at once and supervisors
see it. A text's provider then says whether it reached her phone (`record_receipt`): delivered, or failed, which
pages the next step like a failed send.

Each channel promises something different, deliberately. An e-mail goes out at most once: SMTP has no
idempotency key, so an e-mail left "sending" by a sender that died may have gone out, and is marked failed
("delivery unknown") and the next step paged at once, never sent again. A text goes out at least once: the
provider takes no idempotency key either, and a second text about an urgent concern is better than none, so a
text left "sending" is sent again. A sweep every minute delivers what is due
(the broker was down at commit, a worker died, a retry was lost) and escalates urgent concerns nobody
acknowledged within the program's minutes. A concern shared "within 24 hours" starts a clock: nobody has
it 24 hours later, and it is paged exactly like an urgent one, from step 1.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coaching.models import Concern, ConcernStatus, Urgency
from recovery_program.locks import sender_lock
from recovery_program.mail import language_of
from recovery_program.messaging import send_email, send_sms
from staff.models import Program, User
from staff.roles import Role, members_with_role
from supervision import rota
from supervision.models import OnCallShift, Page, PageStep
from supervision.permissions import current_supervisor_of

logger = logging.getLogger("supervision.paging")

# A page younger than this (or whose retry came due this recently) is left to the task enqueued for it.
SWEEP_GRACE = datetime.timedelta(seconds=30)
# A retry scheduled by one worker may run on another whose clock is a little behind.
CLOCK_SLACK = datetime.timedelta(seconds=5)
# Never anything clinical: that a concern needs her, and a link. Sent in the recipient's language (the caller
# activates it), so it is translated when it is sent.
MESSAGE = gettext_lazy("A concern needs you now. Open it and let the coach know you have it: {link}")
# A concern shared "within 24 hours" that nobody has after this long is paged like an urgent one.
DAY_CLOCK = datetime.timedelta(hours=24)
PAGED_URGENCIES = (Urgency.URGENT_NOW, Urgency.WITHIN_24_HOURS)
NOTHING_PAGED = -1  # `past` before any step: every step comes after it


def on_call_at(program: Program, moment: datetime.datetime) -> OnCallShift | None:
    return (
        OnCallShift.live.filter(program=program, starts_at__lte=moment, ends_at__gt=moment)
        .select_related("primary", "backup")
        .first()
    )


def supervisors_of(program: Program):
    """The people who can answer a page: active supervisors of the program."""
    return members_with_role(Role.SUPERVISOR, program_id=program.pk).order_by("pk")


@dataclass(frozen=True)
class Responders:
    """Who answers a coach at one moment. Each person is named only if she can answer (active, and a
    supervisor of the program): a deactivated primary on call is None here, not a name to call."""

    office_hours: bool
    shift: OnCallShift | None
    clinical_provider: User | None  # during office hours only, and only when she is not the first step's
    own_supervisor: User | None  # during office hours only
    primary: User | None
    backup: User | None
    everyone: list[User]

    @property
    def on_call(self) -> User | None:
        """The one to call on the rota: the primary, or the backup when the primary cannot answer."""
        return self.primary or self.backup

    @property
    def nobody_named(self) -> bool:
        """Nobody in particular can answer now: the coach calls any supervisor, and all are paged."""
        return not (self.own_supervisor or self.on_call)

    def at(self, step: PageStep) -> list[User]:
        if step == PageStep.PROVIDER:
            return [self.clinical_provider] if self.clinical_provider else []
        if step == PageStep.FIRST:
            first = self.own_supervisor or self.primary
            return [first] if first else []
        if step == PageStep.BACKUP:
            return [self.backup] if self.backup else []
        return self.everyone


def responders(
    program: Program, coach: User, moment: datetime.datetime, *, clinical_provider_id: int | None = None
) -> Responders:
    """Who answers at `moment`; `clinical_provider_id`: the woman's clinical provider, asked first in office hours
    (a concern about her), passed over when away, unable to answer, or the one the first step pages anyway."""
    everyone = list(supervisors_of(program))
    # Someone away today (sick, on leave: supervision.rota) is passed over by name, as if she could not answer;
    # a cover's substitute is the primary while it lasts.
    away = rota.away_now(program, moment)
    can_answer = {supervisor.pk: supervisor for supervisor in everyone if supervisor.pk not in away}
    shift = on_call_at(program, moment)
    primary_id = rota.primary_at(shift, moment)[0] if shift else None
    office_hours = program.is_office_hours(moment)
    own = current_supervisor_of(coach) if office_hours else None
    own_supervisor = can_answer.get(own.pk) if own else None
    primary = can_answer.get(primary_id) if primary_id else None
    provider = can_answer.get(clinical_provider_id) if office_hours and clinical_provider_id else None
    return Responders(
        office_hours=office_hours,
        shift=shift,
        clinical_provider=provider if provider and provider != (own_supervisor or primary) else None,
        own_supervisor=own_supervisor,
        primary=primary,
        backup=can_answer.get(shift.backup_id) if shift and shift.backup_id != primary_id else None,
        everyone=everyone,
    )


def reachable_now(coach: User, moment: datetime.datetime | None = None) -> Responders:
    """Who a coach can call now: the supervisor on call, and during office hours her own supervisor."""
    return responders(coach.program, coach, moment or timezone.now())


def _page(concern: Concern, step: PageStep, recipients: list[User], round: int = 1) -> list[Page]:
    """Writes the step's pages (e-mail always, a text when she has a phone); delivery is enqueued after commit."""
    pages = []
    for recipient in recipients:
        channels = [Page.Channel.EMAIL] + ([Page.Channel.SMS] if recipient.phone else [])
        for channel in channels:
            page, created = Page.objects.get_or_create(
                concern=concern, step=step, round=round, recipient=recipient, channel=channel
            )
            if created:
                pages.append(page)
    for page in pages:
        transaction.on_commit(lambda page_id=page.pk, channel=page.channel: enqueue_delivery(page_id, channel))
    return pages


def _page_after(concern: Concern, past: int, moment: datetime.datetime) -> list[Page]:
    """Pages the first step after `past` that has someone who can answer."""
    who = responders(concern.program, concern.coach, moment, clinical_provider_id=concern.patient.clinical_provider_id)
    for step in PageStep:
        if step > past and (recipients := who.at(step)):
            return _page(concern, step, recipients)
    if past < PageStep.EVERYONE:
        logger.error("Concern %s: no supervisor of its program can be paged.", concern.pk)
    return []


def concern_raise_pages(concern: Concern) -> list[Page]:
    """Called in the transaction that shares an urgent concern."""
    if concern.urgency != Urgency.URGENT_NOW:
        return []
    return _page_after(concern, NOTHING_PAGED, timezone.now())


def _waiting(concern_id: int) -> Concern | None:
    """The concern, its row locked (so that two sweeps or senders page once), if nobody has it and it is open."""
    concern = (
        Concern.objects.select_for_update(of=("self",)).select_related("program", "coach", "patient").get(pk=concern_id)
    )
    if concern.acknowledged_at is not None or concern.status == ConcernStatus.CLOSED:
        return None
    return concern


def _escalate(concern_id: int, *, past: int, past_round: int = 1, now: datetime.datetime) -> list[Page]:
    """Pages the step after `past` (after every supervisor, every supervisor again, while rounds are left),
    unless the concern was acknowledged or closed, or a later step or round was paged already. Call it inside a
    transaction."""
    concern = _waiting(concern_id)
    if concern is None:
        return []
    later = Q(step__gt=past) | Q(step=past, round__gt=past_round)
    if concern.pages.filter(later).exists():
        return []
    if past < PageStep.EVERYONE:
        return _page_after(concern, past, now)
    if past_round >= settings.PAGE_EVERYONE_ROUNDS:
        return []
    pages = _page(concern, PageStep.EVERYONE, list(supervisors_of(concern.program)), round=past_round + 1)
    if past_round + 1 == settings.PAGE_EVERYONE_ROUNDS:
        logger.error("Concern %s: every supervisor was paged %s times and nobody has it.", concern.pk, past_round + 1)
    return pages


def _start_clock_pages(concern_id: int, now: datetime.datetime) -> list[Page]:
    """The first pages of a "within 24 hours" concern nobody had in time; nothing if it was paged already."""
    concern = _waiting(concern_id)
    if concern is None or concern.pages.exists():
        return []
    return _page_after(concern, NOTHING_PAGED, now)


@dataclass(frozen=True)
class PagedForCoach:
    """What the coach is told about the paging of her urgent concern, as it really is: when a text first reached a
    supervisor's phone (`delivered_at`, from the provider's receipt), when a page first went out (`sent_at`: an
    e-mail handed to the mail server, a text to the provider), whether one is written and still on its way
    (`on_its_way`), and whether every page failed (`all_failed`)."""

    delivered_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    on_its_way: bool
    all_failed: bool = False


def paged_for_coach(concern: Concern) -> PagedForCoach:
    """How far the paging of this concern has got, truthfully (created, sent, delivered, failed): the coach is
    told, so she knows whether help is coming or she should call."""
    went_out = [Page.Status.SENT, Page.Status.DELIVERED]
    found = concern.pages.aggregate(
        delivered=Min("delivered_at", filter=Q(status=Page.Status.DELIVERED)),
        sent=Min("sent_at", filter=Q(status__in=went_out)),
        waiting=Count("pk", filter=Q(status__in=[Page.Status.PENDING, Page.Status.SENDING])),
        failed=Count("pk", filter=Q(status=Page.Status.FAILED)),
        written=Count("pk"),
    )
    return PagedForCoach(
        delivered_at=found["delivered"],
        sent_at=found["sent"],
        on_its_way=bool(found["waiting"]),
        all_failed=bool(found["written"]) and found["failed"] == found["written"],
    )


@dataclass(frozen=True)
class Escalation:
    """Where a concern's paging stands, for the on-call page: `state` is one of "closed", "acknowledged",
    "clock" (a "within 24 hours" concern not paged yet: `next_at` is when it will be), "waiting" (`next_at` is
    when the next step or round is paged, `next_label` says who), "exhausted" (every round was paged and nobody
    has it), or "none" (never paged: routine, or nobody could be paged)."""

    state: str
    next_at: datetime.datetime | None = None
    next_label: str = ""
    rounds_paged: int = 0


def escalation_of(concern: Concern, pages: list[Page]) -> Escalation:
    """From the concern and its pages, already loaded: no query of its own."""
    if not concern.is_open:
        return Escalation("closed")
    if concern.acknowledged_at is not None:
        return Escalation("acknowledged")
    if not pages:
        if concern.urgency == Urgency.WITHIN_24_HOURS:
            return Escalation("clock", concern.created_at + DAY_CLOCK, _("her supervisor or the supervisor on call"))
        return Escalation("none")
    last_step = max(page.step for page in pages)
    rounds = max(page.round for page in pages if page.step == last_step)
    next_at = max(page.created_at for page in pages) + datetime.timedelta(minutes=concern.program.escalation_minutes)
    if last_step < PageStep.EVERYONE:
        label = {
            PageStep.PROVIDER: _("her supervisor or the supervisor on call"),
            PageStep.FIRST: _("the backup on call, or else every supervisor"),
        }.get(last_step, _("every supervisor"))
        return Escalation("waiting", next_at, label)
    if rounds >= settings.PAGE_EVERYONE_ROUNDS:
        return Escalation("exhausted", rounds_paged=rounds)
    label = _("every supervisor again (%(round)d of %(rounds)d)") % {
        "round": rounds + 1,
        "rounds": settings.PAGE_EVERYONE_ROUNDS,
    }
    return Escalation("waiting", next_at, label, rounds_paged=rounds)


# A page due longer ago than this and still not out means delivery has stopped (no worker, no sweep, provider
# down): /healthz says so, and monitoring notices before a supervisor misses an urgent concern.
PAGE_LATE_AFTER = datetime.timedelta(minutes=5)


def late_pages_check(now: datetime.datetime) -> tuple[str, dict[str, object]]:
    """For /healthz (registered in supervision/apps.py): the oldest page that was due and has not gone out."""
    due = Coalesce("next_attempt_at", "created_at")
    oldest = (
        Page.objects.filter(status__in=[Page.Status.PENDING, Page.Status.SENDING])
        .annotate(due=due)
        .filter(due__lte=now)
        .aggregate(oldest=Min("due"))["oldest"]
    )
    waited = int((now - oldest).total_seconds()) if oldest else 0
    return ("late" if oldest and now - oldest > PAGE_LATE_AFTER else "ok"), {"oldest_page_waiting_seconds": waited}


def enqueue_delivery(page_id: int, channel: str) -> None:
    """Hands the page to the workers of its channel's queue (settings.CELERY_TASK_ROUTES): a slow text provider
    does not hold up e-mails or the sweep."""
    from supervision.tasks import deliver_email, deliver_text

    task = deliver_text if channel == Page.Channel.SMS else deliver_email
    try:
        task.delay(page_id)
    except Exception:  # the broker is down: the row stays pending and the sweep delivers it
        logger.warning("Could not enqueue page %s now; the sweep will deliver it.", page_id, exc_info=True)


class PageNotSent(Exception):
    """A send failed; the page is due again at `retry_at`."""

    def __init__(self, page_id: int, retry_at: datetime.datetime):
        super().__init__(f"Page {page_id} was not sent; it is due again at {retry_at.isoformat()}.")
        self.retry_at = retry_at


def deliver(page_id: int) -> bool:
    """Sends one page unless it was sent already, failed for good, is not due yet, or another sender has it.
    True if this call sent it.

    One sender at a time: she holds an advisory lock on the page (a session lock, no transaction open) from
    before she claims the row until after she marks it. A row still "sending" whose lock is free was left by
    a sender that died (the lock went with her connection): a text is sent again at once (at least once; the
    page's key keeps an outbox or a provider that dedupes from sending it twice), an e-mail is not (at most
    once: it is failed as "delivery unknown" and the next step paged). (Session locks need a database
    connection of one's own: no pooler in transaction mode in front of it.)

    A send that fails raises PageNotSent, with the time it is due again; the last allowed attempt marks the
    page failed, pages the next step and returns False.
    """
    with _sender_lock(page_id) as alone:
        if not alone:
            return False
        page = _claim(page_id, timezone.now())
        if page is None:
            return False
        try:
            sid = _send(page)
        except Exception as error:
            retry_at = _record_failure(page, error)
            if retry_at is None:
                return False
            raise PageNotSent(page.pk, retry_at) from error
        # A receipt may have come first (and moved the page on): then it recorded the provider's id itself.
        Page.objects.filter(pk=page.pk, status=Page.Status.SENDING).update(
            status=Page.Status.SENT, sent_at=timezone.now(), provider_sid=sid or ""
        )
        return True


def _sender_lock(page_id: int):
    return sender_lock("page", page_id)


def _claim(page_id: int, now: datetime.datetime) -> Page | None:
    """Takes the page for this sender, in a short transaction: pending and due, or a text left by a dead sender.
    An e-mail left by a dead sender is failed instead (at most once), and the next step paged."""
    with transaction.atomic():
        page = Page.objects.select_for_update(of=("self",)).select_related("recipient").filter(pk=page_id).first()
        if page is None:
            return None
        # Under the sender lock, a page still "sending" is one whose sender died.
        if page.status == Page.Status.SENDING and page.channel == Page.Channel.EMAIL:
            logger.warning("Page %s: its sender stopped while sending an e-mail; not sent again.", page.pk)
            _fail(page, Page.DELIVERY_UNKNOWN, now)
            return None
        due = page.status == Page.Status.SENDING or (
            page.status == Page.Status.PENDING
            and (page.next_attempt_at is None or page.next_attempt_at <= now + CLOCK_SLACK)
        )
        if not due:
            return None
        page.status = Page.Status.SENDING
        page.claimed_at = now
        page.attempts += 1
        page.save(update_fields=["status", "claimed_at", "attempts"])
        return page


def _send(page: Page) -> str | None:
    """Sends the page under its key; returns the provider's id of a text, if it gives one."""
    link = settings.SITE_URL.rstrip("/") + reverse("supervision:page", args=[page.pk])
    key = str(page.key)
    with translation.override(language_of(page.recipient)):
        body = str(MESSAGE).format(link=link)
        if page.channel == Page.Channel.SMS:
            return send_sms(to=page.recipient.phone, body=body, key=key)
        send_email(to=page.recipient.email, subject=_("A concern needs you now"), body=body, key=key)
    return None


def _record_failure(page: Page, error: Exception) -> datetime.datetime | None:
    """Puts a page whose send failed back to wait, twice as long after each attempt, and returns when it is due.
    After the last attempt, or at once when the provider refused it for good (an invalid number), it is failed.
    Only the error's kind is kept (its class, or the provider's code): its message may repeat what was sent."""
    now = timezone.now()
    kind = getattr(error, "kind", type(error).__name__)[:300]
    logger.warning("Page %s: attempt %s of %s failed (%s).", page.pk, page.attempts, settings.PAGE_MAX_ATTEMPTS, kind)
    if page.attempts < settings.PAGE_MAX_ATTEMPTS and not getattr(error, "permanent", False):
        retry_at = now + datetime.timedelta(seconds=settings.PAGE_RETRY_SECONDS * 2 ** (page.attempts - 1))
        Page.objects.filter(pk=page.pk).update(status=Page.Status.PENDING, next_attempt_at=retry_at, last_error=kind)
        return retry_at
    _fail(page, kind, now)
    return None


def _fail(page: Page, kind: str, now: datetime.datetime) -> None:
    """Marks the page failed and pages the next step at once: a page that could not be delivered reached nobody.
    Supervisors see it on their home page and the concern's."""
    with transaction.atomic():
        Page.objects.filter(pk=page.pk).update(status=Page.Status.FAILED, failed_at=now, last_error=kind)
        # After every supervisor, the next round comes on its own time: a failed text does not page everyone now.
        if page.step < PageStep.EVERYONE:
            _escalate(page.concern_id, past=page.step, now=now)


# Twilio's message statuses (MessageStatus in its receipts).
RECEIPT_SENT = frozenset({"accepted", "scheduled", "queued", "sending", "sent"})
RECEIPT_DELIVERED = "delivered"
RECEIPT_FAILED = frozenset({"undelivered", "failed", "canceled"})


def record_receipt(*, key: uuid.UUID, sid: str, status: str, error_code: str) -> None:
    """A text provider's receipt for the page sent under `key` (handed to recovery_program.twilio at start-up).

    Sent: a page written or being sent is marked sent. Delivered: it reached her phone. Undelivered or failed: the
    page is failed and the next step paged at once, as after a send that failed. A receipt never moves a page
    back (the same receipt twice, or receipts out of order, change nothing more), and a receipt about an earlier
    attempt's message (another sid) is ignored unless it says delivered."""
    now = timezone.now()
    with transaction.atomic():
        page = Page.objects.select_for_update(of=("self",)).filter(key=key, channel=Page.Channel.SMS).first()
        if page is None:
            return
        if sid and page.provider_sid and sid != page.provider_sid and status != RECEIPT_DELIVERED:
            return
        changes: dict[str, object] = {} if page.provider_sid or not sid else {"provider_sid": sid}
        if status == RECEIPT_DELIVERED and page.status != Page.Status.DELIVERED:
            changes |= {"status": Page.Status.DELIVERED, "delivered_at": now, "sent_at": page.sent_at or now}
            changes |= {"failed_at": None}  # a text given up on that reached her after all is delivered
        elif status in RECEIPT_SENT and page.status in (Page.Status.PENDING, Page.Status.SENDING):
            changes |= {"status": Page.Status.SENT, "sent_at": now}
        elif status in RECEIPT_FAILED and page.status not in (Page.Status.DELIVERED, Page.Status.FAILED):
            Page.objects.filter(pk=page.pk).update(**changes)
            logger.warning("Page %s: the provider could not deliver it (%s).", page.pk, error_code or status)
            _fail(page, f"twilio-{error_code or status}"[:300], now)
            return
        if changes:
            Page.objects.filter(pk=page.pk).update(**changes)


def escalate_due(now: datetime.datetime) -> list[Page]:
    """Pages the next step (or round) for each paged concern nobody acknowledged within the program's minutes."""
    new_pages = []
    waiting = (
        Concern.objects.filter(urgency__in=PAGED_URGENCIES, acknowledged_at__isnull=True)
        .exclude(status=ConcernStatus.CLOSED)
        .exclude(pages__status=Page.Status.HELD)  # after a restore: a supervisor decides first
        .annotate(last_step=Max("pages__step"), last_round=Max("pages__round"), last_paged_at=Max("pages__created_at"))
        .filter(last_step__isnull=False)
        .exclude(last_step=PageStep.EVERYONE, last_round__gte=settings.PAGE_EVERYONE_ROUNDS)
        .select_related("program")
    )
    for concern in waiting:
        if now - concern.last_paged_at < datetime.timedelta(minutes=concern.program.escalation_minutes):
            continue
        with transaction.atomic():
            new_pages += _escalate(concern.pk, past=concern.last_step, past_round=concern.last_round, now=now)
    return new_pages


def page_overdue(now: datetime.datetime) -> list[Page]:
    """Pages each "within 24 hours" concern nobody acknowledged within 24 hours, as if it had been urgent."""
    new_pages = []
    overdue = (
        Concern.objects.filter(
            urgency=Urgency.WITHIN_24_HOURS,
            acknowledged_at__isnull=True,
            created_at__lte=now - DAY_CLOCK,
            pages__isnull=True,
        )
        .exclude(status=ConcernStatus.CLOSED)
        .values_list("pk", flat=True)
    )
    for concern_id in overdue:
        with transaction.atomic():
            new_pages += _start_clock_pages(concern_id, now)
    return new_pages


def sweep(now: datetime.datetime | None = None) -> dict:
    """Every minute: deliver what is due, and escalate what waited too long.

    Due: a pending page whose time has come (and that its own task had a moment to send), and a page claimed
    longer ago than a task may run, whose sender must have died."""
    now = now or timezone.now()
    claim_outlived = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    due = list(
        Page.objects.filter(
            Q(status=Page.Status.PENDING, next_attempt_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
            | Q(status=Page.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
            | Q(status=Page.Status.SENDING, claimed_at__lte=claim_outlived)
        ).values_list("pk", "channel")
    )
    for page_id, channel in due:
        enqueue_delivery(page_id, channel)
    overdue = page_overdue(now)
    escalated = escalate_due(now)
    return {"redelivered": len(due), "overdue": len(overdue), "escalated": len(escalated)}
