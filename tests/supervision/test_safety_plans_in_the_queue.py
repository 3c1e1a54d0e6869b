"""The weekly queue lists the safety plans to go over with her: women with no plan, plans not gone over in 90 days,
and always a plan not gone over since a concern about a return to use or since she came back from a higher level
of care."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coaching.services import safety_plan_review
from patients.services import higher_care_end, higher_care_start
from recovery_program.audit import Actor
from supervision.queue import queue_for
from tests.factories import make_safety_plan, share_concern

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _plan_made(coach, patient, days_ago):
    with time_machine.travel(timezone.now() - days_ago * DAY, tick=False):
        return make_safety_plan(coach, patient)


def _reasons(supervisor, coach):
    return {p.pk: p.plan_reason for p in queue_for(supervisor, coach).safety_plans}


def test_a_woman_with_no_plan_is_listed(supervisor, coach, patient):
    assert _reasons(supervisor, coach) == {patient.pk: "No safety plan yet"}


def test_a_plan_gone_over_recently_is_not_listed(supervisor, coach, patient):
    _plan_made(coach, patient, days_ago=89)
    assert _reasons(supervisor, coach) == {}


def test_a_plan_not_gone_over_in_90_days_is_listed(client_for, supervisor, coach, patient):
    _plan_made(coach, patient, days_ago=91)
    assert _reasons(supervisor, coach)[patient.pk].startswith("Not gone over in 9")
    page = client_for(supervisor).get(reverse("supervision:queue", args=[coach.pk])).content.decode()
    assert "Safety plans to go over with her" in page
    assert reverse("coaching:safety_plan", args=[patient.pk]) in page


def test_a_plan_not_gone_over_since_a_concern_about_a_return_to_use_is_listed(supervisor, coach, patient):
    _plan_made(coach, patient, days_ago=10)
    with time_machine.travel(timezone.now() - 5 * DAY, tick=False):
        share_concern(coach, patient, category="return_to_use")
    assert "return to use" in _reasons(supervisor, coach)[patient.pk]

    safety_plan_review(actor=Actor(coach, None), patient=patient)

    assert _reasons(supervisor, coach) == {}


def test_other_concerns_and_older_ones_do_not_list_the_plan(supervisor, coach, patient):
    with time_machine.travel(timezone.now() - 20 * DAY, tick=False):
        share_concern(coach, patient, category="return_to_use")
    _plan_made(coach, patient, days_ago=10)
    share_concern(coach, patient, category="basic_needs")
    assert _reasons(supervisor, coach) == {}


def test_a_plan_not_gone_over_since_she_came_back_from_higher_care_is_listed(supervisor, coach, patient):
    today = timezone.localdate()
    higher_care_start(
        actor=Actor(supervisor, None),
        patient=patient,
        kind="residential",
        started_on=today - 40 * DAY,
        expected_return_on=None,
    )
    _plan_made(coach, patient, days_ago=30)
    higher_care_end(actor=Actor(supervisor, None), patient=patient, ended_on=today - 2 * DAY)

    assert "came back from a higher level of care" in _reasons(supervisor, coach)[patient.pk]
    safety_plan_review(actor=Actor(coach, None), patient=patient)
    assert _reasons(supervisor, coach) == {}


def test_her_coach_sees_the_same_list_in_her_own_queue(client_for, coach, patient):
    page = client_for(coach).get(reverse("supervision:queue", args=[coach.pk])).content.decode()
    assert "No safety plan yet" in page
