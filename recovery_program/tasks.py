from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat enqueues this each minute; a worker running it proves that tasks still run (`/healthz`)."""
    from recovery_program.health import heartbeat_record

    heartbeat_record("worker")
