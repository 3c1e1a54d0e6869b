"""Paging by text through Twilio, against a local fake that speaks its wire format: receipts tell the truth
(created, sent, delivered, failed), a provider failing for minutes is called a bounded number of times, and each
channel is delivered as deliberately decided: texts at least once, e-mails at most once."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from recovery_program.models import OutboundMessage
from recovery_program.twilio import TwilioSMSBackend
from supervision import paging
from supervision.models import Page, PageStep
from tests.factories import UserFactory, add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)
PRIMARY, BACKUP = "+16035550100", "+16035550177"  # the supervisors' phones, as sent (E.164)


@pytest.fixture
def tonight(program, supervisor, backup_supervisor):
    return add_shift(
        program, supervisor, backup_supervisor, AFTER_HOURS - 6 * 60 * MINUTE, AFTER_HOURS + 8 * 60 * MINUTE
    )


@pytest.fixture
def third_supervisor(program):
    return UserFactory(username="super_c", first_name="Ada", last_name="Nwosu", program=program, role="supervisor")


@pytest.fixture
def delivering(django_capture_on_commit_callbacks, celery_eager):
    """at(moment, what): runs `what` at that moment, then the deliveries it enqueued after its commit."""

    def at(moment, what, *args, **kwargs):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            return what(*args, **kwargs)

    return at


def _share_urgent(delivering, coach, patient):
    return delivering(AFTER_HOURS, share_concern, coach, patient, urgency="urgent_now")


def test_a_text_goes_out_through_twilio_and_its_receipt_marks_it_delivered(
    client_for, coach, patient, supervisor, tonight, fake_twilio, post_receipt, delivering
):
    concern = _share_urgent(delivering, coach, patient)
    text = concern.pages.get(channel="sms")
    [message] = fake_twilio.messages
    assert (message["To"], message["StatusCallback"]) == (PRIMARY, f"http://testserver/sms/receipts/{text.key}/")
    assert (text.status, text.provider_sid, text.sent_at) == ("sent", message["sid"], AFTER_HOURS)

    with time_machine.travel(AFTER_HOURS + MINUTE, tick=False):
        assert post_receipt(message["sid"], "sent").status_code == 204
        assert post_receipt(message["sid"], "delivered").status_code == 204
    text.refresh_from_db()
    assert (text.status, text.delivered_at) == ("delivered", AFTER_HOURS + MINUTE)
    with time_machine.travel(AFTER_HOURS + 2 * MINUTE, tick=False):  # the same receipt again, and one late
        assert post_receipt(message["sid"], "delivered").status_code == 204
        assert post_receipt(message["sid"], "sent").status_code == 204
    text.refresh_from_db()
    assert (text.status, text.delivered_at) == ("delivered", AFTER_HOURS + MINUTE)

    with time_machine.travel(AFTER_HOURS + 3 * MINUTE, tick=False):
        coachs = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
        on_call = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "A text reached a supervisor's phone at 10:01 p.m.; if nobody answers, the next one is paged." in coachs
    assert "sent 10:00 p.m. · delivered to her phone 10:01 p.m." in on_call  # the text
    assert "Written 10:00 p.m. ·\n      sent 10:00 p.m.\n" in on_call  # the e-mail: no receipts, it stops at sent


def test_until_its_receipt_comes_a_text_is_sent_not_yet_confirmed(
    client_for, coach, patient, supervisor, tonight, fake_twilio, delivering
):
    concern = _share_urgent(delivering, coach, patient)
    with time_machine.travel(AFTER_HOURS + MINUTE, tick=False):
        coachs = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
        on_call = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "A page went out to a supervisor at 10:00 p.m., not yet known to have reached her" in coachs
    assert "reached a supervisor" not in coachs
    assert "sent 10:00 p.m., not yet confirmed delivered" in on_call


def test_an_undelivered_text_fails_its_page_pages_the_backup_at_once_and_every_supervisor_sees_it(
    client_for,
    coach,
    patient,
    supervisor,
    backup_supervisor,
    third_supervisor,
    outside_supervisor,
    tonight,
    fake_twilio,
    post_receipt,
    delivering,
):
    concern = _share_urgent(delivering, coach, patient)
    sid = fake_twilio.messages[0]["sid"]
    response = delivering(AFTER_HOURS + 2 * MINUTE, post_receipt, sid, "undelivered", "30003")
    assert response.status_code == 204
    text = concern.pages.get(channel="sms", recipient=supervisor)
    assert (text.status, text.last_error, text.failed_at) == ("failed", "twilio-30003", AFTER_HOURS + 2 * MINUTE)
    backup_pages = concern.pages.filter(step=PageStep.BACKUP)
    assert {page.created_at for page in backup_pages} == {AFTER_HOURS + 2 * MINUTE}
    assert fake_twilio.messages[-1]["To"] == BACKUP
    # A late "delivered" for another message, or "failed" again, changes nothing more.
    delivering(AFTER_HOURS + 3 * MINUTE, post_receipt, sid, "failed", "30003")
    assert concern.pages.filter(step=PageStep.BACKUP).count() == backup_pages.count()

    said = f"The page to {supervisor.get_full_name()} by text message about an urgent concern could not be delivered"
    with time_machine.travel(AFTER_HOURS + 4 * MINUTE, tick=False):
        for who in (supervisor, backup_supervisor, third_supervisor):
            assert said in client_for(who).get(reverse("home")).content.decode()
        for outsider in (coach, outside_supervisor):
            assert "could not be delivered" not in client_for(outsider).get(reverse("home")).content.decode()


def test_a_number_twilio_refuses_fails_at_once_without_retries_and_the_backup_is_paged(
    coach, patient, supervisor, tonight, fake_twilio, delivering
):
    fake_twilio.fail_with(400, 21211, to=PRIMARY)
    concern = _share_urgent(delivering, coach, patient)
    for minute in range(1, 10):
        delivering(AFTER_HOURS + minute * MINUTE, paging.sweep)
    text = concern.pages.get(channel="sms", recipient=supervisor)
    assert (text.status, text.attempts, text.last_error) == ("failed", 1, "twilio-21211")
    assert fake_twilio.tried.count(PRIMARY) == 1
    assert {page.created_at for page in concern.pages.filter(step=PageStep.BACKUP)} == {AFTER_HOURS}
    assert [message["To"] for message in fake_twilio.messages] == [BACKUP]


def test_with_twilio_failing_for_twelve_minutes_each_page_is_tried_a_bounded_number_of_times_then_failed(
    client_for,
    coach,
    patient,
    supervisor,
    backup_supervisor,
    third_supervisor,
    tonight,
    fake_twilio,
    delivering,
    settings,
    monkeypatch,
):
    fake_twilio.fail_with(500)
    # The sweep never hands over a page that is waiting for its next try (only one whose try is overdue).
    enqueued_early = []
    enqueue = paging.enqueue_delivery

    def watched(page_id, channel):
        page = Page.objects.get(pk=page_id)
        if page.status == Page.Status.PENDING and page.next_attempt_at and page.next_attempt_at > timezone.now():
            enqueued_early.append(page_id)
        enqueue(page_id, channel)

    monkeypatch.setattr(paging, "enqueue_delivery", watched)
    concern = _share_urgent(delivering, coach, patient)
    calls_per_minute = []
    for tick in range(1, 14 * 3 + 1):  # a sweep every 20 seconds for 14 minutes
        moment = AFTER_HOURS + tick * datetime.timedelta(seconds=20)
        if moment == AFTER_HOURS + 12 * MINUTE:
            fake_twilio.succeed()
        before = len(fake_twilio.tried)
        delivering(moment, paging.sweep)
        calls_per_minute.append(len(fake_twilio.tried) - before)

    texts = concern.pages.filter(channel="sms")
    primary = texts.get(recipient=supervisor)
    assert (primary.status, primary.attempts, primary.last_error) == ("failed", 5, "twilio-20500")
    assert fake_twilio.tried.count(PRIMARY) == settings.PAGE_MAX_ATTEMPTS
    # Every call was one of a page's attempts, never more than PAGE_MAX_ATTEMPTS each, and the rate never grew.
    assert len(fake_twilio.tried) == sum(texts.values_list("attempts", flat=True))
    assert all(page.attempts <= settings.PAGE_MAX_ATTEMPTS for page in texts)
    assert max(calls_per_minute) <= texts.count()
    assert enqueued_early == []
    # The backup was paged when the primary's text failed, and her text went out once Twilio was back.
    backup_text = texts.get(step=PageStep.BACKUP)
    assert backup_text.created_at == primary.failed_at
    assert backup_text.status == "sent"
    with time_machine.travel(AFTER_HOURS + 14 * MINUTE, tick=False):
        for who in (supervisor, backup_supervisor, third_supervisor):
            home = client_for(who).get(reverse("home")).content.decode()
            assert f"The page to {supervisor.get_full_name()} by text message" in home


def test_an_email_left_sending_by_a_dead_sender_is_never_sent_again_but_failed_and_the_backup_paged(
    client_for, coach, patient, supervisor, backup_supervisor, tonight, fake_twilio, delivering
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")  # written; delivery not run here
    email = concern.pages.get(channel="email", recipient=supervisor)
    # A worker claimed the e-mail and died: it may have gone out (SMTP has no idempotency key).
    Page.objects.filter(pk=email.pk).update(status="sending", claimed_at=AFTER_HOURS, attempts=1)
    delivering(AFTER_HOURS + 2 * MINUTE, paging.sweep)
    email.refresh_from_db()
    assert (email.status, email.last_error, email.attempts) == ("failed", "delivery-unknown", 1)
    assert not OutboundMessage.objects.filter(key=str(email.key)).exists()  # at most once: not sent again
    assert {page.created_at for page in concern.pages.filter(step=PageStep.BACKUP)} == {AFTER_HOURS + 2 * MINUTE}
    with time_machine.travel(AFTER_HOURS + 3 * MINUTE, tick=False):
        on_call = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "may not have gone out</strong>: its sender stopped while sending" in on_call


def test_a_text_left_sending_by_a_dead_sender_is_sent_again_at_least_once(
    coach, patient, supervisor, tonight, fake_twilio, post_receipt, delivering
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")  # written; delivery not run here
    text = concern.pages.get(channel="sms", recipient=supervisor)
    # A worker claimed the text, Twilio took it, and the worker died before it could mark the page.
    Page.objects.filter(pk=text.pk).update(status="sending", claimed_at=AFTER_HOURS, attempts=1)
    first_sid = TwilioSMSBackend().send(to=supervisor.phone, body="A concern needs you now", key=str(text.key))
    delivering(AFTER_HOURS + 2 * MINUTE, paging.sweep)
    text.refresh_from_db()
    assert [message["To"] for message in fake_twilio.messages] == [PRIMARY, PRIMARY]  # twice rather than never
    assert (text.status, text.attempts, text.provider_sid) == ("sent", 2, fake_twilio.messages[1]["sid"])
    # The first one's receipt still counts when it says it reached her.
    with time_machine.travel(AFTER_HOURS + 3 * MINUTE, tick=False):
        post_receipt(first_sid, "delivered")
    text.refresh_from_db()
    assert (text.status, text.delivered_at) == ("delivered", AFTER_HOURS + 3 * MINUTE)


def test_a_receipt_that_comes_before_the_provider_answered_is_kept(
    coach, patient, supervisor, tonight, fake_twilio, post_receipt
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")
        text = concern.pages.get(channel="sms")
        Page.objects.filter(pk=text.pk).update(status="sending", claimed_at=AFTER_HOURS, attempts=1)
        sid = TwilioSMSBackend().send(to=supervisor.phone, body="x", key=str(text.key))
        post_receipt(sid, "delivered")
    text.refresh_from_db()
    assert (text.status, text.provider_sid, text.sent_at) == ("delivered", sid, AFTER_HOURS)


def test_every_page_has_a_key_of_its_own_and_that_key_is_what_is_sent(
    coach, patient, supervisor, tonight, fake_twilio, delivering
):
    concern = _share_urgent(delivering, coach, patient)
    email, text = concern.pages.get(channel="email"), concern.pages.get(channel="sms")
    assert email.key != text.key
    assert OutboundMessage.objects.get(channel="email").key == str(email.key)
    assert fake_twilio.messages[0]["StatusCallback"].endswith(f"/{text.key}/")
    # Random, not the page's number: nobody guesses another page's receipt address (a pk's digits may still turn up
    # inside a random key by chance, so that is not what is checked).
    assert uuid.UUID(str(text.key)).version == 4
    assert not fake_twilio.messages[0]["StatusCallback"].endswith(f"/{text.pk}/")


@pytest.mark.raw_posts
@pytest.mark.parametrize(
    "garbage",
    [
        {"MessageStatus": "delivered\x00", "MessageSid": "SM\x00"},
        {"MessageStatus": "x" * 5000, "ErrorCode": "\x00" * 10},
        {"MessageStatus": "failed", "ErrorCode": "'; DROP TABLE supervision_page; --", "MessageSid": "é" * 70},
        {"MessageStatus": "undelivered", "MessageSid": ""},
        {},
    ],
)
def test_signed_garbage_in_a_receipt_changes_nothing_wrong_and_is_no_500(
    client, coach, patient, supervisor, tonight, fake_twilio, delivering, garbage
):
    from recovery_program.twilio import signature

    concern = _share_urgent(delivering, coach, patient)
    text = concern.pages.get(channel="sms")
    path = f"/sms/receipts/{text.key}/"
    signed = signature(f"http://testserver{path}", {k: [v] for k, v in garbage.items()}, fake_twilio.auth_token)
    response = client.post(path, garbage, HTTP_X_TWILIO_SIGNATURE=signed)
    assert response.status_code == 204
    text.refresh_from_db()
    assert text.status in ("sent", "failed")
    if text.status == "failed":  # a signed "undelivered" or "failed" is Twilio's word, whatever came with it
        assert text.last_error in ("twilio-undelivered", "twilio-failed")
