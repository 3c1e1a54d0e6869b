"""The figures of the supervisors' overview and of the admins' program figures, computed in the database.

Each figure is one grouped query over all the coaches shown (never a query per coach), so a page runs the same
number of queries whatever the size of the program. Weeks run Monday to Sunday in the program's time zone.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coaching import permissions as coaching_permissions
from coaching.models import Encounter, Urgency, last_encounter_of
from patients import permissions as patient_permissions
from patients.models import ProgramStatus
from staff import permissions as staff_permissions
from staff.models import Program, User
from staff.roles import Role, members_with_role
from staff.training import Compliance, Status, compliance_on_days
from supervision.models import ActionItem, SessionStatus, SupervisionSession

WEEKS = 12


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def local_midnight(day: datetime.date, program: Program) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=program.zone)


def waited(since: datetime.datetime, now: datetime.datetime) -> str:
    """How long something has waited, in plain words: "42 min", "3 h 5 min", "2 days"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        if rest:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
        return _("%(hours)d h") % {"hours": hours}
    days = minutes // (24 * 60)
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


@dataclass
class CoachFigures:
    coach: User
    caseload: int = 0
    encounters_this_week: int = 0
    encounters_last_week: int = 0
    no_contact: int = 0
    no_contact_never: int = 0
    no_contact_longest_days: int | None = None
    concerns_open: int = 0
    oldest_concern_age: str = ""
    urgent_waiting: int = 0
    urgent_waiting_for: str = ""
    supervision_held_this_week: bool = False
    last_supervision: datetime.date | None = None
    action_items_overdue: int = 0
    training: Compliance | None = None
    sees_training: bool = False


@dataclass
class Overview:
    rows: list[CoachFigures]
    this_week: datetime.date
    last_week: datetime.date
    no_contact_days: int
    totals: dict[str, int] = field(default_factory=dict)
    # Naloxone kits and fentanyl test strips the coaches shown handed out this week and last (their encounters).
    handed_out: dict[str, int] = field(default_factory=dict)


