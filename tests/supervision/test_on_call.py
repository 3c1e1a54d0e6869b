"""The on-call page a supervisor opens from a page at night; concerns "within 24 hours" that nobody had in a day
paged like urgent ones; every supervisor paged again, a bounded number of times, until someone has it; and the
second of two who say "I have it" told who has it."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coaching import services as coaching_services
from coaching.models import Concern
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog, OutboundMessage
from supervision import paging
from supervision.models import Page, PageStep
from tests.factories import add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db

# 2:14 a.m. in New York, the night after AFTER_HOURS.
NIGHT = datetime.datetime(2027, 3, 3, 7, 14, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _new_york(program, coach, patient):
    program.time_zone = "America/New_York"
    program.save()
    coach.phone = "603-555-0142"
    coach.save()
    patient.phone = "603-555-0199"
    patient.ok_to_leave_message = False
    patient.ok_to_text = True
    patient.safe_contact_notes = "Only after 8 pm; if a man answers, say it is the clinic about an appointment."
    patient.save()


@pytest.fixture
def tonight(program, supervisor, backup_supervisor):
    return add_shift(
        program,
        supervisor,
        backup_supervisor,
        AFTER_HOURS - datetime.timedelta(hours=6),
        AFTER_HOURS + datetime.timedelta(hours=8),
    )


def _sweep(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return paging.sweep()


def _urgent(coach, patient, at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return share_concern(coach, patient, urgency="urgent_now", description="She cannot keep herself safe tonight.")


# The on-call page


def _on_call_urls(concern):
    return [
        reverse("supervision:page", args=[concern.pages.first().pk]),
        reverse("supervision:on_call", args=[concern.pk]),
    ]


def test_the_supervisor_opens_the_on_call_page_from_the_page_and_from_the_concern(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=2), tick=False):
        client = client_for(supervisor)
        for url in _on_call_urls(concern):
            response = client.get(url)
            assert response.status_code == 200
            assert "I have it" in response.content.decode()
        detail = client.get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    assert reverse("supervision:on_call", args=[concern.pk]) in detail
    # One row for each of the two on-call views and one for the concern's own page.
    assert (
        AccessLog.objects.filter(
            user=supervisor, action=AccessAction.VIEW, patient=patient, record_type="concern", record_id=str(concern.pk)
        ).count()
        == 3
    )


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_nobody_but_the_programs_supervisors_opens_it(
    request, client_for, coach, patient, tonight, who, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)
    client = client_for(request.getfixturevalue(who))
    for url in _on_call_urls(concern):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    concern.refresh_from_db()
    assert concern.acknowledged_at is None


def test_anonymous_is_sent_to_log_in(client, coach, patient, tonight, django_capture_on_commit_callbacks, celery_eager):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)
    for url in _on_call_urls(concern):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_it_shows_the_call_link_the_safe_contact_rules_and_what_she_wrote(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=2), tick=False):
        html = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert 'href="tel:603-555-0142"' in html
    assert "Call her" in html
    assert "Do not leave a message" in html
    assert "OK to text" in html
    assert "if a man answers, say it is the clinic" in html
    assert "She cannot keep herself safe tonight." in html
    # Nobody has it yet: the backup on call is next, fifteen minutes after the first page (10:00 p.m. there).
    assert "If nobody has it by 10:15 p.m., the backup on call" in html


def test_it_shows_each_pages_delivery_truthfully_in_the_programs_zone(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")  # pages written, not delivered yet
    email, sms = concern.pages.get(channel="email"), concern.pages.get(channel="sms")
    Page.objects.filter(pk=email.pk).update(status="sent", sent_at=AFTER_HOURS + datetime.timedelta(minutes=1))
    Page.objects.filter(pk=sms.pk).update(
        status="failed", failed_at=AFTER_HOURS + datetime.timedelta(minutes=9), attempts=5, last_error="HTTPError"
    )
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=10), tick=False):
        html = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "Written 10:00 p.m. ·\n      sent 10:01 p.m.\n" in html  # an e-mail stops at sent: no receipts
    assert "could not be delivered</strong> (10:09 p.m., after 5 tries)" in html
    assert "HTTPError" not in html


def test_a_page_waiting_for_its_next_try_says_so(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks
):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")
    Page.objects.filter(concern=concern, channel="sms").update(
        attempts=2, next_attempt_at=AFTER_HOURS + datetime.timedelta(minutes=2)
    )
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=1), tick=False):
        html = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "not sent yet: tried 2 times, next try 10:02 p.m." in html
    assert "waiting to be sent" in html  # the e-mail, never tried


def test_the_on_call_page_takes_the_same_queries_with_1_or_10_pages(
    client_for, coach, patient, supervisor, django_assert_max_num_queries
):
    counts = []
    client = client_for(supervisor)
    for how_many in (1, 10):
        concern = share_concern(coach, patient)  # routine: no page of its own
        for round_ in range(1, how_many + 1):
            Page.objects.create(
                concern=concern, step=PageStep.EVERYONE, round=round_, recipient=supervisor, channel="email"
            )
        url = reverse("supervision:on_call", args=[concern.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).content.decode().count("by e-mail: every supervisor") == how_many
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get(url)


# "Within 24 hours": a clock


@pytest.fixture
def within_a_day(coach, patient, django_capture_on_commit_callbacks):
    """Shared 24 hours before AFTER_HOURS, "within 24 hours": nobody is paged then."""
    with (
        time_machine.travel(AFTER_HOURS - paging.DAY_CLOCK, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        concern = share_concern(coach, patient, urgency="within_24h", description="She missed two appointments.")
    assert not concern.pages.exists()
    return concern


def test_not_acknowledged_in_24_hours_it_pages_like_an_urgent_one(
    within_a_day, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    minute = datetime.timedelta(minutes=1)
    assert _sweep(AFTER_HOURS - minute, django_capture_on_commit_callbacks)["overdue"] == 0
    assert not within_a_day.pages.exists()
    assert _sweep(AFTER_HOURS + minute, django_capture_on_commit_callbacks)["overdue"] == 2
    pages = list(within_a_day.pages.all())
    assert {(p.recipient, p.channel, p.step, p.status) for p in pages} == {
        (supervisor, "email", PageStep.FIRST, "sent"),
        (supervisor, "sms", PageStep.FIRST, "sent"),
    }
    for message in OutboundMessage.objects.all():
        assert message.body.startswith("A concern needs you now.")
        assert "missed two appointments" not in message.body
        assert "Avery" not in message.body


def test_the_24_hour_sweep_run_twice_pages_once(
    within_a_day, tonight, django_capture_on_commit_callbacks, celery_eager
):
    later = AFTER_HOURS + datetime.timedelta(minutes=1)
    _sweep(later, django_capture_on_commit_callbacks)
    assert _sweep(later, django_capture_on_commit_callbacks)["overdue"] == 0
    assert within_a_day.pages.count() == 2
    assert OutboundMessage.objects.count() == 2


def test_after_its_first_pages_it_escalates_like_an_urgent_one(
    within_a_day, backup_supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    _sweep(AFTER_HOURS + datetime.timedelta(minutes=1), django_capture_on_commit_callbacks)
    _sweep(AFTER_HOURS + datetime.timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert set(within_a_day.pages.filter(step=PageStep.BACKUP).values_list("recipient", flat=True)) == {
        backup_supervisor.pk
    }


def test_acknowledged_within_the_day_it_pages_nobody(
    within_a_day, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    with time_machine.travel(AFTER_HOURS - datetime.timedelta(hours=3), tick=False):
        coaching_services.concern_acknowledge(actor=Actor(supervisor, None), concern=within_a_day)
    assert _sweep(AFTER_HOURS + datetime.timedelta(hours=2), django_capture_on_commit_callbacks)["overdue"] == 0
    assert not within_a_day.pages.exists()


def test_the_on_call_page_says_when_the_clock_runs_out(client_for, within_a_day, supervisor):
    with time_machine.travel(AFTER_HOURS - datetime.timedelta(hours=1), tick=False):
        html = client_for(supervisor).get(reverse("supervision:on_call", args=[within_a_day.pk])).content.decode()
    assert "if nobody has it by 10:00 p.m., her supervisor or the supervisor on call is paged" in html


# After every supervisor: again, a bounded number of times


def test_every_supervisor_is_paged_again_until_the_rounds_run_out(
    client_for,
    coach,
    patient,
    supervisor,
    backup_supervisor,
    settings,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.PAGE_EVERYONE_ROUNDS = 3
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)  # nobody on call
    assert set(concern.pages.values_list("step", "round")) == {(PageStep.EVERYONE, 1)}
    per_round = concern.pages.count()  # both supervisors, e-mail and text
    minutes = datetime.timedelta(minutes=1)
    assert _sweep(AFTER_HOURS + 14 * minutes, django_capture_on_commit_callbacks)["escalated"] == 0
    assert _sweep(AFTER_HOURS + 15 * minutes, django_capture_on_commit_callbacks)["escalated"] == per_round
    assert _sweep(AFTER_HOURS + 15 * minutes, django_capture_on_commit_callbacks)["escalated"] == 0  # run twice
    assert _sweep(AFTER_HOURS + 31 * minutes, django_capture_on_commit_callbacks)["escalated"] == per_round
    for later in (46, 90, 600):  # three rounds in all: no more
        assert _sweep(AFTER_HOURS + later * minutes, django_capture_on_commit_callbacks)["escalated"] == 0
    rounds = list(concern.pages.values_list("round", "recipient", "channel"))
    assert len(rounds) == len(set(rounds)) == 3 * per_round
    assert OutboundMessage.objects.count() == 3 * per_round
    with time_machine.travel(AFTER_HOURS + 40 * minutes, tick=False):
        html = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "Every supervisor was paged 3 times and nobody has it" in html
    assert "round 3" in html


def test_the_rounds_stop_when_someone_has_it(
    client_for, coach, patient, supervisor, backup_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks)
    _sweep(AFTER_HOURS + datetime.timedelta(minutes=15), django_capture_on_commit_callbacks)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=20), tick=False):
        html = client_for(backup_supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
        assert "every supervisor again (3 of 4) is paged" in html
        client_for(backup_supervisor).post(reverse("supervision:on_call", args=[concern.pk]))
    for later in (30, 45, 60):
        assert (
            _sweep(AFTER_HOURS + datetime.timedelta(minutes=later), django_capture_on_commit_callbacks)["escalated"]
            == 0
        )
    assert max(concern.pages.values_list("round", flat=True)) == 2


# Two say "I have it"


def test_the_second_to_say_i_have_it_is_told_who_has_it(
    client_for, coach, patient, supervisor, backup_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, NIGHT - datetime.timedelta(minutes=5), django_capture_on_commit_callbacks)
    url = reverse("supervision:on_call", args=[concern.pk])
    with time_machine.travel(NIGHT, tick=False):
        first = client_for(supervisor).post(url, follow=True).content.decode()
        assert "Thank you: you have it." in first
        second = client_for(backup_supervisor).post(url, follow=True).content.decode()
    assert "Iris Vance has it since 2:14 a.m." in second
    assert "Thank you" not in second
    assert "I have it</button>" not in second
    concern.refresh_from_db()
    assert concern.acknowledged_by == supervisor


def test_on_the_concern_page_too_the_second_is_told_who_has_it(
    client_for, coach, patient, supervisor, backup_supervisor
):
    with time_machine.travel(NIGHT, tick=False):
        concern = share_concern(coach, patient, urgency="within_24h")
        url = reverse("coaching:concern_acknowledge", args=[concern.pk])
        client_for(supervisor).post(url)
        second = client_for(backup_supervisor).post(url, follow=True).content.decode()
    assert "Iris Vance has it since 2:14 a.m." in second


@pytest.mark.django_db(transaction=True)
def test_two_at_once_one_has_it_and_the_other_is_told(coach, patient, supervisor, backup_supervisor):
    with time_machine.travel(NIGHT, tick=False):
        concern = share_concern(coach, patient, urgency="within_24h")
        start = threading.Barrier(2)
        told: dict[str, str] = {}

        def say_i_have_it(user):
            try:
                start.wait()
                held = coaching_services.concern_acknowledge(
                    actor=Actor(user, None), concern=Concern.objects.get(pk=concern.pk)
                )
                told[user.username] = held.who_has_it(user)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=say_i_have_it, args=(user,)) for user in (supervisor, backup_supervisor)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    concern.refresh_from_db()
    holder = concern.acknowledged_by
    other = backup_supervisor if holder == supervisor else supervisor
    assert told[holder.username] == "You have it since 2:14 a.m."
    assert told[other.username] == f"{holder} has it since 2:14 a.m."
