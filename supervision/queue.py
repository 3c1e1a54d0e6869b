"""The weekly case queue of one coach, assembled from the data: nothing in it is typed by hand.

A constant number of queries however large her caseload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coaching import permissions as coaching_permissions
from coaching.barc import barc10_overdue
from coaching.debrief import DebriefEvent, debrief_sources
from coaching.models import (
    Concern,
    ConcernCategory,
    ConcernStatus,
    EncounterPatient,
    SafetyPlan,
    Urgency,
    last_encounter_of,
    start_of_day,
)
from patients import permissions as patient_permissions
from patients.models import CareKind, HigherCareStay, ProgramStatus, StatusChange
from staff.models import User
from supervision import permissions
from supervision.models import ActionItem, Debrief, DebriefKind, SessionStatus, SupervisionSession

# With no session held yet, a debrief looks back this far.
DEBRIEF_LOOKBACK = datetime.timedelta(weeks=8)

# A safety plan not gone over with her for this long is listed for review.
PLAN_REVIEW_DAYS = 90


@dataclass
class Queue:
    concerns: list
    no_contact: list
    higher_care: list
    disconnected: list
    pregnancy: list
    agenda: list
    action_items: list
    debriefs: list = field(default_factory=list)
    dual_relationships: list = field(default_factory=list)
    safety_plans: list = field(default_factory=list)
    barc10_overdue: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(vars(self).values())

    def patient_ids_in_order(self) -> list[int]:
        """The patients the queue names, each once, in the order of the queue."""
        ordered = [c.patient_id for c in self.concerns]
        ordered += [p.pk for p in self.no_contact + self.higher_care + self.disconnected + self.pregnancy]
        ordered += [p.pk for p in self.safety_plans]
        ordered += [p.pk for p in self.barc10_overdue]
        ordered += [i.patient_id for i in self.agenda if i.patient_id]
        ordered += [d.patient_id for d in self.debriefs]
        return list(dict.fromkeys(ordered))

    def patient_ids(self) -> set[int]:
        """Every patient named in the queue, for the access log."""
        ids = {c.patient_id for c in self.concerns} | {i.patient_id for i in self.agenda if i.patient_id}
        ids |= {d.patient_id for d in self.debriefs} | {d.patient_id for d in self.dual_relationships}
        ids |= {p.pk for p in self.safety_plans}
        ids |= {p.pk for p in self.barc10_overdue}
        return ids | {p.pk for p in self.no_contact + self.higher_care + self.disconnected + self.pregnancy}


def queue_for(viewer: User, coach: User, today: datetime.date | None = None) -> Queue:
    today = today or timezone.localdate()
    program = coach.program
    caseload = patient_permissions.patients_visible_to(viewer).filter(
        assignments__coach=coach, assignments__ended_on__isnull=True
    )
    # "No contact in N days" leaves out a woman in a higher level of care, and counts from her return after one.
    stays = HigherCareStay.objects.filter(patient=OuterRef("pk"))
    with_contact = caseload.annotate(
        last_encounter=last_encounter_of(OuterRef("pk")),
        in_higher_care=Exists(stays.filter(ended_on__isnull=True)),
        returned_on=Subquery(stays.filter(ended_on__isnull=False).order_by("-ended_on").values("ended_on")[:1]),
    )
    since = timezone.now() - datetime.timedelta(days=program.no_contact_days)
    no_contact = (
        with_contact.filter(status=ProgramStatus.ACTIVE, in_higher_care=False)
        .filter(Q(last_encounter__isnull=True) | Q(last_encounter__lt=since))
        .filter(Q(returned_on__isnull=True) | Q(returned_on__lte=timezone.localdate(since)))
    )
    open_stay = stays.filter(ended_on__isnull=True)
    higher_care = (
        caseload.exclude(status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED])
        .filter(Exists(open_stay))
        .annotate(
            went_on=Subquery(open_stay.values("started_on")[:1]),
            expected_back=Subquery(open_stay.values("expected_return_on")[:1]),
            care_kind=Subquery(open_stay.values("kind")[:1]),
        )
    )
    disconnected_since = StatusChange.objects.filter(patient=OuterRef("pk")).order_by("-changed_on", "-pk")
    # Her coach's attempts since the day she was disconnected (from its start in the program's zone), read from
    # her own encounter rows by their time (encounterpatient_patient_at), not from every encounter she was on.
    attempts = (
        EncounterPatient.objects.filter(
            patient=OuterRef("pk"),
            occurred_at__gte=start_of_day(OuterRef("disconnected_on"), program.zone),
            encounter__coach=coach,
        )
        .order_by()
        .values("patient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    disconnected = (
        caseload.filter(status=ProgramStatus.DISCONNECTED)
        .annotate(disconnected_on=Subquery(disconnected_since.values("changed_on")[:1]))
        .annotate(reconnect_attempts=Coalesce(Subquery(attempts), 0))
    )
    pregnancy = caseload.filter(
        Q(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=30), delivery_date__isnull=True)
        | Q(delivery_date__gte=today - datetime.timedelta(days=60), delivery_date__lte=today)
    )
    return Queue(
        safety_plans=safety_plans_to_review(viewer, caseload),
        barc10_overdue=barc10_overdue_on(viewer, caseload, today),
        concerns=list(
            coaching_permissions.concerns_visible_to(viewer)
            .filter(coach=coach)
            .open()
            .queue_order()
            .select_related("patient")
        ),
        no_contact=list(no_contact.order_by("last_encounter", "legal_name")),
        higher_care=[_with_kind_label(p) for p in higher_care.order_by("went_on", "legal_name")],
        disconnected=list(disconnected.order_by("legal_name")),
        pregnancy=list(pregnancy.order_by("due_date", "delivery_date")),
        agenda=list(permissions.agenda_of(viewer, coach).select_related("patient", "answered_by")),
        action_items=list(
            ActionItem.objects.filter(session__coach=coach, done_at__isnull=True).select_related("owner", "session")
        ),
        debriefs=debriefs_for(viewer, coach),
        dual_relationships=list(
            permissions.dual_relationships_visible_to(viewer)
            .filter(coach=coach, decision="")
            .select_related("patient")
            .order_by("declared_at")
        ),
    )


def safety_plans_to_review(viewer: User, caseload) -> list:
    """Women of her caseload still in the program whose safety plan wants going over with her: no plan yet; not
    gone over in PLAN_REVIEW_DAYS; and always one not gone over since a concern about a return to use (that
    `viewer` can see) or since she came back from a higher level of care. One query; each with `plan_reason`."""
    plan = SafetyPlan.objects.filter(patient=OuterRef("pk"))
    relapse = (
        coaching_permissions.concerns_visible_to(viewer)
        .filter(patient=OuterRef("pk"), category=ConcernCategory.RETURN_TO_USE)
        .order_by("-created_at")
    )
    returned = HigherCareStay.objects.filter(patient=OuterRef("pk"), ended_on__isnull=False).order_by("-ended_on")
    zone = timezone.get_current_timezone()
    rows = (
        caseload.exclude(status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED])
        .annotate(
            has_plan=Exists(plan),
            plan_reviewed_at=Subquery(plan.values("reviewed_at")[:1]),
            relapse_at=Subquery(relapse.values("created_at")[:1]),
            returned_on=Subquery(returned.values("ended_on")[:1]),
        )
        .annotate(plan_reviewed_on=TruncDate("plan_reviewed_at", tzinfo=zone))
        .filter(
            Q(has_plan=False)
            | Q(plan_reviewed_at__isnull=True)
            | Q(plan_reviewed_at__lt=timezone.now() - datetime.timedelta(days=PLAN_REVIEW_DAYS))
            | Q(relapse_at__gt=F("plan_reviewed_at"))
            | Q(returned_on__gt=F("plan_reviewed_on"))
        )
        .order_by("plan_reviewed_at", "legal_name")
    )
    return [_with_plan_reason(patient) for patient in rows]


def _with_plan_reason(patient):
    if not patient.has_plan:
        patient.plan_reason = _("No safety plan yet")
    elif patient.relapse_at and (patient.plan_reviewed_at is None or patient.relapse_at > patient.plan_reviewed_at):
        patient.plan_reason = _("Not gone over since a concern about a return to use on %(day)s") % {
            "day": _day(patient.relapse_at)
        }
    elif patient.returned_on and (patient.plan_reviewed_on is None or patient.returned_on > patient.plan_reviewed_on):
        patient.plan_reason = _("Not gone over since she came back from a higher level of care on %(day)s") % {
            "day": _day(patient.returned_on)
        }
    elif patient.plan_reviewed_at is None:
        patient.plan_reason = _("Never gone over with her")
    else:
        days = (timezone.localdate() - timezone.localdate(patient.plan_reviewed_at)).days
        patient.plan_reason = _("Not gone over in %(days)d days") % {"days": days}
    return patient


def _day(moment: datetime.date | datetime.datetime) -> str:
    day = timezone.localdate(moment) if isinstance(moment, datetime.datetime) else moment
    return date_format(day, _("M j"))


def debrief_since(coach: User) -> datetime.datetime:
    """The start of the day of her last session held (in the program's zone), or eight weeks back."""
    last = (
        SupervisionSession.objects.filter(coach=coach, status=SessionStatus.HELD)
        .order_by("-held_on")
        .values_list("held_on", flat=True)
        .first()
    )
    if last is None:
        return timezone.now() - DEBRIEF_LOOKBACK
    return datetime.datetime.combine(last, datetime.time(), tzinfo=coach.program.zone)


def _urgent_concerns_closed(coaches: list[User], since: dict[int, datetime.datetime]) -> list[tuple[int, DebriefEvent]]:
    """Her urgent concerns closed since `since`."""
    closed = (
        Concern.objects.filter(
            coach__in=coaches,
            urgency=Urgency.URGENT_NOW,
            status=ConcernStatus.CLOSED,
            closed_at__gte=min(since.values()),
        )
        .select_related("patient")
        .order_by("closed_at")
    )
    return [
        (
            concern.coach_id,
            DebriefEvent(
                kind=DebriefKind.URGENT_CONCERN,
                record_id=concern.pk,
                patient_id=concern.patient_id,
                patient_name=concern.patient.display_name,
                happened_at=concern.closed_at,
            ),
        )
        for concern in closed
        if concern.closed_at >= since[concern.coach_id]
    ]


def debriefs_for(viewer: User, coach: User) -> list[DebriefEvent]:
    """The hard events since her last session not yet talked over, about women `viewer` may see, oldest first.

    A constant number of queries: her last session, one per source, what was talked over, who is visible."""
    since = {coach.pk: debrief_since(coach)}
    events = [event for _, event in _urgent_concerns_closed([coach], since)]
    for source in debrief_sources().values():
        events += [event for _, event in source([coach], since)]
    if not events:
        return []
    done = set(
        Debrief.objects.filter(coach=coach, record_id__in={e.record_id for e in events}).values_list(
            "kind", "record_id"
        )
    )
    visible = set(
        patient_permissions.patients_visible_to(viewer)
        .filter(pk__in={e.patient_id for e in events})
        .values_list("pk", flat=True)
    )
    events = [e for e in events if (e.kind, e.record_id) not in done and e.patient_id in visible]
    return sorted(events, key=lambda e: e.happened_at)


def _with_kind_label(patient):
    patient.care_kind_label = CareKind(patient.care_kind).label
    return patient


def barc10_overdue_on(viewer: User, caseload, today: datetime.date) -> list:
    """Women of her caseload whose BARC-10 is more than BARC10_OVERDUE_AFTER past due (see coaching.barc), the
    longest waiting first, each with `barc10_due_on`; none for a viewer who may not read BARC-10s. One query."""
    if not coaching_permissions.can_see_barc10(viewer):
        return []
    return list(barc10_overdue(caseload, today))
