"""One "not in the future" for every form: a date after today, or a moment more than a few minutes ahead, in the
active time zone (the program's, for its people)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from recovery_program.validators import not_in_future

# 10 pm on Tuesday in Los Angeles is already 1 am on Wednesday in New York.
NOW = datetime.datetime(2027, 3, 3, 6, 0, tzinfo=datetime.UTC)
TUESDAY, WEDNESDAY = datetime.date(2027, 3, 2), datetime.date(2027, 3, 3)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_today_is_not_in_the_future_and_is_handed_back():
    with timezone.override("America/Los_Angeles"):
        assert not_in_future(TUESDAY) == TUESDAY


def test_tomorrow_is_refused_with_what_it_is():
    with (
        timezone.override("America/Los_Angeles"),
        pytest.raises(ValidationError, match="The signing date cannot be in the future"),
    ):
        not_in_future(WEDNESDAY, "signing date")


def test_today_is_the_date_in_the_active_time_zone():
    with timezone.override("America/New_York"):
        assert not_in_future(WEDNESDAY) == WEDNESDAY
    with timezone.override("America/Los_Angeles"), pytest.raises(ValidationError):
        not_in_future(WEDNESDAY)


def test_a_moment_a_few_minutes_ahead_is_allowed_for_clocks_that_run_fast():
    assert not_in_future(NOW + datetime.timedelta(minutes=10))
    with pytest.raises(ValidationError, match="An encounter cannot be in the future"):
        not_in_future(NOW + datetime.timedelta(minutes=11), message="An encounter cannot be in the future.")


def test_nothing_typed_is_nothing_to_check():
    assert not_in_future(None) is None
