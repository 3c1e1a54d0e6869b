from __future__ import annotations

from celery import shared_task

from recovery_program import once


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def forget_old_submissions() -> int:
    """Removes one-time form keys older than a week. Safe to run twice: a second run finds nothing more."""
    return once.forget_old_submissions()


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat enqueues this each minute; a worker running it proves that tasks still run (`/healthz`)."""
    from recovery_program.health import heartbeat_record

    heartbeat_record("worker")
