"""The demo's BARC-10s (called by seed_demo): invented answers for a few women, each taken a season apart, so
that her page draws a trend, the coach's home lists the ones due, and the reports have numbers."""

from __future__ import annotations

import datetime

from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import BARC10_ITEMS, Barc10, Barc10Occasion
from patients.models import DISCHARGE_STATUSES, Patient
from recovery_program.audit import Actor
from staff.models import Program, User

# Each woman's totals, oldest first: most rise, one dips and comes back, one falls.
TOTALS = [(24, 31, 38, 45), (35, 29, 33), (28, 41), (47, 44, 39), (30, 36, 42, 51)]


def _answers(total: int) -> dict[str, int]:
    """Ten answers from 1 to 6 that add up to `total`, the higher ones on the first statements."""
    base, more = divmod(total, 10)
    return {name: base + 1 if n < more else base for n, name in enumerate(BARC10_ITEMS)}


def seed_barc10(program: Program) -> None:
    """Two to four BARC-10s for each of up to five women of coach1's and coach2's caseloads, 90 days apart, the
    latest a few weeks ago (none before she enrolled); the rest of their women have none, so they show as due."""
    if Barc10.objects.filter(program=program).exists():
        return
    today = timezone.localdate()
    women = list(
        Patient.objects.filter(
            program=program,
            assignments__coach__username__in=["coach1", "coach2"],
            assignments__ended_on__isnull=True,
        )
        .exclude(status__in=DISCHARGE_STATUSES)
        .order_by("legal_name", "pk")[: len(TOTALS)]
    )
    for index, (woman, totals) in enumerate(zip(women, TOTALS, strict=False)):
        coach = User.objects.get(assignments__patient=woman, assignments__ended_on__isnull=True)
        latest = today - datetime.timedelta(days=10 + 9 * index)
        days = [latest - datetime.timedelta(days=90 * back) for back in reversed(range(len(totals)))]
        taken = [(day, total) for day, total in zip(days, totals, strict=True) if day >= woman.enrollment_date]
        for number, (day, total) in enumerate(taken):
            coaching_services.barc10_record(
                actor=Actor(coach, None),
                patient=woman,
                taken_on=day,
                occasion=Barc10Occasion.INTAKE if number == 0 else Barc10Occasion.NINETY_DAY,
                answers=_answers(total),
            )
