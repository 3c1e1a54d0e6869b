"""CPS reports as debrief events for supervision (coaching.debrief): made about a woman on the coach's caseload
that day, since her last supervision session. Only the event's date and the patient leave this app, never what
was reported."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Exists, OuterRef
from django.utils import timezone

from coaching.debrief import DebriefEvent
from patients.models import CoachAssignment
from referrals.models import CPSReport
from staff.models import User


def cps_reports_since(coaches: list[User], since: dict[int, datetime.datetime]) -> Iterator[tuple[int, DebriefEvent]]:
    """(coach id, event) for each report made after `since[coach id]` while the patient was on her caseload."""
    if not coaches:
        return
    earliest = min(since.values())
    made = CPSReport.objects.filter(made_at__gte=earliest, program_id=coaches[0].program_id)
    assignments = CoachAssignment.objects.filter(
        patient_id__in=made.values("patient_id"), coach__in=coaches
    ).select_related("patient")
    reports = list(
        made.filter(Exists(CoachAssignment.objects.filter(patient=OuterRef("patient"), coach__in=coaches)))
        .only("pk", "patient_id", "made_at")
        .order_by("made_at", "pk")
    )
    if not reports:
        return
    by_patient: dict[int, list[CoachAssignment]] = {}
    for assignment in assignments:
        by_patient.setdefault(assignment.patient_id, []).append(assignment)
    for report in reports:
        day = timezone.localtime(report.made_at).date()
        for assignment in by_patient.get(report.patient_id, []):
            held = assignment.started_on <= day and (assignment.ended_on is None or day < assignment.ended_on)
            if held and report.made_at >= since[assignment.coach_id]:
                yield (
                    assignment.coach_id,
                    DebriefEvent(
                        kind="cps_report",
                        record_id=report.pk,
                        patient_id=report.patient_id,
                        patient_name=assignment.patient.display_name,
                        happened_at=report.made_at,
                    ),
                )
