from __future__ import annotations

from celery import shared_task

from recovery_program import access_log_chain, once


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def forget_old_submissions() -> int:
    """Removes one-time form keys older than a week. Safe to run twice: a second run finds nothing more."""
    return once.forget_old_submissions()


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat enqueues this each minute; a worker running it proves that tasks still run (`/healthz`)."""
    from recovery_program.health import heartbeat_record

    heartbeat_record("worker")


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def seal_access_log() -> int:
    """Every minute: seals the access-log rows committed since the last run, in id order (access_log_chain).

    Safe to run twice or at once: a row is sealed once, and one run at a time does the sealing."""
    return access_log_chain.seal()
