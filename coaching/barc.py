"""When her next BARC-10 is due, computed in the database for a list of women (one query, whatever its length).

She takes one at intake (the first once she is enrolled: due the day her open episode started) and every
`BARC10_EVERY` after the last one while that episode is open. A woman with no open episode (discharged,
graduated, or waiting to be enrolled again) owes none.
"""

from __future__ import annotations

import datetime

from django.db.models import Case, DateField, ExpressionWrapper, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When

from coaching.models import BARC10_EVERY, BARC10_OVERDUE_AFTER, Barc10
from patients.models import Episode


def with_barc10_due(patients: QuerySet) -> QuerySet:
    """`patients` with `barc10_last_on` (her latest, any episode), `barc10_episode_on` (the start of her open
    episode, None without one) and `barc10_due_on` (None when she owes none)."""
    episode_start = Episode.objects.filter(patient=OuterRef("pk"), ended_on__isnull=True).values("started_on")[:1]
    latest = (
        Barc10.objects.filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(last=Max("taken_on"))
        .values("last")
    )
    return patients.annotate(
        barc10_episode_on=Subquery(episode_start, output_field=DateField()),
        barc10_last_on=Subquery(latest, output_field=DateField()),
    ).annotate(
        barc10_due_on=Case(
            When(barc10_episode_on__isnull=True, then=None),
            When(
                barc10_last_on__gte=F("barc10_episode_on"),
                # date + integer is a date in PostgreSQL (date + interval would be a timestamp).
                then=ExpressionWrapper(F("barc10_last_on") + Value(BARC10_EVERY.days), output_field=DateField()),
            ),
            default=F("barc10_episode_on"),
            output_field=DateField(),
        )
    )


def barc10_due(patients: QuerySet, today: datetime.date) -> QuerySet:
    """The women of `patients` whose BARC-10 is due today or was due before, the longest waiting first."""
    return with_barc10_due(patients).filter(barc10_due_on__lte=today).order_by("barc10_due_on", "pk")


def barc10_overdue(patients: QuerySet, today: datetime.date) -> QuerySet:
    """Those more than `BARC10_OVERDUE_AFTER` past due: for her coach's supervision."""
    return (
        with_barc10_due(patients)
        .filter(Q(barc10_due_on__lt=today - BARC10_OVERDUE_AFTER))
        .order_by("barc10_due_on", "pk")
    )


# The trend chart's drawing area, in SVG units: the scale 10 to 60 up the side, one point per BARC-10 across.
TREND_WIDTH, TREND_HEIGHT, TREND_PAD = 600, 240, 36
TREND_SHOWN = 24


def trend_points(barcs: list[Barc10]) -> dict:
    """Where each BARC-10 (oldest first) sits on her trend chart, with the grid lines of the scale: drawn on the
    server as SVG, no script. The same numbers are in the table beside it."""
    usable_w, usable_h = TREND_WIDTH - 2 * TREND_PAD, TREND_HEIGHT - 2 * TREND_PAD
    step = usable_w / max(len(barcs) - 1, 1)

    def y(total: int) -> int:
        return round(TREND_PAD + usable_h * (60 - total) / 50)

    points = [{"x": round(TREND_PAD + i * step), "y": y(barc.total), "barc": barc} for i, barc in enumerate(barcs)]
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "grid": [{"value": value, "y": y(value)} for value in (10, 20, 30, 40, 50, 60)],
        "left": TREND_PAD,
        "right": TREND_WIDTH - TREND_PAD,
    }
