"""Office hours have one definition in Python (Program.after_hours_within), which the rota service checks first;
the rota trigger states it in SQL, and these tests hold the two equal. The trigger names the rule it refused."""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from recovery_program.audit import Actor
from staff.models import Program
from supervision.models import ROTA_AFTER_HOURS_COVERED, OnCallShift
from supervision.services import ROTA_REFUSALS, shift_add
from tests.factories import add_shift

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)

# Program settings to try: ordinary weekdays in a zone other than the server's, and office hours that a
# change of clock crosses (Sunday night; the United States change clocks on 2027-03-14 and 2027-11-07).
SETTINGS = [
    {"time_zone": "America/Los_Angeles", "office_days": "0124", "opens": (8, 30), "closes": (16, 45)},
    {"time_zone": "America/New_York", "office_days": "6", "opens": (0, 30), "closes": (3, 30)},
]
DAYS = [datetime.date(2027, 3, 10), datetime.date(2027, 3, 13), datetime.date(2027, 3, 14), datetime.date(2027, 11, 7)]
LENGTHS = [1, 14, 15, 60, 135, 24 * 60 - 1, 24 * 60, 25 * 60]  # minutes


def _gaps(program, count: int) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Gaps starting around opening and closing time, midnight and the small hours, of several lengths."""
    opens = datetime.datetime.combine(datetime.date.min, program.office_opens)
    closes = datetime.datetime.combine(datetime.date.min, program.office_closes)
    minute = datetime.timedelta(minutes=1)
    starts = [opens - minute, opens, opens + HOUR, closes - 15 * minute, closes - minute, closes]
    starts = [moment.time() for moment in starts] + [datetime.time(0, 0), datetime.time(1, 30), datetime.time(23, 59)]
    chosen = random.Random(10).sample([(d, s, n) for d in DAYS for s in starts for n in LENGTHS], count)
    gaps = []
    for day, time, minutes in chosen:
        # In UTC, so that adding minutes adds elapsed time, not wall-clock time across a change of clock.
        start = datetime.datetime.combine(day, time, tzinfo=program.zone).astimezone(datetime.UTC)
        gaps.append((start, start + datetime.timedelta(minutes=minutes)))
    return gaps


def _trigger_says_uncovered(program, primary, backup, start, end) -> bool:
    """Adds a shift ending at `start`, then one starting at `end`, and undoes both: did the trigger refuse?"""
    with transaction.atomic():
        add_shift(program, primary, backup, start - HOUR, start)
        refused = None
        try:
            with transaction.atomic():
                add_shift(program, primary, backup, end, end + HOUR)
        except IntegrityError as error:
            refused = error.__cause__.diag.constraint_name
        transaction.set_rollback(True)
    assert refused in (None, ROTA_AFTER_HOURS_COVERED)  # a gap, never anything else
    return refused is not None


@pytest.mark.parametrize("settings_", SETTINGS, ids=["weekdays in Los Angeles", "Sunday nights in New York"])
def test_python_and_the_rota_trigger_agree_on_after_hours(program, supervisor, backup_supervisor, settings_):
    program.time_zone = settings_["time_zone"]
    program.office_days = settings_["office_days"]
    program.office_opens = datetime.time(*settings_["opens"])
    program.office_closes = datetime.time(*settings_["closes"])
    program.save()
    verdicts = []
    for start, end in _gaps(program, 60):
        python = program.after_hours_within(start, end)
        assert _trigger_says_uncovered(program, supervisor, backup_supervisor, start, end) == python, (start, end)
        verdicts.append(python)
    assert True in verdicts
    assert False in verdicts


NEW_YORK = ZoneInfo("America/New_York")  # the program's zone (tests/supervision/conftest.py)


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """March 2027 in New York: the 2nd is a Tuesday."""
    return datetime.datetime(2027, 3, day, hour, minute, tzinfo=NEW_YORK)


def _add(supervisor, backup, starts_at, ends_at) -> OnCallShift:
    return shift_add(
        actor=Actor(supervisor, None), starts_at=starts_at, ends_at=ends_at, primary=backup, backup=supervisor
    )


def test_a_quarter_hour_after_closing_is_after_hours(program):
    # 5 pm closing: 4:50 pm to 5:05 pm holds five minutes of after-hours time.
    assert program.after_hours_within(_at(3, 16, 50), _at(3, 17, 5))
    assert not program.after_hours_within(_at(3, 16, 50), _at(3, 17, 0))


def test_a_gap_just_past_closing_is_refused_with_a_message(program, supervisor, backup_supervisor):
    add_shift(program, supervisor, backup_supervisor, _at(2, 17), _at(3, 16, 50))
    # Only the five minutes after closing are uncovered, and the message says exactly those (the shift before ends
    # at 4:50 pm, inside office hours: naming it misled).
    with pytest.raises(ValidationError) as refused:
        _add(supervisor, backup_supervisor, _at(3, 17, 5), _at(4, 9))
    assert refused.value.message_dict["starts_at"][0].startswith(
        "Wednesday 3 March 17:00 to 17:05 would have no one on call."
    )
    assert OnCallShift.objects.count() == 1


def test_when_the_database_refuses_a_gap_the_service_says_so_in_plain_words(
    monkeypatch, program, supervisor, backup_supervisor
):
    # As when another supervisor's shift was saved between the service's check and its write.
    add_shift(program, supervisor, backup_supervisor, _at(2, 17), _at(3, 9))
    monkeypatch.setattr(Program, "after_hours_within", lambda self, start, end: False)
    with pytest.raises(ValidationError) as refused:
        _add(supervisor, backup_supervisor, _at(3, 19), _at(4, 9))
    assert refused.value.message_dict == {"starts_at": [ROTA_REFUSALS[ROTA_AFTER_HOURS_COVERED]]}
    assert OnCallShift.objects.count() == 1
