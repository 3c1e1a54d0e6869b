"""The supervisors' program reports: counts for a period (and one coach, if asked), computed in the database.

Each section is a `Table`; its chart is drawn from the table's own cells and its CSV writes the same cells, so
the three cannot disagree. Every figure comes from one grouped query (GROUP BY, date_trunc in the program's
zone, percentile_cont), so a page runs the same number of queries whatever the size of the program. Counts
only: no woman's name, nothing she said.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import TruncDate, TruncMonth, TruncQuarter, TruncWeek
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from coaching.models import ConcernCategory, EncounterKind, Urgency, start_of_day
from patients.interviews import AddMonths
from patients.models import CoachAssignment, GrantInterview, InterviewKind, InterviewOutcome, WithdrawalTreated
from referrals.models import CareType, ReferralStatus
from staff.models import User
from staff.training import Status
from supervision.models import SessionStatus
from workspace.overview import ProgramFigures, local_midnight, week_start
from workspace.permissions import ReportSources

# Encounters where the coach went with her somewhere: the destination is the kind.
ACCOMPANIMENTS = [
    EncounterKind.TWELVE_STEP,
    EncounterKind.FAMILY_RESOURCE,
    EncounterKind.MEDICAL,
    EncounterKind.COURT,
]
RETENTION_MONTHS = (3, 6, 12)
# Where she went, as the accompaniments table names it (the kind's label without "Went with her to").
DESTINATIONS = {
    EncounterKind.TWELVE_STEP: gettext_lazy("a twelve-step meeting"),
    EncounterKind.FAMILY_RESOURCE: gettext_lazy("the Family Resource Center"),
    EncounterKind.MEDICAL: gettext_lazy("a medical or dental visit"),
    EncounterKind.COURT: gettext_lazy("a court appointment"),
}
SHOWN_SESSIONS = [SessionStatus.HELD, SessionStatus.MISSED, SessionStatus.CANCELLED]


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _days_between(later, earlier) -> Func:
    """Whole days from one date to a later one (PostgreSQL's date minus date)."""
    return Func(later, earlier, arg_joiner=" - ", template="(%(expressions)s)", output_field=IntegerField())


def _hours_between(later, earlier, *, per: int = 3600) -> Func:
    return Func(
        later,
        earlier,
        arg_joiner=" - ",
        template=f"(EXTRACT(EPOCH FROM (%(expressions)s)) / {per})",
        output_field=FloatField(),
    )


def _months_after(day, months: int) -> Func:
    return Func(day, template=f"((%(expressions)s) + INTERVAL '{int(months)} months')::date", output_field=DateField())


def _long_day(day: datetime.date) -> str:
    """ "Nov 3, 2026" in English; each language's catalogue gives its own order (Django's date format letters)."""
    return date_format(day, pgettext("date format of a report", "M j, Y"))


def _short_day(day: datetime.date) -> str:
    return date_format(day, pgettext("date format of a report", "M j"))


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # included

    def __str__(self) -> str:
        return _("%(start)s to %(end)s") % {
            "start": _long_day(self.start),
            "end": _long_day(self.end),
        }

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"


@dataclass
class Row:
    label: str
    values: list[int | float | None]
    link: str = ""


@dataclass
class Bar:
    x: int
    y: int
    w: int
    h: int
    value: int | float
    series: int
    group: str
    series_label: str


@dataclass
class Chart:
    """A stacked bar chart of some cells of a table: one bar per row, one colour per column."""

    series: list[str]
    groups: list[tuple[str, int, int, list[Bar]]]  # label, x of its middle, top of the stack, its pieces
    width: int
    height: int
    unit: str


@dataclass
class Table:
    slug: str
    title: str
    caption: str
    row_heading: str
    columns: list[str]
    rows: list[Row]
    chart_columns: list[int]
    chart_rows: list[int] | None = None
    unit: str = ""
    note: str = ""
    link: tuple[str, str] | None = None
    chart: Chart | None = field(default=None, init=False)

    @property
    def header(self) -> list[str]:
        return [self.row_heading, *self.columns]

    def cells(self) -> list[list[object]]:
        """What the table shows and its CSV holds: each row's label, then its numbers ("" for none)."""
        return [[row.label, *("" if value is None else value for value in row.values)] for row in self.rows]


CHART_WIDTH, CHART_HEIGHT, AXIS = 600, 240, 40


def draw(table: Table) -> Chart:
    """The chart's geometry from the table's cells, server-side: SVG rectangles, no script."""
    rows = [table.rows[i] for i in table.chart_rows] if table.chart_rows is not None else table.rows
    # A cell with no number (a median of nothing) has no bar: its table says "none".
    stacks = [[row.values[c] for c in table.chart_columns] for row in rows]
    top = max((sum(value or 0 for value in stack) for stack in stacks), default=0) or 1
    step = CHART_WIDTH / max(len(rows), 1)
    usable = CHART_HEIGHT - AXIS - 16
    groups = []
    for index, (row, stack) in enumerate(zip(rows, stacks, strict=True)):
        x, width, base = round(index * step + step * 0.15), max(round(step * 0.7), 2), CHART_HEIGHT - AXIS
        bars = []
        for series, value in enumerate(stack):
            if value is None:
                continue
            tall = round(value / top * usable)
            base -= tall
            bars.append(Bar(x, base, width, tall, value, series, row.label, table.columns[table.chart_columns[series]]))
        groups.append((row.label, round(x + width / 2), base - 4, bars))
    return Chart(
        series=[table.columns[c] for c in table.chart_columns],
        groups=groups,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        unit=table.unit,
    )


@dataclass
class Report:
    period: Period
    coach: User | None
    tables: list[Table]

    def table(self, slug: str) -> Table | None:
        return next((table for table in self.tables if table.slug == slug), None)


def _months(period: Period) -> list[datetime.date]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def _weeks(period: Period) -> list[datetime.date]:
    weeks, day = [], week_start(period.start)
    while day <= period.end:
        weeks.append(day)
        day += datetime.timedelta(weeks=1)
    return weeks


def _day(value: datetime.date | datetime.datetime) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counted(rows: QuerySet, by: str, of: str) -> dict[Any, dict[str, int]]:
    """`rows` counted in one GROUP BY: counts[<by>][<of>], a truncated moment's key read as its date."""
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in rows.order_by().values(by, of).annotate(n=Count("pk")):
        counts[_day(row[by])][row[of]] = row["n"]
    return counts


def _numbers(**table: Any) -> Table:
    """A table of one column of numbers, one a row; the chart draws the rows it names (all by default)."""
    return Table(columns=[_("Number")], chart_columns=[0], **table)


def _cross_table(counts: dict, rows: list[tuple[str, Any]], choices: list, total: str, **table: Any) -> Table:
    """Counts by row (`counts[key][choice]`) and by choice: a column each, stacked in the chart, then their total."""
    built = []
    for label, key in rows:
        values = [counts[key].get(choice, 0) for choice in choices]
        built.append(Row(label, [*values, sum(values)]))
    columns = [*(str(choice.label) for choice in choices), total]
    return Table(rows=built, columns=columns, chart_columns=list(range(len(choices))), **table)


def _on_caseload_of(coach: User | None, period: Period) -> Q:
    """Women who were on the coach's caseload at some time in the period (every woman without a coach filter)."""
    if coach is None:
        return Q()
    return Q(
        Exists(
            CoachAssignment.objects.filter(patient=OuterRef("patient"), coach=coach, started_on__lte=period.end).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
            )
        )
    )


