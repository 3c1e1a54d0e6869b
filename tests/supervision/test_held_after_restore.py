"""After a restore, pages and e-mails that were waiting at backup time are held: a supervisor sends each page or
drops it, and nothing goes out blindly."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from recovery_program import outbox
from recovery_program.models import AccessLog, OutboundMessage, Outgoing
from supervision import paging
from supervision.models import Page
from tests.factories import add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(coach, patient, supervisor, backup_supervisor, program):
    """An urgent concern paged after hours, its page still waiting when the backup was taken, then restored."""
    supervisor.phone = ""
    supervisor.save()
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")
        outbox.message_add(kind="password_link", recipient=coach, template="password_link")
        call_command("hold_after_restore", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return concern


def test_restore_holds_every_waiting_page_and_e_mail_and_the_sweep_sends_none(held):
    assert list(Page.objects.values_list("status", flat=True)) == ["held"]
    assert list(Outgoing.objects.values_list("status", flat=True)) == ["held"]

    later = AFTER_HOURS + datetime.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        found = paging.sweep()
        assert outbox.sweep() == 0
    # Nothing redelivered, and the concern's escalation waits for a supervisor's decision too.
    assert found == {"redelivered": 0, "overdue": 0, "escalated": 0}
    assert paging.deliver(Page.objects.get().pk) is False
    assert not OutboundMessage.objects.exists()
    assert Page.objects.count() == 1


def test_supervisors_see_the_held_pages_on_their_home_page(held, client_for, supervisor, backup_supervisor):
    for who in (supervisor, backup_supervisor):
        page = client_for(who).get(reverse("home")).content.decode()
        assert "Pages held after a restore" in page
        assert reverse("coaching:concern_detail", args=[held.pk]) in page
        assert "Send now" in page
        assert "No longer needed" in page


def test_coaches_and_admins_see_no_held_pages(held, client_for, coach, admin):
    for who in (coach, admin):
        assert "Pages held after a restore" not in client_for(who).get(reverse("home")).content.decode()


def test_send_now_delivers_the_page_and_logs_who_decided(
    held, client_for, backup_supervisor, celery_eager, django_capture_on_commit_callbacks
):
    page = Page.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(backup_supervisor).post(
            reverse("supervision:page_release", args=[page.pk]), {"decision": "send"}
        )
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.status == "sent"
    assert OutboundMessage.objects.filter(key=str(page.key)).count() == 1
    log = AccessLog.objects.get(record_type="page")
    assert (log.user, log.patient_id, log.record_id) == (backup_supervisor, held.patient_id, str(page.pk))


def test_no_longer_needed_drops_the_page_for_good(held, client_for, supervisor, celery_eager):
    page = Page.objects.get()
    client_for(supervisor).post(reverse("supervision:page_release", args=[page.pk]), {"decision": "drop"})
    page.refresh_from_db()
    assert page.status == "dropped"
    # Decided once: a second supervisor's "send now" finds it decided (no longer held) and sends nothing.
    response = client_for(supervisor).post(reverse("supervision:page_release", args=[page.pk]), {"decision": "send"})
    assert response.status_code == 404
    assert not OutboundMessage.objects.exists()


def test_a_held_page_is_out_of_reach_of_coaches_admins_and_other_programs(
    held, client_for, coach, admin, outside_supervisor
):
    page = Page.objects.get()
    for who in (coach, admin, outside_supervisor):
        response = client_for(who).post(reverse("supervision:page_release", args=[page.pk]), {"decision": "send"})
        assert response.status_code == 404
    page.refresh_from_db()
    assert page.status == "held"


def test_a_held_e_mail_is_sent_or_dropped_on_purpose(held):
    message = Outgoing.objects.get()
    assert outbox.deliver(message.pk) is False
    outbox.message_release(message=message, send=True)
    assert outbox.deliver(message.pk) is True
    assert outbox.deliver(message.pk) is False
    assert OutboundMessage.objects.filter(key=str(message.key)).count() == 1
