"""A page that cannot be delivered is tried a few times, waiting longer each time, then marked failed: the
next supervisor is paged at once and supervisors see it. Sending holds no lock on the page's row, and a page
is still sent once."""

from __future__ import annotations

import datetime
import threading
from typing import ClassVar

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.services import concern_close
from recovery_program.audit import Actor
from recovery_program.messaging import OutboxSMSBackend
from recovery_program.models import OutboundMessage
from supervision import paging
from supervision.models import Page, PageStep
from tests.factories import add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db
SHIFT_STARTS = AFTER_HOURS - datetime.timedelta(hours=6)


@pytest.fixture
def tonight(program, supervisor, backup_supervisor):
    return add_shift(program, supervisor, backup_supervisor, SHIFT_STARTS, AFTER_HOURS + datetime.timedelta(hours=8))


class DeadNumber:
    """A text provider that cannot reach one number (the primary's), and records when it was tried."""

    number = ""
    tried: ClassVar[list[tuple[str, datetime.datetime]]] = []

    def send(self, *, to, body, key):
        if to != DeadNumber.number:
            return OutboxSMSBackend().send(to=to, body=body, key=key)
        DeadNumber.tried.append((key, timezone.now()))
        raise OSError(f"could not reach {to}: {body}")


@pytest.fixture
def primarys_phone_is_dead(settings, supervisor):
    settings.SMS_BACKEND = "tests.supervision.test_paging_delivery.DeadNumber"
    DeadNumber.number = supervisor.phone
    DeadNumber.tried = []


def _tried_at(page):
    return [moment for key, moment in DeadNumber.tried if key == str(page.key)]


def _sweep_at(moment, django_capture_on_commit_callbacks):
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        return paging.sweep()


def _share_urgent(coach, patient, django_capture_on_commit_callbacks):
    with time_machine.travel(AFTER_HOURS, tick=False), django_capture_on_commit_callbacks(execute=True):
        return share_concern(coach, patient, urgency="urgent_now")


def test_a_page_that_keeps_failing_is_tried_five_times_waiting_longer_each_time_then_marked_failed(
    coach, patient, supervisor, tonight, primarys_phone_is_dead, django_capture_on_commit_callbacks, celery_eager
):
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    # Only the sweep, every minute, tries it again here (in production the task's own retry comes at the due time).
    for minute in range(1, 30):
        _sweep_at(AFTER_HOURS + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks)
    page = concern.pages.get(recipient=supervisor, channel="sms", step=PageStep.FIRST)
    assert [round((moment - AFTER_HOURS).total_seconds() / 60) for moment in _tried_at(page)] == [0, 1, 3, 6, 11]
    assert (page.status, page.attempts, page.sent_at) == ("failed", 5, None)
    assert page.failed_at == AFTER_HOURS + datetime.timedelta(minutes=11)


def test_a_failed_page_is_no_longer_enqueued_by_the_sweep(
    coach,
    patient,
    supervisor,
    tonight,
    primarys_phone_is_dead,
    settings,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.PAGE_MAX_ATTEMPTS = 1
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    page = concern.pages.get(channel="sms", recipient=supervisor, step=PageStep.FIRST)
    assert page.status == "failed"
    for later in (datetime.timedelta(minutes=1), datetime.timedelta(hours=1), datetime.timedelta(days=3)):
        assert _sweep_at(AFTER_HOURS + later, django_capture_on_commit_callbacks)["redelivered"] == 0
    assert len(_tried_at(page)) == 1


def test_when_a_page_fails_the_backup_is_paged_at_once(
    coach,
    patient,
    supervisor,
    backup_supervisor,
    tonight,
    primarys_phone_is_dead,
    settings,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.PAGE_MAX_ATTEMPTS = 1
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    backup_pages = concern.pages.filter(step=PageStep.BACKUP)
    assert set(backup_pages.values_list("recipient", flat=True)) == {backup_supervisor.pk}
    assert {page.created_at for page in backup_pages} == {AFTER_HOURS}  # not after the escalation minutes
    assert OutboundMessage.objects.filter(to=backup_supervisor.phone).exists()


def test_a_failed_page_of_an_acknowledged_concern_pages_nobody_else(
    coach,
    patient,
    supervisor,
    tonight,
    primarys_phone_is_dead,
    client_for,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    page = concern.pages.get(channel="sms")
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=1), tick=False):
        client_for(supervisor).post(reverse("supervision:page", args=[page.pk]))  # she read the e-mail
    for minute in range(2, 30):
        _sweep_at(AFTER_HOURS + datetime.timedelta(minutes=minute), django_capture_on_commit_callbacks)
    page.refresh_from_db()
    assert page.status == "failed"
    assert not concern.pages.filter(step__gt=PageStep.FIRST).exists()


def test_supervisors_see_a_page_that_could_not_be_delivered(
    coach,
    patient,
    supervisor,
    backup_supervisor,
    outside_supervisor,
    tonight,
    primarys_phone_is_dead,
    settings,
    client_for,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.PAGE_MAX_ATTEMPTS = 1
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    said = f"The page to {supervisor.get_full_name()} by text message"
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=2), tick=False):
        home = client_for(backup_supervisor).get(reverse("home")).content.decode()
        concern_page = client_for(backup_supervisor).get(reverse("coaching:concern_detail", args=[concern.pk]))
        for outsider in (coach, outside_supervisor):
            assert "could not be delivered" not in client_for(outsider).get(reverse("home")).content.decode()
        coachs_view = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    assert f"{said} about an urgent concern could not be delivered" in home
    assert reverse("coaching:concern_detail", args=[concern.pk]) in home
    assert f"{said} could not be delivered" in concern_page.content.decode()
    assert "could not be delivered" not in coachs_view


