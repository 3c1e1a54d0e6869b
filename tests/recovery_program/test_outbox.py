"""The outbox: an e-mail that must not be lost is written with the change that causes it, sent after commit or by
the minute sweep, at most once, retried then failed, and carries no clinical content."""

from __future__ import annotations

import datetime
import socket

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from recovery_program import outbox
from recovery_program.celery import app
from recovery_program.models import Outgoing
from recovery_program.tasks import deliver_message
from staff.models import User
from supervision.services import missed_session_notices_send
from tests.factories import share_concern
from tests.staff.test_people import _new_staff

pytestmark = pytest.mark.django_db

NEW_COACH = _new_staff()


@pytest.fixture
def closed_port_broker(monkeypatch):
    """The broker's address answers nothing: a port where nobody listens (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    probe.close()

    def publish_there(*args):
        with app.connection_for_write(url) as connection:
            return deliver_message.apply_async(args, connection=connection)

    monkeypatch.setattr(deliver_message, "delay", publish_there)


@pytest.mark.broker
def test_with_the_broker_unreachable_adding_a_coach_succeeds_and_the_sweep_sends_her_link_once(
    client_for, admin, mailoutbox, closed_port_broker, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(reverse("staff:new"), NEW_COACH, follow=True)

    assert response.status_code == 200
    assert "Nothing was saved" not in response.content.decode()
    wren = User.objects.get(username="wren")
    message = Outgoing.objects.get()
    assert (message.recipient, message.kind, message.template, message.status) == (
        wren,
        "password_link",
        "welcome",
        "pending",
    )
    assert mailoutbox == []

    # The broker is back; a minute later the sweep hands the row over and a worker (here, in-process) sends it.
    monkeypatch.setattr(deliver_message, "delay", lambda message_id: deliver_message.apply(args=(message_id,)))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        assert outbox.sweep() == 1
        assert outbox.sweep() == 0
    assert [m.to for m in mailoutbox] == [["wren@example.org"]]
    assert "/password/" in mailoutbox[0].body or "http" in mailoutbox[0].body
    message.refresh_from_db()
    assert message.status == "sent"


def test_sending_twice_sends_one_e_mail(coach, mailoutbox):
    message = outbox.message_add(kind="password_link", recipient=coach, template="password_link")
    assert outbox.deliver(message.pk) is True
    assert outbox.deliver(message.pk) is False
    assert len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["X-Idempotency-Key"] == str(message.key)


class RefusingSMTP(EmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused wren@example.org")


def test_a_failing_mail_server_is_retried_with_backoff_then_the_e_mail_is_failed(coach, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.recovery_program.test_outbox.RefusingSMTP"
    settings.MESSAGE_MAX_ATTEMPTS = 3
    settings.MESSAGE_RETRY_SECONDS = 60
    message = outbox.message_add(kind="password_link", recipient=coach, template="password_link")
    start = timezone.now()

    with pytest.raises(outbox.MessageNotSent) as first:
        outbox.deliver(message.pk)
    assert first.value.retry_at == start + datetime.timedelta(seconds=60)
    assert outbox.deliver(message.pk) is False  # not due yet: nothing is tried
    with time_machine.travel(first.value.retry_at, tick=False), pytest.raises(outbox.MessageNotSent) as second:
        outbox.deliver(message.pk)
    assert second.value.retry_at == first.value.retry_at + datetime.timedelta(seconds=120)
    with time_machine.travel(second.value.retry_at, tick=False):
        assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("failed", 3, "ConnectionRefusedError")
    assert mailoutbox == []
    with time_machine.travel(second.value.retry_at + datetime.timedelta(hours=1), tick=False):
        assert outbox.sweep() == 0  # a failed row is never handed over again


def test_a_row_left_sending_by_a_sender_that_died_is_marked_unknown_and_never_sent_again(coach, mailoutbox):
    message = outbox.message_add(kind="password_link", recipient=coach, template="password_link")
    Outgoing.objects.filter(pk=message.pk).update(status="sending", claimed_at=timezone.now(), attempts=1)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5), tick=False):
        assert outbox.sweep() == 1  # claimed longer ago than a task may run
    assert outbox.deliver(message.pk) is False

    message.refresh_from_db()
    assert message.status == "unknown"
    assert mailoutbox == []


def test_the_change_and_its_e_mail_commit_together_or_not_at_all(admin, coach):
    from django.db import transaction

    from recovery_program.audit import Actor
    from staff.services import staff_send_password_link

    def request_that_fails_after_the_service():
        with transaction.atomic():
            staff_send_password_link(actor=Actor(admin, None), user=coach)
            raise RuntimeError("the request failed after the service")

    with pytest.raises(RuntimeError):
        request_that_fails_after_the_service()
    assert not Outgoing.objects.exists()


def test_every_must_not_lose_e_mail_goes_through_the_outbox_with_ids_only_and_no_clinical_text(
    client_for, admin, supervisor, coach, patient, mailoutbox, settings
):
    from recovery_program.audit import Actor
    from staff.services import staff_update
    from supervision.services import supervision_assign

    patient.legal_name = "Zmarkerqx Avery"
    patient.save()
    share_concern(coach, patient, description="Zmarkerqx said something")
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
    )
    staff_update(actor=Actor(supervisor, None), user=admin, fields={"email": "lee.new@example.org"})
    client_for(admin).post(reverse("staff:new"), NEW_COACH)
    client_for(admin).post(reverse("staff:password_link", args=[coach.pk]))
    missed_session_notices_send(program=coach.program, today=datetime.date(2026, 3, 9))

    kinds = set(Outgoing.objects.values_list("kind", flat=True))
    assert {"password_link", "email_changed", "missed_supervision"} <= kinds
    for message in Outgoing.objects.all():
        assert all(isinstance(value, int | str) for value in message.context.values())
        assert "Zmarkerqx" not in repr(message.context)
        outbox.deliver(message.pk)
    assert len(mail.outbox) == Outgoing.objects.count()
    for sent in mail.outbox:
        assert "Zmarkerqx" not in sent.subject + sent.body
        assert "Avery" not in sent.subject + sent.body


def test_the_email_changed_notice_goes_to_her_old_address_once(admin, supervisor, mailoutbox):
    from recovery_program.audit import Actor
    from staff.services import staff_update

    old = admin.email
    staff_update(actor=Actor(supervisor, None), user=admin, fields={"email": "lee.new@example.org"})
    message = Outgoing.objects.get(kind="email_changed")
    assert (message.address, message.context) == (old, {"changed_by": supervisor.pk})
    outbox.deliver(message.pk)
    outbox.deliver(message.pk)
    assert [m.to for m in mailoutbox] == [[old]]
    assert str(supervisor) in mailoutbox[0].body


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_link_after_commit(admin, coach, settings):
    from celery.contrib.testing.worker import start_worker

    from recovery_program.audit import Actor
    from recovery_program.models import OutboundMessage
    from staff.services import staff_send_password_link

    settings.EMAIL_BACKEND = "recovery_program.messaging.OutboxEmailBackend"
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30):
        staff_send_password_link(actor=Actor(admin, None), user=coach)
        message = Outgoing.objects.get()
        # Sent once after commit; handing it over again through the broker finds it done.
        assert deliver_message.apply_async((message.pk,), ignore_result=False).get(timeout=30) is False
    message.refresh_from_db()
    assert message.status == "sent"
    assert OutboundMessage.objects.filter(key=str(message.key), to=coach.email).count() == 1
