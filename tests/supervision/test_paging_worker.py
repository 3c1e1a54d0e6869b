"""Paging against the real Redis of REDIS_URL and real Celery workers: delivered after commit; an e-mail at most
once even when the worker is killed in the middle of sending it; texts on a queue of their own, so that a slow
text provider does not hold up e-mails; and with beat down, the first pages still go out."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from recovery_program.celery import app
from recovery_program.messaging import OutboxEmailBackend
from recovery_program.models import Heartbeat, OutboundMessage
from supervision import paging
from supervision.models import Page, PageStep
from supervision.tasks import deliver_email, deliver_text
from tests.factories import add_shift, share_concern
from tests.supervision import blocking
from tests.supervision.conftest import AFTER_HOURS

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker():
    # No socket timeout of its own (redis-py gives 5 s): a worker slow to start on a busy machine is waited for.
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=None)
    client.delete(blocking.STARTED, blocking.RELEASE)
    yield client
    # What a killed worker left unacknowledged would come back in an hour: this database is for tests only.
    client.delete(blocking.STARTED, blocking.RELEASE, "unacked", "unacked_index")
    app.control.purge()


@pytest.fixture
def on_call_tonight(program, supervisor, backup_supervisor):
    supervisor.phone = ""  # one page (an e-mail) per step keeps the count plain
    supervisor.save()
    return add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))


def _test_database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "localhost"
    if host.startswith("/"):
        return f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@/{db['NAME']}?host={host}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_process(*arguments: str, **environment) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "REDIS_URL": settings.REDIS_URL, **environment}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "recovery_program",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *arguments,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_page_is_delivered_by_a_real_worker_after_commit(coach, patient, on_call_tonight, broker):
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30):
        with time_machine.travel(AFTER_HOURS, tick=True):
            concern = share_concern(coach, patient, urgency="urgent_now")
        page = concern.pages.get()
        # The page's task was sent at commit; delivering it again through the broker finds it done.
        assert deliver_email.apply_async((page.pk,), ignore_result=False).get(timeout=30) is False
    page.refresh_from_db()
    assert page.sent_at is not None
    assert OutboundMessage.objects.filter(key=str(page.key)).count() == 1


def test_an_email_whose_worker_was_killed_while_sending_it_is_never_sent_again_but_failed_and_escalated(
    coach, patient, backup_supervisor, on_call_tonight, broker
):
    worker = _worker_process(EMAIL_BACKEND="tests.supervision.blocking.BlockingEmailBackend")
    try:
        with time_machine.travel(AFTER_HOURS, tick=True):
            concern = share_concern(coach, patient, urgency="urgent_now")
        started = broker.blpop(blocking.STARTED, timeout=60)
        assert started is not None, "the worker never began sending"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)

    page = Page.objects.get(concern=concern, step=PageStep.FIRST)
    assert (page.status, page.sent_at) == ("sending", None)  # claimed, never marked sent
    assert not OutboundMessage.objects.exists()

    # The sweep (or the broker, once the message comes back) hands it over again: its sender's lock went with
    # her connection. The mail server may have taken it (SMTP has no idempotency key), so it is not sent again
    # (at most once): it is failed, "delivery unknown", and the backup is paged at once.
    with (
        time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=2), tick=True),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30),
    ):
        first = deliver_email.apply_async((page.pk,), ignore_result=False).get(timeout=30)
        second = deliver_email.apply_async((page.pk,), ignore_result=False).get(timeout=30)
    assert (first, second) == (False, False)
    page.refresh_from_db()
    assert (page.status, page.last_error) == ("failed", "delivery-unknown")
    assert not OutboundMessage.objects.filter(key=str(page.key)).exists()
    assert concern.pages.filter(step=PageStep.BACKUP, recipient=backup_supervisor).exists()


class UnreachableInbox(OutboxEmailBackend):
    """E-mail that cannot reach one address (the primary's); the rest goes to the outbox."""

    address = ""

    def send_messages(self, email_messages):
        if any(UnreachableInbox.address in message.to for message in email_messages):
            raise ConnectionRefusedError("the mail server refused the connection")
        return super().send_messages(email_messages)


def test_a_page_that_keeps_failing_is_retried_by_the_worker_then_failed_and_the_backup_paged(
    coach, patient, supervisor, backup_supervisor, on_call_tonight, broker, settings, monkeypatch
):
    settings.EMAIL_BACKEND = "tests.supervision.test_paging_worker.UnreachableInbox"
    settings.PAGE_MAX_ATTEMPTS = 3
    settings.PAGE_RETRY_SECONDS = 1
    UnreachableInbox.address = supervisor.email
    sent = []  # each delivery task sent, to wait for its end (its retries keep its id)
    for task in (deliver_email, deliver_text):
        monkeypatch.setattr(
            task, "delay", lambda page_id, task=task: sent.append(task.apply_async((page_id,), ignore_result=False))
        )
    with (
        time_machine.travel(AFTER_HOURS, tick=True),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30),
    ):
        concern = share_concern(coach, patient, urgency="urgent_now")
        assert sent[0].get(timeout=60) is False  # after its retries, at the due times
        for task in sent[1:]:
            task.get(timeout=60)
    page = concern.pages.get(recipient=supervisor)
    assert (page.status, page.attempts, page.last_error) == ("failed", 3, "ConnectionRefusedError")
    assert page.failed_at - page.created_at >= datetime.timedelta(seconds=3)  # waited 1 s, then 2 s
    backup_pages = concern.pages.filter(recipient=backup_supervisor, step=PageStep.BACKUP)
    assert backup_pages.count() == 2
    assert all(p.status == "sent" for p in backup_pages)


