"""The weekly case queue of one coach, assembled from the data: nothing in it is typed by hand.

A constant number of queries however large her caseload.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from coaching import permissions as coaching_permissions
from coaching.models import Encounter
from patients import permissions as patient_permissions
from patients.models import CareKind, HigherCareStay, ProgramStatus, StatusChange
from staff.models import User
from supervision.models import ActionItem, AgendaItem


@dataclass
class Queue:
    concerns: list
    no_contact: list
    higher_care: list
    disconnected: list
    pregnancy: list
    agenda: list
    action_items: list

    @property
    def is_empty(self) -> bool:
        return not any(vars(self).values())

    def patient_ids_in_order(self) -> list[int]:
        """The patients the queue names, each once, in the order of the queue."""
        ordered = [c.patient_id for c in self.concerns]
        ordered += [p.pk for p in self.no_contact + self.higher_care + self.disconnected + self.pregnancy]
        ordered += [i.patient_id for i in self.agenda if i.patient_id]
        return list(dict.fromkeys(ordered))

    def patient_ids(self) -> set[int]:
        """Every patient named in the queue, for the access log."""
        ids = {c.patient_id for c in self.concerns} | {i.patient_id for i in self.agenda if i.patient_id}
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
        last_encounter=Max("encounters__occurred_at"),
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
    attempts = (
        Encounter.objects.filter(
            patients=OuterRef("pk"), coach=coach, occurred_at__date__gte=OuterRef("disconnected_on")
        )
        .order_by()
        .values("coach")
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
        agenda=list(AgendaItem.objects.filter(coach=coach, discussed_in__isnull=True).select_related("patient")),
        action_items=list(
            ActionItem.objects.filter(session__coach=coach, done_at__isnull=True).select_related("owner", "session")
        ),
    )


def _with_kind_label(patient):
    patient.care_kind_label = CareKind(patient.care_kind).label
    return patient