def coach_overview(viewer: User, coaches: list[User], *, mine: bool, now: datetime.datetime) -> Overview:
    """Per coach: active caseload, encounters this week and last, women with no encounter in the program's
    no-contact days (the rule of the weekly case queue), open concerns and their age, urgent ones nobody has
    acknowledged, supervision this week, action items overdue and training due.

    `mine`: only the figures about women whose clinical provider the viewer is (caseload, encounters, no
    contact, concerns); supervision, action items and training are about the coach and stay as they are."""
    program = viewer.program
    today = timezone.localtime(now, program.zone).date()
    this_week = week_start(today)
    last_week = this_week - datetime.timedelta(weeks=1)
    this_from, last_from = local_midnight(this_week, program), local_midnight(last_week, program)
    next_from = local_midnight(this_week + datetime.timedelta(weeks=1), program)
    rows = {coach.pk: CoachFigures(coach=coach) for coach in coaches}
    overview = Overview(list(rows.values()), this_week, last_week, program.no_contact_days)
    if not rows:
        return overview
    ids = list(rows)

    patients = patient_permissions.patients_visible_to(viewer).filter(status=ProgramStatus.ACTIVE)
    encounters = coaching_permissions.encounters_visible_to(viewer).filter(entered_in_error_at__isnull=True)
    concerns = coaching_permissions.concerns_visible_to(viewer).open()
    if mine:
        patients = patients.filter(clinical_provider=viewer)
        encounters = encounters.filter(patients__clinical_provider=viewer)
        concerns = concerns.filter(patient__clinical_provider=viewer)

    current = {"assignments__coach__in": ids, "assignments__ended_on__isnull": True}
    for row in patients.filter(**current).values("assignments__coach").annotate(n=Count("pk", distinct=True)):
        rows[row["assignments__coach"]].caseload = row["n"]

    for row in (
        encounters.filter(coach__in=ids, occurred_at__gte=last_from, occurred_at__lt=next_from)
        .order_by()
        .values("coach")
        .annotate(
            this=Count("pk", filter=Q(occurred_at__gte=this_from), distinct=True),
            last=Count("pk", filter=Q(occurred_at__lt=this_from), distinct=True),
        )
    ):
        rows[row["coach"]].encounters_this_week = row["this"]
        rows[row["coach"]].encounters_last_week = row["last"]

    # Each encounter counted once, however many of her women were there (a join on patients would repeat it).
    shown = encounters.filter(coach__in=ids, occurred_at__gte=last_from, occurred_at__lt=next_from).values("pk")
    this_week_only, last_week_only = Q(occurred_at__gte=this_from), Q(occurred_at__lt=this_from)
    overview.handed_out = {
        name: total or 0
        for name, total in Encounter.objects.filter(pk__in=shown)
        .aggregate(
            naloxone_this_week=Sum("naloxone_kits", filter=this_week_only),
            naloxone_last_week=Sum("naloxone_kits", filter=last_week_only),
            strips_this_week=Sum("test_strips", filter=this_week_only),
            strips_last_week=Sum("test_strips", filter=last_week_only),
        )
        .items()
    }

    # The weekly case queue's rule (supervision.queue): no encounter of any coach for the program's days.
    since = now - datetime.timedelta(days=program.no_contact_days)
    last_seen = last_encounter_of(OuterRef("pk"))
    for row in (
        patients.filter(**current)
        .annotate(last_seen=Subquery(last_seen))
        .filter(Q(last_seen__isnull=True) | Q(last_seen__lt=since))
        .order_by()
        .values("assignments__coach")
        .annotate(
            n=Count("pk", distinct=True), never=Count("pk", filter=Q(last_seen__isnull=True)), oldest=Min("last_seen")
        )
    ):
        figures = rows[row["assignments__coach"]]
        figures.no_contact, figures.no_contact_never = row["n"], row["never"]
        if row["oldest"] is not None:
            figures.no_contact_longest_days = (now - row["oldest"]).days

    urgent_waiting = Q(urgency=Urgency.URGENT_NOW, acknowledged_at__isnull=True)
    for row in (
        concerns.filter(coach__in=ids)
        .order_by()
        .values("coach")
        .annotate(
            n=Count("pk"),
            oldest=Min("created_at"),
            urgent=Count("pk", filter=urgent_waiting),
            urgent_since=Min("created_at", filter=urgent_waiting),
        )
    ):
        figures = rows[row["coach"]]
        figures.concerns_open, figures.oldest_concern_age = row["n"], waited(row["oldest"], now)
        figures.urgent_waiting = row["urgent"]
        if row["urgent_since"] is not None:
            figures.urgent_waiting_for = waited(row["urgent_since"], now)

    for row in (
        SupervisionSession.objects.filter(
            coach__in=ids, coach__program_id=program.pk, status=SessionStatus.HELD, held_on__lte=today
        )
        .order_by()
        .values("coach")
        .annotate(last=Max("held_on"))
    ):
        figures = rows[row["coach"]]
        figures.last_supervision = row["last"]
        figures.supervision_held_this_week = row["last"] >= this_week

    for row in (
        ActionItem.objects.filter(
            session__coach__in=ids, session__coach__program_id=program.pk, done_at__isnull=True, due_on__lt=today
        )
        .order_by()
        .values("session__coach")
        .annotate(n=Count("pk"))
    ):
        rows[row["session__coach"]].action_items_overdue = row["n"]

    ours = [coach for coach in coaches if coach.program_id == program.pk]
    compliance = compliance_on_days(ours, [today]).get(today, {})
    supervised = set(staff_permissions.supervisees_of(viewer).values_list("pk", flat=True))
    for pk, figures in rows.items():
        figures.training = compliance.get(pk)
        figures.sees_training = pk in supervised

    overview.totals = {
        "caseload": sum(r.caseload for r in overview.rows),
        "encounters_this_week": sum(r.encounters_this_week for r in overview.rows),
        "encounters_last_week": sum(r.encounters_last_week for r in overview.rows),
        "no_contact": sum(r.no_contact for r in overview.rows),
        "concerns_open": sum(r.concerns_open for r in overview.rows),
        "urgent_waiting": sum(r.urgent_waiting for r in overview.rows),
    }
    return overview


@dataclass
class ProgramFigures:
    staff_by_role: dict[str, int]
    weeks: list[datetime.date]
    # Per week (the week's last day, today for this week): how many active staff are compliant, expiring, out.
    compliance: list[tuple[datetime.date, dict[str, int]]]
    compliance_now: dict[str, int]
    # Per coach: sessions held, missed, cancelled over the weeks shown, and weeks with no session held.
    supervision: list[tuple[User, dict[str, int]]]
    # Per coach: encounters each week, and their total; and the program's total each week.
    encounters: list[tuple[User, list[int], int]]
    encounters_per_week: list[int]


