from __future__ import annotations

from celery import shared_task

from recovery_program import access_log_chain, access_log_partitions, once, outbox


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def forget_old_submissions() -> int:
    """Removes one-time form keys older than a week. Safe to run twice: a second run finds nothing more."""
    return once.forget_old_submissions()


@shared_task(ignore_result=True)
def heartbeat(name: str = "worker") -> None:
    """Beat enqueues this each minute on each queue; the worker running it proves that its queue's tasks still run
    (`/healthz`; `name` is that queue's worker, settings.WORKER_HEARTBEATS)."""
    from recovery_program.health import HEARTBEATS, heartbeat_record

    if name in HEARTBEATS:
        heartbeat_record(name)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def seal_access_log() -> int:
    """Every minute: seals the access-log rows committed since the last run, in id order (access_log_chain).

    Safe to run twice or at once: a row is sealed once, and one run at a time does the sealing."""
    return access_log_chain.seal()


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def add_access_log_partitions() -> int:
    """Daily: makes the access log's partitions for this month and the next three; returns how many it made.

    Safe to run twice or at once: a month that has its partition is left as it is (one maker at a time)."""
    return len(access_log_partitions.add_months())


@shared_task(
    bind=True, autoretry_for=(Exception,), retry_backoff=5, retry_backoff_max=120, retry_jitter=True, max_retries=12
)
def deliver_message(self, message_id: int) -> bool:
    """Sends one outbox e-mail. Safe to run twice: one sent, being sent, failed, held or dropped is not sent again. A
    send that failed is tried again when the row is due (the sweep does it too, should this retry be lost)."""
    try:
        return outbox.deliver(message_id)
    except outbox.MessageNotSent as not_sent:
        raise self.retry(eta=not_sent.retry_at, exc=not_sent) from not_sent


@shared_task
def sweep_messages() -> int:
    """Every minute: hands over outbox e-mails still waiting (see recovery_program.outbox.sweep)."""
    return outbox.sweep()
