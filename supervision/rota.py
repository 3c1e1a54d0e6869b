"""The on-call rota as it stands at a moment: who answers, given covers and the days supervisors are away, which
after-hours hours a gap between shifts leaves with no one on call, and which parts of coming shifts need cover.

Reads only; the writes are in supervision.services, and the rules the database holds are in supervision.models.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from staff.models import Program
from supervision.models import OnCallShift, ShiftCover, Unavailability

Span = tuple[datetime.datetime, datetime.datetime]


def after_hours_spans(program: Program, start: datetime.datetime, end: datetime.datetime) -> list[Span]:
    """The parts of start to end that lie outside the program's office hours, day by day in its zone, joined where
    they meet: the hours in which nobody would be on call if this time were left uncovered."""
    zone = program.zone
    spans: list[Span] = []
    day = start.astimezone(zone).date()
    cursor = start
    while cursor < end:
        next_day = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone)
        day_end = min(end, next_day)
        if str(day.weekday()) in program.office_days:
            opens = datetime.datetime.combine(day, program.office_opens, tzinfo=zone)
            closes = datetime.datetime.combine(day, program.office_closes, tzinfo=zone)
            pieces = [(cursor, min(opens, day_end)), (max(closes, cursor), day_end)]
        else:
            pieces = [(cursor, day_end)]
        for first, last in pieces:
            if first >= last:
                continue
            if spans and spans[-1][1] == first:
                spans[-1] = (spans[-1][0], last)
            else:
                spans.append((first, last))
        cursor, day = day_end, day + datetime.timedelta(days=1)
    return spans or [(start, end)]  # across a change of the clocks the whole gap counts (Program.after_hours_within)


def say_span(program: Program, start: datetime.datetime, end: datetime.datetime) -> str:
    """ "Tuesday 1 December 17:00 to 21:00", in the program's zone; the end's day is named when it differs."""
    first, last = start.astimezone(program.zone), end.astimezone(program.zone)
    # Translators: a day and time in Django's date format syntax: "Tuesday 1 December 17:00".
    day_and_time = _("l j F H:i")
    head = date_format(first, day_and_time)
    if last.date() == first.date() or (last.time() == datetime.time(0) and last.date() == first.date() + ONE_DAY):
        tail = date_format(last, _("H:i"))
    else:
        tail = date_format(last, day_and_time)
    return _("%(start)s to %(end)s") % {"start": head, "end": tail}


ONE_DAY = datetime.timedelta(days=1)


def say_spans(program: Program, spans: Iterable[Span]) -> str:
    word = _("and")
    return f" {word} ".join(say_span(program, start, end) for start, end in spans)


def away_days(program: Program, start: datetime.datetime, end: datetime.datetime) -> dict[int, list[Span]]:
    """Each supervisor away at some time from start to end: the instants she is away (her days, in the program's
    zone, from midnight to midnight). One query."""
    zone = program.zone
    rows = Unavailability.live.filter(
        supervisor__program=program,
        starts_on__lte=end.astimezone(zone).date(),
        ends_on__gte=start.astimezone(zone).date(),
    ).values_list("supervisor_id", "starts_on", "ends_on")
    away: dict[int, list[Span]] = defaultdict(list)
    for supervisor_id, starts_on, ends_on in rows:
        away[supervisor_id].append(
            (
                datetime.datetime.combine(starts_on, datetime.time(0), tzinfo=zone),
                datetime.datetime.combine(ends_on + ONE_DAY, datetime.time(0), tzinfo=zone),
            )
        )
    return away


def is_away(away: dict[int, list[Span]], user_id: int | None, moment: datetime.datetime) -> bool:
    return user_id is not None and any(start <= moment < end for start, end in away.get(user_id, []))


def away_now(program: Program, moment: datetime.datetime) -> set[int]:
    """The supervisors of the program who marked this day (in its zone) as a day away."""
    return set(away_days(program, moment, moment))


def primary_at(shift: OnCallShift, moment: datetime.datetime) -> tuple[int, ShiftCover | None]:
    """Who is the primary of a shift at a moment: the substitute of a cover that holds it, else the shift's own."""
    cover = ShiftCover.live.filter(shift=shift, starts_at__lte=moment, ends_at__gt=moment).first()
    return (cover.substitute_id, cover) if cover else (shift.primary_id, None)


@dataclass
class ShiftRow:
    """A shift on the rota page: its covers, and the hours in it with no primary who can answer (needing cover)."""

    shift: OnCallShift
    covers: list[ShiftCover]
    needs_cover: list[Span] = field(default_factory=list)
    backup_away: bool = False


def rota_rows(program: Program, shifts: list[OnCallShift]) -> list[ShiftRow]:
    """The shifts (their covers prefetched as `live_covers`), each with the hours whose primary is away and that no
    cover holds. One query, whatever the number of shifts."""
    if not shifts:
        return []
    away = away_days(program, shifts[0].starts_at, max(shift.ends_at for shift in shifts))
    rows = []
    for shift in shifts:
        covers = list(shift.live_covers)
        row = ShiftRow(shift, covers, backup_away=bool(_overlap(away.get(shift.backup_id, []), shift)))
        # The shift in pieces, each with the one who is primary then.
        pieces: list[tuple[int, Span]] = []
        cursor = shift.starts_at
        for cover in covers:
            if cursor < cover.starts_at:
                pieces.append((shift.primary_id, (cursor, cover.starts_at)))
            pieces.append((cover.substitute_id, (cover.starts_at, cover.ends_at)))
            cursor = cover.ends_at
        if cursor < shift.ends_at:
            pieces.append((shift.primary_id, (cursor, shift.ends_at)))
        for who, (start, end) in pieces:
            for away_start, away_end in away.get(who, []):
                first, last = max(start, away_start), min(end, away_end)
                if first < last:
                    row.needs_cover.append((first, last))
        row.needs_cover.sort()
        rows.append(row)
    return rows


def _overlap(spans: list[Span], shift: OnCallShift) -> bool:
    return any(start < shift.ends_at and shift.starts_at < end for start, end in spans)


def live_shifts(program: Program):
    """The program's shifts on the rota, with their people and live covers."""
    return (
        OnCallShift.live.filter(program=program)
        .select_related("primary", "backup")
        .prefetch_related(
            Prefetch(
                "covers",
                queryset=ShiftCover.live.select_related("substitute").order_by("starts_at"),
                to_attr="live_covers",
            )
        )
    )


# The home page warns supervisors of hours with no one on call this soon.
NEEDS_COVER_WITHIN = datetime.timedelta(days=7)


def needs_cover_soon(program: Program, now: datetime.datetime) -> list[tuple[ShiftRow, Span]]:
    """Hours in the next week's shifts whose primary is away and that nobody covers: for every supervisor's home."""
    shifts = list(live_shifts(program).filter(ends_at__gt=now, starts_at__lt=now + NEEDS_COVER_WITHIN))
    return [(row, span) for row in rota_rows(program, shifts) for span in row.needs_cover if span[1] > now]
