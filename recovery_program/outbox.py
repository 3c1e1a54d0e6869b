"""The outbox: every e-mail that must not be lost (password links, the notices), the way pages to supervisors go.

`message_add` writes an `Outgoing` row in the caller's transaction, so the change and its e-mail commit together
or not at all, and hands it to a worker after commit (`deliver_message`). With the broker out of reach nothing is
lost and the request is not failed: the row stays pending and `sweep` (beat, every minute) hands it over again.

Each kind registers, from its app's `ready()`, how its e-mail is built when it is sent: a password link is made
then (never stored), an account deactivated meanwhile gets nothing (the row is dropped).

Sending, as for pages: an advisory lock per row (no transaction open while sending), a short transaction that
claims the row (`sending`, one more attempt), the send, then `sent`. A send that fails waits MESSAGE_RETRY_SECONDS,
then twice as long each time, and after MESSAGE_MAX_ATTEMPTS the row is `failed`. E-mail goes out **at most once**:
a row still `sending` whose sender's lock is free was left by a sender that died, perhaps after the mail server
took it; SMTP cannot tell a repeat, so it is marked `unknown` and never sent again (a password link can be asked
for again; a second copy of a notice would only confuse).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from recovery_program.locks import sender_lock
from recovery_program.mail import language_of, send_templated
from recovery_program.models import Outgoing

logger = logging.getLogger("recovery_program.outbox")

# A row younger than this (or whose retry came due this recently) is left to the task enqueued for it.
SWEEP_GRACE = datetime.timedelta(seconds=30)
CLOCK_SLACK = datetime.timedelta(seconds=5)


@dataclass(frozen=True)
class Built:
    """An e-mail ready to send: its template's context (objects may be loaded here) and, unless the row names an
    address, the recipient's address now."""

    context: dict


# kind -> builds the e-mail from the row when it is sent; None: no longer to be sent (the row is dropped).
Builder = Callable[[Outgoing], "Built | None"]
_builders: dict[str, Builder] = {}


def register(kind: str, build: Builder) -> None:
    """Called from an app's `ready()`: how e-mails of this kind are built when they are sent."""
    _builders[kind] = build


def kinds() -> set[str]:
    return set(_builders)


def message_add(*, kind: str, recipient, template: str, context: dict | None = None, address: str = "") -> Outgoing:
    """Writes the e-mail in the caller's transaction; it is handed to a worker after commit. `context`: ids, dates
    and plain words only, never clinical content (it stays in the database until the row is cleared)."""
    if kind not in _builders:
        raise ValueError(f"No e-mail of kind {kind!r} is registered.")
    message = Outgoing.objects.create(
        kind=kind, recipient=recipient, template=template, context=context or {}, address=address
    )
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message


def enqueue_delivery(message_id: int) -> None:
    from recovery_program.tasks import deliver_message

    try:
        deliver_message.delay(message_id)
    except Exception:  # the broker is out of reach: the row stays pending and the sweep hands it over
        logger.warning("Could not hand e-mail %s to a worker now; the sweep will.", message_id, exc_info=True)


class MessageNotSent(Exception):
    """A send failed; the row is due again at `retry_at`."""

    def __init__(self, message_id: int, retry_at: datetime.datetime):
        super().__init__(f"E-mail {message_id} was not sent; it is due again at {retry_at.isoformat()}.")
        self.retry_at = retry_at


def deliver(message_id: int) -> bool:
    """Sends one e-mail unless it was sent, failed, held, dropped, is not due, or another sender has it. True if
    this call sent it. A send that fails raises MessageNotSent with the time it is due again; the last allowed
    attempt marks it failed and returns False."""
    with sender_lock("outgoing", message_id) as alone:
        if not alone:
            return False
        message = _claim(message_id, timezone.now())
        if message is None:
            return False
        try:
            # In her language: the e-mail's words, and any the builder makes.
            with translation.override(language_of(message.recipient)):
                built = _builders[message.kind](message)
                if built is None:
                    Outgoing.objects.filter(pk=message.pk).update(status=Outgoing.Status.DROPPED)
                    return False
                to = message.address or message.recipient.email
                send_templated(message.template, to=[to], context=built.context, key=str(message.key))
        except Exception as error:
            retry_at = _record_failure(message, error)
            if retry_at is None:
                return False
            raise MessageNotSent(message.pk, retry_at) from error
        Outgoing.objects.filter(pk=message.pk, status=Outgoing.Status.SENDING).update(
            status=Outgoing.Status.SENT, sent_at=timezone.now()
        )
        return True


def _claim(message_id: int, now: datetime.datetime) -> Outgoing | None:
    """Takes the row for this sender in a short transaction (the row alone is locked): pending and due. A row
    still `sending` under the sender lock was left by a sender that died: marked unknown, not sent again."""
    with transaction.atomic():
        message = Outgoing.objects.select_for_update(of=("self",)).filter(pk=message_id).first()
        if message is None:
            return None
        if message.status == Outgoing.Status.SENDING:
            message.status = Outgoing.Status.UNKNOWN
            message.last_error = "SenderStopped"
            message.save(update_fields=["status", "last_error"])
            logger.error("E-mail %s: its sender stopped while sending; marked unknown, not sent again.", message.pk)
            return None
        due = message.status == Outgoing.Status.PENDING and (
            message.next_attempt_at is None or message.next_attempt_at <= now + CLOCK_SLACK
        )
        if not due:
            return None
        message.status = Outgoing.Status.SENDING
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["status", "claimed_at", "attempts"])
    return Outgoing.objects.select_related("recipient").get(pk=message_id)