def _links(coach: User | None) -> dict[str, str]:
    """The lists behind the numbers, narrowed to the coach when there is one (each list logs what it shows)."""
    one = f"coach={coach.pk}" if coach is not None else ""
    return {
        "patients": f"{reverse('patients:list')}?{one}",
        "discharged": f"{reverse('patients:list')}?{one}&status=discharged",
        "encounters": f"{reverse('coaching:encounter_list')}?{one}",
        "concerns": f"{reverse('coaching:concern_list')}?{one}",
    }


def program_report(sources: ReportSources, period: Period, coach: User | None) -> Report:
    """Every section of the report for the period (and the coach), from `sources` (the permission layer's rows)."""
    zone, links = sources.program.zone, _links(coach)
    since, until = (
        local_midnight(period.start, sources.program),
        local_midnight(period.end + datetime.timedelta(days=1), sources.program),
    )
    in_period = {"occurred_at__gte": since, "occurred_at__lt": until}
    caseload = _on_caseload_of(coach, period)
    by_coach = Q(coach=coach) if coach is not None else Q()
    episodes = sources.episodes.filter(caseload)
    # Each woman's contacts: the encounter's time and "it reached her" are copied onto her row (an index each).
    reached = sources.encounter_patients.filter(reached=True)
    tables = [
        *_women(episodes, period, links),
        _first_contact(episodes, reached, period, zone, links),
        *_encounters(sources, reached, coach, in_period, period, zone, links),
        *_concerns(sources, by_coach, since, until, period, zone, links),
        _relapse(sources, by_coach, reached, since, until, links),
        *_referrals(sources, caseload, period),
        _supervision(sources, by_coach, period),
        _births(sources, caseload, period),
        *_barc10(sources, caseload, period),
        follow_up_rate(sources.program, episodes, period),
    ]
    for table in tables:
        table.chart = draw(table)
    return Report(period=period, coach=coach, tables=tables)


