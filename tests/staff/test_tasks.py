"""Background work on a real worker, against the real Redis of REDIS_URL."""

from __future__ import annotations

import datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from recovery_program.celery import app
from staff.sessions import SessionStore
from staff.sessions import StaffSession as Session
from staff.tasks import clear_expired_sessions


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30) as worker:
        yield worker


def _session(expires_in: datetime.timedelta) -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_clears_expired_sessions_and_a_second_run_does_nothing_more(celery_worker):
    expired = _session(-datetime.timedelta(minutes=1))
    live = _session(datetime.timedelta(minutes=20))

    assert clear_expired_sessions.apply_async(ignore_result=False).get(timeout=30) == 1
    assert clear_expired_sessions.apply_async(ignore_result=False).get(timeout=30) == 0

    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()


def test_tasks_are_acknowledged_late_and_requeued_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert "clear-expired-sessions" in app.conf.beat_schedule
