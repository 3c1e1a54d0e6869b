"""The grant's follow-up interview: its window and each woman's status, derived from her intake interview.

The window runs from `Program.interview_window_starts` to `interview_window_ends` whole months after the intake
interview, both days included (a month added to Jan 31 is the end of February, as PostgreSQL adds it, so the
database trigger `grant_interview_rules` and these functions agree). "Today" is the program's date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import models
from django.db.models import Case, DateField, F, Func, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from patients.models import FOLLOW_UP_TARGET_MONTHS, GrantInterview, InterviewKind, InterviewOutcome
from staff.models import Program


class FollowUpStatus(models.TextChoices):
    NO_INTAKE = "no_intake", _("Intake interview not recorded")
    NOT_YET_DUE = "not_yet_due", _("Not yet due")
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")
    DONE_OUTSIDE = "done_outside", _("Done outside the window")
    UNREACHABLE = "unreachable", _("Could not be reached")
    DECLINED = "declined", _("Declined")
    MISSED = "missed", _("Missed")


class AddMonths(Func):
    """`date + n months` in SQL, as a date (the same clipping at the month's end as `add_months`)."""

    template = "(%(expressions)s))::date"
    arg_joiner = " + make_interval(months => "
    output_field = DateField()


def add_months(day: datetime.date, months: int) -> datetime.date:
    return day + relativedelta(months=months)


@dataclass(frozen=True)
class Window:
    opens: datetime.date
    target: datetime.date
    closes: datetime.date

    def holds(self, day: datetime.date) -> bool:
        return self.opens <= day <= self.closes


def follow_up_window(program: Program, intake_on: datetime.date) -> Window:
    """The days her follow-up interview counts, and the six-month day it is meant for (kept inside the window)."""
    opens = add_months(intake_on, program.interview_window_starts)
    closes = add_months(intake_on, program.interview_window_ends)
    target = min(max(add_months(intake_on, FOLLOW_UP_TARGET_MONTHS), opens), closes)
    return Window(opens=opens, target=target, closes=closes)


def follow_up_status(
    program: Program, intake: GrantInterview | None, follow_up: GrantInterview | None, today: datetime.date
) -> FollowUpStatus:
    """Where her follow-up stands today: done (in or outside the window), marked not reached or declined, not yet
    due, due (window open), overdue (past the six-month day, window still open), or missed (window closed)."""
    if intake is None:
        return FollowUpStatus.NO_INTAKE
    if follow_up is not None:
        if follow_up.outcome == InterviewOutcome.DONE:
            return FollowUpStatus.DONE_OUTSIDE if follow_up.outside_window else FollowUpStatus.DONE
        return FollowUpStatus(follow_up.outcome)
    window = follow_up_window(program, intake.dated_on)
    if today < window.opens:
        return FollowUpStatus.NOT_YET_DUE
    if today > window.closes:
        return FollowUpStatus.MISSED
    return FollowUpStatus.OVERDUE if today > window.target else FollowUpStatus.DUE


@dataclass(frozen=True)
class EpisodeInterviews:
    """An episode's three interviews as the patient page shows them."""

    episode_id: int
    intake: GrantInterview | None
    follow_up: GrantInterview | None
    discharge: GrantInterview | None
    window: Window | None
    status: FollowUpStatus
    discharge_due: bool

    @property
    def kinds_to_record(self) -> list[tuple[str, str]]:
        """The kinds not recorded yet (the intake first: the others come after it)."""
        if self.intake is None:
            return [(InterviewKind.INTAKE.value, InterviewKind.INTAKE.label)]
        kinds = []
        if self.follow_up is None:
            kinds.append((InterviewKind.FOLLOW_UP.value, InterviewKind.FOLLOW_UP.label))
        if self.discharge is None:
            kinds.append((InterviewKind.DISCHARGE.value, InterviewKind.DISCHARGE.label))
        return kinds


def episode_interviews(
    program: Program, episode, interviews: list[GrantInterview], today: datetime.date
) -> EpisodeInterviews:
    by_kind = {interview.kind: interview for interview in interviews}
    intake = by_kind.get(InterviewKind.INTAKE)
    return EpisodeInterviews(
        episode_id=episode.pk,
        intake=intake,
        follow_up=by_kind.get(InterviewKind.FOLLOW_UP),
        discharge=by_kind.get(InterviewKind.DISCHARGE),
        window=follow_up_window(program, intake.dated_on) if intake else None,
        status=follow_up_status(program, intake, by_kind.get(InterviewKind.FOLLOW_UP), today),
        discharge_due=episode.ended_on is not None and InterviewKind.DISCHARGE not in by_kind,
    )


# How far ahead the due list looks, and how long after her discharge her discharge interview stays on it.
DUE_WITHIN_DAYS = 30


def due_episodes(program: Program, episodes: models.QuerySet, today: datetime.date) -> models.QuerySet:
    """The episodes (of the women given) with an interview due within DUE_WITHIN_DAYS: an intake not recorded in
    an open episode; a follow-up whose window opens by then and has not closed, none recorded; a discharge
    interview not recorded within DUE_WITHIN_DAYS of her discharge (listed before her follow-up, which comes back
    once it is recorded). Each has `due_kind` and `due_on` (the day it is due: her start, the window's opening, her
    discharge), `intake_on` and `closes_on`; soonest first."""
    ahead = today + datetime.timedelta(days=DUE_WITHIN_DAYS)
    # Her interviews are copied onto the episode (intake_on, follow_up_recorded, discharge_recorded): no lookup
    # per episode.
    annotated = episodes.annotate(
        opens_on=AddMonths(F("intake_on"), Value(program.interview_window_starts)),
        closes_on=AddMonths(F("intake_on"), Value(program.interview_window_ends)),
    )
    intake_due = Q(intake_on__isnull=True, ended_on__isnull=True)
    follow_up_due = Q(intake_on__isnull=False, follow_up_recorded=False, opens_on__lte=ahead, closes_on__gte=today)
    discharge_due = Q(
        intake_on__isnull=False,
        discharge_recorded=False,
        ended_on__isnull=False,
        ended_on__gte=today - datetime.timedelta(days=DUE_WITHIN_DAYS),
    )
    return (
        annotated.filter(intake_due | follow_up_due | discharge_due)
        .annotate(
            due_kind=Case(
                When(intake_due, then=Value(InterviewKind.INTAKE.value)),
                When(discharge_due, then=Value(InterviewKind.DISCHARGE.value)),
                default=Value(InterviewKind.FOLLOW_UP.value),
            ),
            due_on=Case(
                When(intake_due, then=F("started_on")),
                When(discharge_due, then=F("ended_on")),
                default=F("opens_on"),
            ),
        )
        .order_by("due_on", "pk")
    )


def with_interview_dates(program: Program, episodes: models.QuerySet) -> models.QuerySet:
    """Episodes with their interview dates and outcomes as columns (for the downloads): `intake_on`, `opens_on`,
    `closes_on`, `follow_up_outcome`, `follow_up_on`, `follow_up_outside`, `discharge_outcome`, `discharge_on`."""
    rows = GrantInterview.objects.filter(episode=OuterRef("pk"))
    follow_up = rows.filter(kind=InterviewKind.FOLLOW_UP)
    discharge = rows.filter(kind=InterviewKind.DISCHARGE)
    return episodes.annotate(
        follow_up_outcome=Subquery(follow_up.values("outcome")[:1]),
        follow_up_on=Subquery(follow_up.values("dated_on")[:1]),
        follow_up_outside=Subquery(follow_up.values("outside_window")[:1]),
        discharge_outcome=Subquery(discharge.values("outcome")[:1]),
        discharge_on=Subquery(discharge.values("dated_on")[:1]),
    ).annotate(
        opens_on=AddMonths(F("intake_on"), Value(program.interview_window_starts)),
        closes_on=AddMonths(F("intake_on"), Value(program.interview_window_ends)),
    )