def program_figures(viewer: User, *, now: datetime.datetime) -> ProgramFigures:
    """Counts for an admin, with no patient's name and no clinical text: staff by role, training compliance
    now and at the end of each of the last twelve weeks, supervision held and missed per coach, and encounters
    per coach per week. Weeks run Monday to Sunday in the program's time zone."""
    program = viewer.program
    today = timezone.localtime(now, program.zone).date()
    weeks = [week_start(today) - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    first = weeks[0]

    staff = list(User.objects.filter(program_id=program.pk, is_active=True).prefetch_related("groups").order_by("pk"))
    by_role = Counter(user.role for user in staff)
    staff_by_role = {
        _("Coaches"): by_role[Role.COACH],
        _("Supervisors"): by_role[Role.SUPERVISOR],
        _("Admins"): by_role[Role.ADMIN],
    }

    ends = [min(start + datetime.timedelta(days=6), today) for start in weeks]
    on_days = compliance_on_days(staff, ends)
    compliance = []
    for end in ends:
        counted = Counter(c.status for c in on_days.get(end, {}).values())
        compliance.append(
            (end, {status: counted[status] for status in (Status.COMPLIANT, Status.EXPIRING, Status.OUT)})
        )
    compliance_now = compliance[-1][1] if compliance else {}

    coaches = list(members_with_role(Role.COACH, program_id=program.pk).order_by("first_name", "last_name", "pk"))
    held_weeks: dict[int, set[datetime.date]] = {coach.pk: set() for coach in coaches}
    sessions: dict[int, Counter] = {coach.pk: Counter() for coach in coaches}
    for row in (
        SupervisionSession.objects.filter(coach__in=coaches, held_on__gte=first, held_on__lte=today)
        .order_by()
        .values("coach", "held_on", "status")
    ):
        sessions[row["coach"]][row["status"]] += 1
        if row["status"] == SessionStatus.HELD:
            held_weeks[row["coach"]].add(week_start(row["held_on"]))
    supervision = [
        (
            coach,
            {
                "held": sessions[coach.pk][SessionStatus.HELD],
                "missed": sessions[coach.pk][SessionStatus.MISSED],
                "cancelled": sessions[coach.pk][SessionStatus.CANCELLED],
                "weeks_without": WEEKS - len(held_weeks[coach.pk]),
            },
        )
        for coach in coaches
    ]

    counts: dict[tuple[int, datetime.date], int] = {}
    for row in (
        Encounter.objects.filter(
            program_id=program.pk,
            coach__in=coaches,
            entered_in_error_at__isnull=True,
            occurred_at__gte=local_midnight(first, program),
        )
        .annotate(week=TruncWeek("occurred_at", tzinfo=program.zone))
        .order_by()
        .values("coach", "week")
        .annotate(n=Count("pk"))
    ):
        counts[(row["coach"], row["week"].date() if isinstance(row["week"], datetime.datetime) else row["week"])] = row[
            "n"
        ]
    encounters = []
    for coach in coaches:
        per_week = [counts.get((coach.pk, start), 0) for start in weeks]
        encounters.append((coach, per_week, sum(per_week)))
    per_week_total = [sum(row[1][i] for row in encounters) for i in range(len(weeks))]
    return ProgramFigures(
        staff_by_role=staff_by_role,
        weeks=weeks,
        compliance=compliance,
        compliance_now=compliance_now,
        supervision=supervision,
        encounters=encounters,
        encounters_per_week=per_week_total,
    )


def bars(values: list[int], *, width: int = 360, height: int = 120) -> list[dict]:
    """Bar geometry for a small server-drawn SVG chart of `values` (the same numbers as the table beside it)."""
    top = max(values, default=0) or 1
    step = width / max(len(values), 1)
    shapes = []
    for index, value in enumerate(values):
        tall = round(value / top * (height - 20))
        shapes.append(
            {"x": round(index * step + 2), "y": height - tall, "w": round(step - 4), "h": tall, "value": value}
        )
    return shapes
