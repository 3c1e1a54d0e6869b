"""/healthz answers 503 while a page that was due has not gone out for five minutes: delivery has stopped."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from recovery_program.health import HEARTBEATS
from recovery_program.models import Heartbeat
from supervision.models import Page
from tests.factories import share_concern
from tests.supervision.conftest import OFFICE_HOURS

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_page(supervised, coach, patient):
    """An urgent concern's pages (e-mail and text), written and never delivered (their task never ran)."""
    with time_machine.travel(OFFICE_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")
    return Page.objects.get(channel=Page.Channel.EMAIL)


def _health_at(client, moment):
    with time_machine.travel(moment, tick=False):
        for name in HEARTBEATS:
            Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
        return client.get("/healthz")


def test_a_page_waiting_four_minutes_is_not_yet_late(client, waiting_page):
    response = _health_at(client, OFFICE_HOURS + datetime.timedelta(minutes=4))
    assert response.json()["pages"] == "ok"
    assert response.json()["oldest_page_waiting_seconds"] == 240


def test_a_page_waiting_more_than_five_minutes_makes_healthz_503(client, waiting_page):
    response = _health_at(client, OFFICE_HOURS + datetime.timedelta(minutes=6))
    assert response.status_code == 503
    assert (response.json()["pages"], response.json()["oldest_page_waiting_seconds"]) == ("late", 360)


def test_a_page_waiting_for_its_next_try_is_not_late_before_it_is_due(client, waiting_page):
    Page.objects.update(attempts=1, next_attempt_at=OFFICE_HOURS + datetime.timedelta(minutes=10))
    assert _health_at(client, OFFICE_HOURS + datetime.timedelta(minutes=9)).json()["pages"] == "ok"
    assert _health_at(client, OFFICE_HOURS + datetime.timedelta(minutes=16)).json()["pages"] == "late"


def test_a_delivered_page_is_never_late(client, waiting_page):
    Page.objects.update(status=Page.Status.SENT, sent_at=OFFICE_HOURS)
    assert _health_at(client, OFFICE_HOURS + datetime.timedelta(hours=2)).json()["pages"] == "ok"