def _women(episodes: QuerySet, period: Period, links: dict[str, str]) -> list[Table]:
    overlaps = Q(started_on__lte=period.end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))
    started = Q(started_on__gte=period.start, started_on__lte=period.end)
    counts: dict[str, Count] = {
        "served": Count("patient", filter=overlaps, distinct=True),
        "enrolled": Count("pk", filter=started),
        "discharged": Count("pk", filter=Q(ended_on__gte=period.start, ended_on__lte=period.end)),
    }
    for months in RETENTION_MONTHS:
        # Women enrolled in the year before the day that puts them `months` months before the period's end.
        latest = _months_back(period.end, months)
        cohort = Q(started_on__lte=latest, started_on__gt=_months_back(latest, 12))
        counts[f"cohort_{months}"] = Count("pk", filter=cohort)
        counts[f"stayed_{months}"] = Count(
            "pk", filter=cohort & (Q(ended_on__isnull=True) | Q(ended_on__gte=_months_after(F("started_on"), months)))
        )
    totals = episodes.aggregate(**counts)
    reasons = (
        episodes.filter(ended_on__gte=period.start, ended_on__lte=period.end)
        .order_by()
        .values("discharge_reason__label", "discharge_reason__position")
        .annotate(n=Count("pk"))
        .order_by("discharge_reason__position", "discharge_reason__label")
    )
    women = _numbers(
        slug="women",
        title=_("Women served, enrolled and discharged"),
        caption=_("Women served, enrolled and discharged, %(period)s") % {"period": period},
        row_heading=_("Women"),
        rows=[
            Row(_("Served (in the program at some time in the period)"), [totals["served"]], links["patients"]),
            Row(_("Enrolled or re-enrolled"), [totals["enrolled"]], links["patients"]),
            Row(_("Discharged"), [totals["discharged"]], links["discharged"]),
            *(
                Row(_("Discharged: %(reason)s") % {"reason": row["discharge_reason__label"]}, [row["n"]])
                for row in reasons
            ),
        ],
        unit=_("women"),
    )
    retention = Table(
        slug="retention",
        title=_("Retention at 3, 6 and 12 months"),
        caption=_("Women still in the program 3, 6 and 12 months after enrolling, as of %(day)s")
        % {"day": _long_day(period.end)},
        row_heading=_("After"),
        columns=[_("Enrolled long enough ago"), _("Still in the program"), _("Retained (%)")],
        rows=[
            Row(
                ngettext("%(months)d month", "%(months)d months", months) % {"months": months},
                [
                    totals[f"cohort_{months}"],
                    totals[f"stayed_{months}"],
                    _percent(totals[f"stayed_{months}"], totals[f"cohort_{months}"]),
                ],
            )
            for months in RETENTION_MONTHS
        ],
        chart_columns=[2],
        unit="%",
        note=_(
            "Each row counts the women who enrolled in the 12 months before the day that many months before the "
            "period's end, and how many of them had not been discharged that many months after enrolling."
        ),
    )
    return [women, retention]