def test_once_the_concern_is_closed_the_failed_page_leaves_the_home_page(
    coach,
    patient,
    supervisor,
    backup_supervisor,
    tonight,
    primarys_phone_is_dead,
    settings,
    client_for,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.PAGE_MAX_ATTEMPTS = 1
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=5), tick=False):
        concern_close(actor=Actor(backup_supervisor, None), concern=concern, reason="Reached her", note_to_coach="")
        assert "could not be delivered" not in client_for(backup_supervisor).get(reverse("home")).content.decode()


def test_only_the_kind_of_error_is_kept_never_what_the_provider_said(
    coach, patient, supervisor, tonight, primarys_phone_is_dead, django_capture_on_commit_callbacks, celery_eager
):
    concern = _share_urgent(coach, patient, django_capture_on_commit_callbacks)
    page = concern.pages.get(channel="sms", recipient=supervisor)
    assert (page.status, page.attempts, page.last_error) == ("pending", 1, "OSError")
    assert page.next_attempt_at == AFTER_HOURS + datetime.timedelta(seconds=30)


def test_a_page_is_not_tried_again_before_it_is_due(coach, patient, supervisor, tonight, primarys_phone_is_dead):
    with time_machine.travel(AFTER_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")  # pages written; their delivery not run here
        page = Page.objects.get(channel="sms")
        with pytest.raises(paging.PageNotSent):
            paging.deliver(page.pk)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(seconds=20), tick=False):
        assert paging.deliver(page.pk) is False
    with (
        time_machine.travel(AFTER_HOURS + datetime.timedelta(seconds=30), tick=False),
        pytest.raises(paging.PageNotSent),
    ):
        paging.deliver(page.pk)
    assert len(_tried_at(page)) == 2


def test_a_page_left_sending_by_a_dead_sender_is_delivered_once_its_claim_outlived_a_task(
    coach, patient, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")  # pages written; their delivery not run here
    # A worker claimed the text message and died before it could mark it.
    concern.pages.filter(channel="sms").update(status="sending", claimed_at=AFTER_HOURS, attempts=1)
    _sweep_at(AFTER_HOURS + datetime.timedelta(seconds=80), django_capture_on_commit_callbacks)
    assert concern.pages.get(channel="sms").status == "sending"
    _sweep_at(AFTER_HOURS + datetime.timedelta(seconds=100), django_capture_on_commit_callbacks)
    assert concern.pages.get(channel="sms").status == "sent"
    assert OutboundMessage.objects.filter(to=supervisor.phone).count() == 1


class SlowProvider:
    """A text provider that waits, in the middle of sending, until the test lets it go on."""

    started = threading.Event()
    go_on = threading.Event()
    sent = 0

    def send(self, *, to, body, key):
        SlowProvider.started.set()
        assert SlowProvider.go_on.wait(timeout=30)
        SlowProvider.sent += 1


@pytest.mark.django_db(transaction=True)
def test_a_page_delivered_twice_at_the_same_time_sends_one_message_and_holds_no_row_lock_while_sending(
    coach, patient, tonight, settings, monkeypatch
):
    settings.SMS_BACKEND = "tests.supervision.test_paging_delivery.SlowProvider"
    SlowProvider.started.clear()
    SlowProvider.go_on.clear()
    SlowProvider.sent = 0
    monkeypatch.setattr(paging, "enqueue_delivery", lambda page_id, channel: None)  # delivered by hand
    results = {}

    def deliver(name, page_id):
        try:
            results[name] = paging.deliver(page_id)
        finally:
            connection.close()

    with time_machine.travel(AFTER_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")
        page = Page.objects.get(channel="sms")
        first = threading.Thread(target=deliver, args=("first", page.pk))
        first.start()
        try:
            assert SlowProvider.started.wait(timeout=30)
            with transaction.atomic():
                Page.objects.select_for_update(nowait=True).get(pk=page.pk)  # nobody holds its row
            results["second"] = paging.deliver(page.pk)
        finally:
            SlowProvider.go_on.set()
            first.join(timeout=30)
    assert results == {"first": True, "second": False}
    assert SlowProvider.sent == 1
    page.refresh_from_db()
    assert (page.status, page.attempts) == ("sent", 1)
