"""The weekly queue lists a woman whose BARC-10 is more than 14 days past due: her first, from the day her
episode started, or 90 days after her last one."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Episode
from supervision.queue import queue_for
from tests.factories import take_barc10

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def enrolled(patient):
    Episode.objects.get_or_create(
        patient=patient,
        ended_on=None,
        defaults={"program_id": patient.program_id, "started_on": patient.enrollment_date},
    )
    return patient


def _overdue(supervisor, coach, today=None):
    return [p.pk for p in queue_for(supervisor, coach, today).barc10_overdue]


def test_her_first_is_overdue_two_weeks_after_she_enrolled(client_for, supervisor, coach, enrolled):
    assert _overdue(supervisor, coach, enrolled.enrollment_date + 14 * DAY) == []
    assert _overdue(supervisor, coach, enrolled.enrollment_date + 15 * DAY) == [enrolled.pk]
    page = client_for(supervisor).get(reverse("supervision:queue", args=[coach.pk])).content.decode()
    assert "BARC-10 overdue" in page
    assert reverse("coaching:barc10", args=[enrolled.pk]) in page


def test_one_taken_keeps_her_off_until_104_days_later(supervisor, coach, enrolled):
    take_barc10(coach, enrolled)
    today = timezone.localdate()
    assert _overdue(supervisor, coach, today + 104 * DAY) == []
    assert _overdue(supervisor, coach, today + 105 * DAY) == [enrolled.pk]