def _record_failure(message: Outgoing, error: Exception) -> datetime.datetime | None:
    """Back to pending, due again twice as long after each attempt; failed after the last. Only the error's class
    is kept: its message may repeat the address or what was sent."""
    kind = type(error).__name__
    logger.warning(
        "E-mail %s: attempt %s of %s failed (%s).", message.pk, message.attempts, settings.MESSAGE_MAX_ATTEMPTS, kind
    )
    if message.attempts < settings.MESSAGE_MAX_ATTEMPTS:
        wait = datetime.timedelta(seconds=settings.MESSAGE_RETRY_SECONDS * 2 ** (message.attempts - 1))
        retry_at = timezone.now() + wait
        Outgoing.objects.filter(pk=message.pk).update(
            status=Outgoing.Status.PENDING, next_attempt_at=retry_at, last_error=kind
        )
        return retry_at
    Outgoing.objects.filter(pk=message.pk).update(status=Outgoing.Status.FAILED, last_error=kind)
    logger.error("E-mail %s could not be sent after %s attempts.", message.pk, message.attempts)
    return None


def sweep(now: datetime.datetime | None = None) -> int:
    """Every minute: hands over each pending row that is due (its task was lost, or the broker was down at commit)
    and each row claimed longer ago than a task may run (its sender died: `deliver` marks it unknown). Held rows
    wait for a person. Returns how many were handed over."""
    now = now or timezone.now()
    claim_outlived = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    due = list(
        Outgoing.objects.filter(
            Q(status=Outgoing.Status.PENDING, next_attempt_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
            | Q(status=Outgoing.Status.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
            | Q(status=Outgoing.Status.SENDING, claimed_at__lte=claim_outlived)
        ).values_list("pk", flat=True)
    )
    for message_id in due:
        enqueue_delivery(message_id)
    return len(due)


def hold_unsent() -> int:
    """After a restore: every e-mail that was waiting or being sent at backup time is held, for a person to send
    or drop (`message_release`). Returns how many."""
    return Outgoing.objects.filter(status__in=[Outgoing.Status.PENDING, Outgoing.Status.SENDING]).update(
        status=Outgoing.Status.HELD
    )


@transaction.atomic
def message_release(*, message: Outgoing, send: bool) -> Outgoing:
    """A held e-mail is sent now (back to pending, handed over after commit) or dropped as no longer needed.
    Whoever may do it is decided by the caller's permission layer; it records who did it."""
    message = Outgoing.objects.select_for_update().get(pk=message.pk)
    if message.status != Outgoing.Status.HELD:
        return message
    if send:
        message.status = Outgoing.Status.PENDING
        message.next_attempt_at = None
        message.attempts = 0
        transaction.on_commit(lambda: enqueue_delivery(message.pk))
    else:
        message.status = Outgoing.Status.DROPPED
    message.save(update_fields=["status", "next_attempt_at", "attempts"])
    return message


# An e-mail due this long and not sent, or one that failed this recently, makes /healthz answer 503: a password
# link or a notice is not getting through (SMTP down, a stopped e-mail worker, a wrong password in the settings).
LATE_AFTER = datetime.timedelta(minutes=15)
FAILED_WITHIN = datetime.timedelta(hours=1)


def outbox_check(now: datetime.datetime) -> tuple[str, dict[str, object]]:
    """For /healthz: the oldest e-mail due and not sent, and those that failed (or may not have gone out) in the
    last day. Held rows wait for a person, not for the workers, and are left out."""
    due = Coalesce("next_attempt_at", "created_at")
    figures = Outgoing.objects.aggregate(
        oldest=Min(due, filter=Q(status__in=[Outgoing.Status.PENDING, Outgoing.Status.SENDING])),
        failed_recently=Count(
            "pk",
            filter=Q(status__in=[Outgoing.Status.FAILED, Outgoing.Status.UNKNOWN], created_at__gte=now - FAILED_WITHIN),
        ),
        failed_today=Count(
            "pk",
            filter=Q(
                status__in=[Outgoing.Status.FAILED, Outgoing.Status.UNKNOWN],
                created_at__gte=now - datetime.timedelta(days=1),
            ),
        ),
    )
    oldest = figures["oldest"]
    waited = max(0, int((now - oldest).total_seconds())) if oldest and oldest <= now else 0
    if figures["failed_recently"]:
        status = "failing"
    elif waited > LATE_AFTER.total_seconds():
        status = "late"
    else:
        status = "ok"
    return status, {"oldest_email_waiting_seconds": waited, "emails_failed_last_day": figures["failed_today"]}
