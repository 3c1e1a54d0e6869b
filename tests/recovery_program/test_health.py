"""/healthz tells a monitor whether the app can do its work: the database, the broker, the scheduler and the
workers (escalating an unanswered urgent concern needs both), and pages that should have gone out.
/healthz/web asks only about this web process, for load balancers."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from recovery_program.celery import HeartbeatScheduler
from recovery_program.celery import app as celery_app
from recovery_program.models import Heartbeat, Outgoing
from recovery_program.tasks import heartbeat
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_a_broker(settings):
    """A Redis address, as in production: heartbeats are watched only when tasks run in workers."""
    settings.REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/15"


@pytest.fixture
def beating(with_a_broker):
    for name in ("scheduler", "worker", "worker_texts", "worker_email"):
        Heartbeat.objects.create(name=name, beat_at=timezone.now())


def test_healthz_answers_anonymous_visitors_with_each_status(client, beating):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert (body["scheduler"], body["worker"], body["pages"], body["emails"]) == ("ok", "ok", "ok", "ok")
    assert (body["worker_texts"], body["worker_email"]) == ("ok", "ok")


def test_without_a_broker_there_are_no_heartbeats_to_watch(client, settings):
    settings.REDIS_URL = None
    body = client.get("/healthz").json()
    assert (body["broker"], body["scheduler"], body["worker"]) == ("in-process", "in-process", "in-process")


def test_healthz_is_503_when_the_broker_is_down(client, beating, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_is_503_when_the_scheduler_stopped_three_minutes_ago(client, beating):
    Heartbeat.objects.exclude(name="scheduler").update(beat_at=timezone.now() + datetime.timedelta(minutes=4))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4, seconds=1), tick=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["scheduler"], body["scheduler_seconds_ago"]) == ("stale", 241)
    assert body["worker"] == "ok"


def test_healthz_is_503_before_the_first_heartbeat(client, with_a_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json()["scheduler"], response.json()["worker"]) == ("never", "never")


def test_healthz_web_answers_200_while_the_scheduler_is_stopped(client, with_a_broker):
    assert client.get("/healthz").status_code == 503
    response = client.get("/healthz/web")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_heartbeat_task_a_worker_runs_writes_the_workers_heartbeat():
    heartbeat()
    assert Heartbeat.objects.get(name="worker").beat_at == timezone.now()


def test_beat_writes_the_schedulers_heartbeat_as_it_ticks_and_wakes_at_least_every_30_seconds(tmp_path):
    scheduler = HeartbeatScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"))
    try:
        assert scheduler.tick() <= HeartbeatScheduler.HEARTBEAT_SECONDS
    finally:
        scheduler.close()
    assert Heartbeat.objects.get(name="scheduler").beat_at == timezone.now()


def test_a_heartbeat_for_each_queue_is_on_the_beat_schedule_every_minute(settings):
    for kind, name in (("default", "worker"), ("sms", "worker_texts"), ("email", "worker_email")):
        entry = celery_app.conf.beat_schedule[f"heartbeat-{kind}"]
        assert (entry["task"], entry["schedule"], entry["args"]) == ("recovery_program.tasks.heartbeat", 60.0, (name,))
        assert entry["options"]["queue"] == settings.TASK_QUEUES_BY_KIND[kind]


@pytest.mark.usefixtures("beating")
def test_a_texts_worker_that_stopped_is_named_on_its_own(client):
    Heartbeat.objects.filter(name="worker_texts").update(beat_at=timezone.now() - datetime.timedelta(minutes=4))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["worker"], body["worker_texts"], body["worker_email"]) == ("ok", "stale", "ok")


def test_the_heartbeat_task_writes_its_queues_heartbeat_and_nothing_else():
    heartbeat("worker_texts")
    heartbeat("nonsense")
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["worker_texts"]
    assert celery_app.conf.beat_scheduler == "recovery_program.celery:HeartbeatScheduler"


def _email(**fields) -> Outgoing:
    return Outgoing.objects.create(
        kind="password_link", recipient=UserFactory(), template="emails/password_link", **fields
    )


@pytest.mark.usefixtures("beating")
def test_an_email_waiting_more_than_15_minutes_makes_healthz_503_and_says_how_long(client):
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=16), tick=False):
        _email()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["emails"], body["oldest_email_waiting_seconds"]) == ("late", 16 * 60)


@pytest.mark.usefixtures("beating")
def test_an_email_waiting_for_its_next_try_is_not_late_until_that_try_is_due(client):
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=30)):
        _email(attempts=1, next_attempt_at=timezone.now() + datetime.timedelta(minutes=35))
    body = client.get("/healthz").json()
    assert (body["emails"], body["oldest_email_waiting_seconds"]) == ("ok", 0)


@pytest.mark.usefixtures("beating")
def test_an_email_that_failed_in_the_last_hour_makes_healthz_503_and_is_counted_for_a_day(client):
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=50)):
        _email(status=Outgoing.Status.FAILED, attempts=5)
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=5)):
        _email(status=Outgoing.Status.UNKNOWN, attempts=1)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json()["emails"], response.json()["emails_failed_last_day"]) == ("failing", 2)

    # An hour after the failure it no longer alarms (the heartbeats, not beating in a test, are stale by then).
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        body = client.get("/healthz").json()
    assert (body["emails"], body["emails_failed_last_day"]) == ("ok", 2)


@pytest.mark.usefixtures("beating")
def test_emails_held_after_a_restore_wait_for_a_person_and_do_not_alarm(client):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=2)):
        _email(status=Outgoing.Status.HELD)
    assert client.get("/healthz").status_code == 200