def test_a_slow_text_provider_does_not_hold_up_the_email_pages(
    coach, patient, supervisor, backup_supervisor, program, broker, settings, monkeypatch
):
    """Workers as bin/run and compose start them: one for texts (here a process whose provider hangs), and one for
    e-mails, the sweep and the rest."""
    queues = settings.TASK_QUEUES_BY_KIND
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))
    sent = {}
    for task in (deliver_email, deliver_text):
        monkeypatch.setattr(
            task,
            "delay",
            lambda page_id, task=task: sent.setdefault(task.name, task.apply_async((page_id,), ignore_result=False)),
        )
    texts = _worker_process("-Q", queues["sms"], SMS_BACKEND="tests.supervision.blocking.BlockingSMSBackend")
    try:
        with start_worker(
            app,
            queues=[queues["default"], queues["email"], queues["sweep"]],
            perform_ping_check=False,
            pool="solo",
            loglevel="WARNING",
            shutdown_timeout=30,
        ):
            with time_machine.travel(AFTER_HOURS, tick=True):
                concern = share_concern(coach, patient, urgency="urgent_now")
            assert broker.blpop(blocking.STARTED, timeout=60) is not None, "the text was never taken"
            # The text is stuck at the provider; the e-mail goes out anyway, on its own queue and worker.
            assert sent["supervision.tasks.deliver_email"].get(timeout=30) is True
            assert concern.pages.get(channel="email").status == "sent"
            assert concern.pages.get(channel="sms").status == "sending"
            broker.rpush(blocking.RELEASE, "1")
            assert sent["supervision.tasks.deliver_text"].get(timeout=60) is True
    finally:
        app.amqp.queues._consume_from = None  # a worker started later without queues takes them all again
        texts.terminate()
        texts.wait(timeout=30)


def test_with_beat_down_the_first_pages_still_go_out_escalation_waits_and_healthz_says_503(
    client, coach, patient, supervisor, backup_supervisor, on_call_tonight, broker, monkeypatch
):
    sent = []
    for task in (deliver_email, deliver_text):
        monkeypatch.setattr(
            task, "delay", lambda page_id, task=task: sent.append(task.apply_async((page_id,), ignore_result=False))
        )
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30):
        with time_machine.travel(AFTER_HOURS, tick=True):
            Heartbeat.objects.update_or_create(name="scheduler", defaults={"beat_at": timezone.now()})  # then it stops
            concern = share_concern(coach, patient, urgency="urgent_now")
            # Enqueued after the commit, to a worker: no beat is needed for the first page.
            assert [result.get(timeout=30) for result in sent] == [True]
        assert concern.pages.get().status == "sent"

        later = AFTER_HOURS + datetime.timedelta(minutes=20)
        with time_machine.travel(later, tick=False):
            Heartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})
            body = client.get("/healthz")
            # Nothing sweeps: the backup waits past the program's 15 minutes, and a monitor is told.
            assert not concern.pages.filter(step=PageStep.BACKUP).exists()
            assert body.status_code == 503
            assert (body.json()["scheduler"], body.json()["worker"]) == ("stale", "ok")
            # Beat back: its first sweep pages the backup.
            paging.sweep()
            assert concern.pages.filter(step=PageStep.BACKUP, recipient=backup_supervisor).exists()