def _months_back(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _first_contact(
    episodes: QuerySet, reached: QuerySet, period: Period, zone: datetime.tzinfo, links: dict[str, str]
) -> Table:
    first = (
        reached.filter(patient=OuterRef("patient"), occurred_at__gte=start_of_day(OuterRef("started_on"), zone))
        .order_by("occurred_at")
        .values(day=TruncDate("occurred_at", tzinfo=zone))[:1]
    )
    waited = _days_between(F("first"), F("started_on"))
    figures = (
        episodes.filter(started_on__gte=period.start, started_on__lte=period.end)
        .annotate(first=Subquery(first))
        .aggregate(
            enrolled=Count("pk"),
            seen=Count("pk", filter=Q(first__isnull=False)),
            median=Median(waited),
            slowest=Max(waited),
        )
    )
    return _numbers(
        slug="first-contact",
        title=_("From enrollment to the first coach contact"),
        caption=_("Days from enrollment to the first contact with a coach, women enrolled %(period)s")
        % {"period": period},
        row_heading=_("Women enrolled in the period"),
        rows=[
            Row(_("Enrolled or re-enrolled"), [figures["enrolled"]], links["patients"]),
            Row(_("Seen by a coach since"), [figures["seen"]], links["encounters"]),
            Row(_("Not seen by a coach yet"), [figures["enrolled"] - figures["seen"]], links["patients"]),
            Row(_("Median days to the first contact"), [_round(figures["median"])]),
            Row(_("Slowest: days to the first contact"), [figures["slowest"]]),
        ],
        chart_rows=[3, 4],
        unit=_("days"),
        note=_("A contact is an encounter that reached her, not an attempt with no contact."),
    )


def _encounters(
    sources: ReportSources,
    reached: QuerySet,
    coach: User | None,
    in_period: dict,
    period: Period,
    zone,
    links: dict[str, str],
) -> list[Table]:
    kinds = list(EncounterKind)
    months = _months(period)
    by_coach = Q(coach=coach) if coach is not None else Q()
    logged = sources.encounters.filter(by_coach, entered_in_error_at__isnull=True, **in_period)
    counts = _counted(logged.annotate(month=TruncMonth("occurred_at", tzinfo=zone)), "month", "kind")
    contacts = reached.filter(**in_period)
    if coach is not None:
        contacts = contacts.filter(encounter__in=logged)
    seen: dict[datetime.date, dict[str, int]] = {}
    for row in (
        contacts.annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .order_by()
        .values("month")
        .annotate(women=Count("patient", distinct=True), contacts=Count("pk"))
    ):
        seen[_day(row["month"])] = row
    rows = []
    for month in months:
        per_kind = [counts[month].get(kind, 0) for kind in kinds]
        women = seen.get(month, {}).get("women", 0)
        contacts = seen.get(month, {}).get("contacts", 0)
        rows.append(
            Row(
                date_format(month, _("M Y")),
                [*per_kind, sum(per_kind), women, round(contacts / women, 1) if women else None],
            )
        )
    encounters = Table(
        slug="encounters",
        title=_("Encounters per month, by kind, and per woman"),
        caption=_("Encounters per month by kind, women seen and contacts per woman seen, %(period)s")
        % {"period": period},
        row_heading=_("Month"),
        columns=[
            *(str(kind.label) for kind in kinds),
            _("All encounters"),
            _("Women seen"),
            _("Contacts per woman seen"),
        ],
        rows=rows,
        chart_columns=list(range(len(kinds))),
        unit=_("encounters"),
        note=_("A group session is one encounter; each woman in it counts as a contact. Months are cut to the period."),
        link=(_("See the encounters"), links["encounters"]),
    )
    totals = {kind: sum(counts[m].get(kind, 0) for m in months) for kind in ACCOMPANIMENTS}
    accompaniments = Table(
        slug="accompaniments",
        title=_("Accompaniments, by where she went"),
        caption=_("Times a coach went with her, by destination, %(period)s") % {"period": period},
        row_heading=_("Went with her to"),
        columns=[_("Encounters")],
        rows=[Row(str(DESTINATIONS[kind]), [totals[kind]]) for kind in ACCOMPANIMENTS],
        chart_columns=[0],
        unit=_("encounters"),
        link=(_("See the encounters"), links["encounters"]),
    )
    return [encounters, accompaniments]


def _concerns(
    sources: ReportSources, by_coach: Q, since, until, period: Period, zone, links: dict[str, str]
) -> list[Table]:
    categories = list(ConcernCategory)
    shared = sources.concerns.filter(by_coach, created_at__gte=since, created_at__lt=until)
    counts = _counted(shared.annotate(week=TruncWeek("created_at", tzinfo=zone)), "week", "category")
    concerns = _cross_table(
        counts,
        [(_short_day(week), week) for week in _weeks(period)],
        categories,
        _("All concerns"),
        slug="concerns",
        title=_("Concerns per week, by what they were about"),
        caption=_("Concerns shared per week (weeks start on Monday) by category, %(period)s") % {"period": period},
        row_heading=_("Week of"),
        unit=_("concerns"),
        link=(_("See the concern queue"), links["concerns"]),
    )
    target = sources.program.urgent_acknowledge_minutes
    minutes = _hours_between(F("acknowledged_at"), F("created_at"), per=60)
    acknowledged = Q(acknowledged_at__isnull=False)
    urgent = shared.filter(urgency=Urgency.URGENT_NOW).aggregate(
        shared=Count("pk"),
        acknowledged=Count("pk", filter=acknowledged),
        within=Count(
            "pk", filter=acknowledged & Q(acknowledged_at__lte=F("created_at") + datetime.timedelta(minutes=target))
        ),
        median=Median(minutes, filter=acknowledged),
        slowest=Max(minutes, filter=acknowledged),
    )
    acknowledgement = _numbers(
        slug="urgent",
        title=_("Urgent concerns: time to acknowledgement"),
        caption=_(
            "Urgent concerns and the minutes until a supervisor acknowledged them, against the program's "
            "target of %(target)s minutes, %(period)s"
        )
        % {"target": target, "period": period},
        row_heading=_("Urgent concerns"),
        rows=[
            Row(_("Shared as urgent"), [urgent["shared"]], links["concerns"]),
            Row(_("Acknowledged within %(target)s minutes") % {"target": target}, [urgent["within"]]),
            Row(
                _("Acknowledged after %(target)s minutes") % {"target": target},
                [urgent["acknowledged"] - urgent["within"]],
            ),
            Row(_("Not acknowledged yet"), [urgent["shared"] - urgent["acknowledged"]], links["concerns"]),
            Row(_("Median minutes to acknowledgement"), [_round(urgent["median"])]),
            Row(_("Slowest: minutes to acknowledgement"), [_round(urgent["slowest"])]),
        ],
        chart_rows=[1, 2, 3],
        unit=_("concerns"),
        note=_("The target is a program setting (an admin changes it in the program settings)."),
    )
    return [concerns, acknowledgement]


def _relapse(sources: ReportSources, by_coach: Q, reached: QuerySet, since, until, links: dict[str, str]) -> Table:
    next_contact = (
        reached.filter(patient=OuterRef("patient"), occurred_at__gt=OuterRef("created_at"))
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    days = _hours_between(F("reconnected"), F("created_at"), per=86400)
    back = Q(reconnected__isnull=False)
    figures = (
        sources.concerns.filter(by_coach, category=ConcernCategory.RETURN_TO_USE, created_at__gte=since)
        .filter(created_at__lt=until)
        .annotate(reconnected=Subquery(next_contact))
        .aggregate(
            noted=Count("pk"),
            women=Count("patient", distinct=True),
            back=Count("pk", filter=back),
            median=Median(days, filter=back),
            slowest=Max(days, filter=back),
        )
    )
    return _numbers(
        slug="relapse",
        title=_("Return to use and reconnection"),
        caption=_("Returns to use noted, and reconnections with a coach after them"),
        row_heading=_("Return to use"),
        rows=[
            Row(_("Noted (concerns about a return to use)"), [figures["noted"]], links["concerns"]),
            Row(_("Women they were about"), [figures["women"]]),
            Row(_("Reconnected with a coach after it"), [figures["back"]]),
            Row(_("Not reconnected yet"), [figures["noted"] - figures["back"]]),
            Row(_("Median days to reconnect"), [_round(figures["median"])]),
            Row(_("Slowest: days to reconnect"), [_round(figures["slowest"])]),
        ],
        chart_rows=[0, 2, 3],
        unit=_("concerns"),
        note=_(
            "The records have no relapse of their own: a return to use is a concern shared about it (“Return to "
            "use, or signs of it”), and she reconnected at her next encounter with a coach that reached her."
        ),
    )


def _referrals(sources: ReportSources, caseload: Q, period: Period) -> list[Table]:
    care_types, statuses = list(CareType), list(ReferralStatus)
    made = sources.referrals.filter(caseload, referred_on__gte=period.start, referred_on__lte=period.end)
    counts = _counted(made, "care_type", "status")
    by_care = _cross_table(
        counts,
        [(str(care.label), care) for care in care_types],
        statuses,
        _("All referrals"),
        slug="referrals",
        title=_("Referrals, by level of care and where they stand"),
        caption=_("Referrals made %(period)s, by level or kind of care and their status today") % {"period": period},
        row_heading=_("Level or kind of care"),
        unit=_("referrals"),
    )
    completed_on = (
        sources.referral_changes.filter(referral=OuterRef("pk"), status=ReferralStatus.COMPLETED)
        .order_by("changed_on")
        .values("changed_on")[:1]
    )
    took = _days_between(F("completed_on"), F("referred_on"))
    done = Q(completed_on__isnull=False)
    figures = made.annotate(completed_on=Subquery(completed_on)).aggregate(
        made=Count("pk"),
        completed=Count("pk", filter=done),
        median=Median(took, filter=done),
        slowest=Max(took, filter=done),
    )
    completion = _numbers(
        slug="referral-completion",
        title=_("Referrals completed, and how long it took"),
        caption=_("Referrals made %(period)s: how many were completed and the days it took") % {"period": period},
        row_heading=_("Referrals"),
        rows=[
            Row(_("Made"), [figures["made"]]),
            Row(_("Completed"), [figures["completed"]]),
            Row(_("Completion rate (%)"), [_percent(figures["completed"], figures["made"])]),
            Row(_("Median days to completion"), [_round(figures["median"])]),
            Row(_("Slowest: days to completion"), [figures["slowest"]]),
        ],
        chart_rows=[0, 1],
        unit=_("referrals"),
    )
    return [by_care, completion]


def _supervision(sources: ReportSources, by_coach: Q, period: Period) -> Table:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    for row in (
        sources.sessions.filter(by_coach, held_on__gte=period.start, held_on__lte=period.end)
        .order_by()
        .values("coach", "coach__first_name", "coach__last_name", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["coach"]][row["status"]] = row["n"]
        names[row["coach"]] = f"{row['coach__first_name']} {row['coach__last_name']}".strip()
    rows = [
        Row(
            names[pk], [counts[pk].get(status, 0) for status in SHOWN_SESSIONS], reverse("supervision:queue", args=[pk])
        )
        for pk in sorted(names, key=lambda pk: (names[pk], pk))
    ]
    return Table(
        slug="supervision",
        title=_("Supervision held and missed, per coach"),
        caption=_("Supervision sessions per coach, %(period)s") % {"period": period},
        row_heading=_("Coach"),
        columns=[str(status.label) for status in SHOWN_SESSIONS],
        rows=rows,
        chart_columns=[0, 1],
        unit=_("sessions"),
    )


def follow_up_rate(program, episodes: QuerySet, period: Period) -> Table:
    """The grant's follow-up rate: of the women whose follow-up window closed in the period (their intake interview
    plus the program's window), how many were interviewed within it, against the program's target. One query."""
    rows = GrantInterview.objects.filter(episode=OuterRef("pk"), kind=InterviewKind.FOLLOW_UP)
    closed = (
        episodes.annotate(closes_on=AddMonths(F("intake_on"), Value(program.interview_window_ends)))
        .filter(closes_on__gte=period.start, closes_on__lte=period.end)
        .annotate(outcome=Subquery(rows.values("outcome")[:1]), outside=Subquery(rows.values("outside_window")[:1]))
    )
    counts: dict[tuple[str | None, bool | None], int] = {
        (row["outcome"], row["outside"]): row["n"]
        for row in closed.order_by().values("outcome", "outside").annotate(n=Count("pk"))
    }
    figures = {
        "closed": sum(counts.values()),
        "within": counts.get((InterviewOutcome.DONE, False), 0),
        "outside": counts.get((InterviewOutcome.DONE, True), 0),
        "unreachable": counts.get((InterviewOutcome.UNREACHABLE, False), 0),
        "declined": counts.get((InterviewOutcome.DECLINED, False), 0),
        "missed": counts.get((None, None), 0),
    }
    return _numbers(
        slug="follow-up",
        title=_("The grant's follow-up interviews"),
        caption=_("Women whose follow-up window closed %(period)s: interviewed within it, against the target")
        % {"period": period},
        row_heading=_("Follow-up interviews"),
        rows=[
            Row(_("Women whose window closed"), [figures["closed"]]),
            Row(_("Interviewed within the window"), [figures["within"]]),
            Row(_("Interviewed outside the window"), [figures["outside"]]),
            Row(_("Could not be reached"), [figures["unreachable"]]),
            Row(_("Declined"), [figures["declined"]]),
            Row(_("No interview recorded"), [figures["missed"]]),
            Row(_("Follow-up rate (%)"), [_percent(figures["within"], figures["closed"])]),
            Row(_("Target (%)"), [program.interview_target_percent]),
        ],
        chart_rows=[1, 2, 3, 4, 5],
        unit=_("women"),
        note=_(
            "The window runs from %(starts)s to %(ends)s months after the intake interview. Only an interview "
            "within it counts toward the rate."
        )
        % {"starts": program.interview_window_starts, "ends": program.interview_window_ends},
    )


def program_figure_tables(figures: ProgramFigures) -> dict[str, Table]:
    """The admins' program figures as tables, each with its chart: staff by role, training compliance week by week,
    supervision held and missed per coach. Counts of staff and sessions only."""
    tables = {
        "staff": Table(
            slug="staff",
            title=_("Staff by role"),
            caption=_("Active staff by role"),
            row_heading=_("Role"),
            columns=[_("Active staff")],
            rows=[Row(label, [count]) for label, count in figures.staff_by_role.items()],
            chart_columns=[0],
            unit=_("people"),
        ),
        "training": Table(
            slug="training",
            title=_("Training compliance"),
            caption=_("Training compliance, week by week"),
            row_heading=_("As of"),
            columns=[_("Compliant"), _("Expiring"), _("Out of compliance")],
            rows=[
                Row(_short_day(day), [counts[Status.COMPLIANT], counts[Status.EXPIRING], counts[Status.OUT]])
                for day, counts in figures.compliance
            ],
            chart_columns=[0, 1, 2],
            unit=_("people"),
        ),
        "supervision": Table(
            slug="supervision",
            title=_("Supervision"),
            caption=_("Supervision sessions per coach"),
            row_heading=_("Coach"),
            columns=[_("Held"), _("Missed"), _("Cancelled"), _("Weeks with none held")],
            rows=[
                Row(str(coach), [counts["held"], counts["missed"], counts["cancelled"], counts["weeks_without"]])
                for coach, counts in figures.supervision
            ],
            chart_columns=[0, 1],
            unit=_("sessions"),
        ),
    }
    for table in tables.values():
        table.chart = draw(table)
    return tables


def _births(sources: ReportSources, caseload: Q, period: Period) -> Table:
    """Births in the period (by delivery date), infants treated for withdrawal, and a Plan of Safe Care made by the
    day of delivery: one aggregate query."""
    born = sources.pregnancies.filter(caseload, delivery_date__gte=period.start, delivery_date__lte=period.end)
    figures = born.aggregate(
        births=Count("pk"),
        withdrawal=Count("pk", filter=Q(infant_withdrawal=WithdrawalTreated.YES)),
        safe_care=Count("pk", filter=Q(safe_care_plan=True, safe_care_on__lte=F("delivery_date"))),
    )
    return _numbers(
        slug="births",
        title=_("Births and Plans of Safe Care"),
        caption=_("Babies born %(period)s to the women of the program") % {"period": period},
        row_heading=_("Births"),
        rows=[
            Row(_("Births"), [figures["births"]]),
            Row(_("Infants treated for withdrawal"), [figures["withdrawal"]]),
            Row(_("Plan of Safe Care in place at delivery"), [figures["safe_care"]]),
            Row(_("Plan of Safe Care rate (%)"), [_percent(figures["safe_care"], figures["births"])]),
        ],
        chart_rows=[0, 1, 2],
        unit=_("births"),
    )


class Percentile(Aggregate):
    """The value below which `fraction` of them lie, interpolated (PostgreSQL's percentile_cont)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra: Any) -> None:
        self.template = f"%(function)s({float(fraction)}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)


def _quarters(period: Period) -> list[datetime.date]:
    quarters, day = [], period.start.replace(month=(period.start.month - 1) // 3 * 3 + 1, day=1)
    while day <= period.end:
        quarters.append(day)
        day = (day + datetime.timedelta(days=95)).replace(day=1)
    return quarters


def _quarter_label(day: datetime.date) -> str:
    return _("%(year)d Q%(quarter)d") % {"year": day.year, "quarter": (day.month - 1) // 3 + 1}


def _barc10(sources: ReportSources, caseload: Q, period: Period) -> list[Table]:
    """BARC-10 totals per quarter (how many, median and quartiles), and the change from each woman's first to her
    latest in the period, for women who took two or more. Two grouped queries."""
    if sources.barc10s is None:
        return []
    barcs = sources.barc10s.filter(caseload, taken_on__gte=period.start, taken_on__lte=period.end)
    by_quarter = {
        row["quarter"]: row
        for row in barcs.annotate(quarter=TruncQuarter("taken_on"))
        .order_by()
        .values("quarter")
        .annotate(
            n=Count("pk"),
            women=Count("patient", distinct=True),
            low=Percentile("total", 0.25),
            median=Percentile("total", 0.5),
            high=Percentile("total", 0.75),
        )
    }
    rows = []
    for quarter in _quarters(period):
        row = by_quarter.get(quarter, {})
        rows.append(
            Row(
                _quarter_label(quarter),
                [row.get("n", 0), row.get("women", 0)] + [_round(row.get(name)) for name in ("low", "median", "high")],
            )
        )
    distribution = Table(
        slug="barc10",
        title=_("Recovery capital (BARC-10)"),
        caption=_("BARC-10 totals per quarter, %(period)s") % {"period": period},
        row_heading=_("Quarter"),
        columns=[_("Taken"), _("Women"), _("Lower quartile"), _("Median"), _("Upper quartile")],
        rows=rows,
        chart_columns=[3],
        unit=_("median BARC-10 total, 10 to 60"),
        note=_(
            "Each BARC-10 she took in the period, in the quarter she took it. The total runs from 10 to 60; higher "
            "is more recovery capital."
        ),
    )
    in_period = barcs.filter(patient=OuterRef("patient"))
    later = in_period.filter(
        Q(taken_on__gt=OuterRef("taken_on")) | Q(taken_on=OuterRef("taken_on"), pk__gt=OuterRef("pk"))
    )
    first = in_period.order_by("taken_on", "pk").values("total")[:1]
    taken = in_period.order_by().values("patient").annotate(n=Count("pk")).values("n")
    change = F("total") - F("first")
    figures = (
        barcs.filter(~Exists(later))
        .annotate(first=Subquery(first), taken=Subquery(taken))
        .filter(taken__gte=2)
        .aggregate(
            women=Count("pk"),
            first_median=Median("first"),
            latest_median=Median("total"),
            median_change=Median(change),
            rose=Count("pk", filter=Q(total__gt=F("first"))),
            fell=Count("pk", filter=Q(total__lt=F("first"))),
            same=Count("pk", filter=Q(total=F("first"))),
        )
    )
    changed = _numbers(
        slug="barc10-change",
        title=_("BARC-10 change"),
        caption=_("Change from each woman's first BARC-10 to her latest, %(period)s") % {"period": period},
        row_heading=_("Women with two or more BARC-10s"),
        rows=[
            Row(_("Women with two or more"), [figures["women"]]),
            Row(_("Rose"), [figures["rose"]]),
            Row(_("Fell"), [figures["fell"]]),
            Row(_("Stayed the same"), [figures["same"]]),
            Row(_("Median first total"), [_round(figures["first_median"])]),
            Row(_("Median latest total"), [_round(figures["latest_median"])]),
            Row(_("Median change"), [_round(figures["median_change"])]),
        ],
        chart_rows=[1, 2, 3],
        unit=_("women"),
        note=_("Only women who took two or more in the period: her first and her latest in it."),
    )
    return [distribution, changed]
