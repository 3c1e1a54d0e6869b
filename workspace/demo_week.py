"""The demo coaches' weeks: appointments they go to with a woman and the contacts they mean to make (seed_demo)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import Appointment, Reminder
from patients.models import DISCHARGE_STATUSES, Patient
from patients.services import logging_refusal
from recovery_program.audit import Actor
from staff.models import Program, User

# (days from today, hour, minute, kind, place, note), handed out in turn to each coach's women.
APPOINTMENTS = [
    (0, 8, 30, "medical", "Riverbend Women's Health, 2nd floor", "Prenatal visit. Bring her WIC folder."),
    (1, 10, 0, "court", "Merrimack County Courthouse", "Custody review. Meet her at the side entrance at 9:40."),
    (2, 13, 30, "family_resource", "Harbor Family Resource Center", "Car seat and diapers."),
    (3, 19, 0, "twelve_step", "St. Mark's church hall", "Her first meeting: a women's meeting."),
    (4, 9, 0, "housing", "Riverbend Housing Authority", "Bring the lease application."),
    (5, 11, 15, "dental", "Concord Community Dental", ""),
]
# (days from today, hour or None, what); a negative day is overdue.
REMINDERS = [
    (-1, None, "Call her about the ride to court"),
    (1, 17, "Text her the meeting address"),
    (3, None, "Call to see how the housing visit went"),
]


def _at(days: int, hour: int, minute: int) -> datetime.datetime:
    """That time of that day in the program's zone (active while seeding)."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def seed_week(program: Program) -> None:
    """A filled week for coach1 and coach2, once."""
    if Appointment.objects.filter(program=program).exists():
        return
    for username in ("coach1", "coach2"):
        coach = User.objects.get(username=username, program=program)
        women = list(
            Patient.objects.filter(assignments__coach=coach, assignments__ended_on__isnull=True)
            .exclude(status__in=DISCHARGE_STATUSES)
            .order_by("legal_name", "pk")
        )
        women = [woman for woman in women if not logging_refusal([woman])]
        if not women:
            continue
        actor = Actor(coach, None)
        for n, (days, hour, minute, kind, place, note) in enumerate(APPOINTMENTS):
            coaching_services.appointment_add(
                actor=actor,
                patient=women[n % len(women)],
                fields={"starts_at": _at(days, hour, minute), "kind": kind, "place": place, "note": note},
            )
        for n, (days, hour, what) in enumerate(REMINDERS):
            reminder = coaching_services.reminder_add(
                actor=actor,
                patient=women[(n + 1) % len(women)],
                fields={
                    "due_on": timezone.localdate() + datetime.timedelta(days=max(days, 0)),
                    "due_time": datetime.time(hour, 0) if hour is not None else None,
                    "what": what,
                },
            )
            if days < 0:  # set on an earlier day, and not done yet
                Reminder.objects.filter(pk=reminder.pk).update(
                    due_on=timezone.localdate() + datetime.timedelta(days=days)
                )
