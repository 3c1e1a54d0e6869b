"""A coach's week: her appointments and next-contact reminders, day by day in her program's time zone.

Read through the permission layer (`permissions.appointments_visible_to`, `reminders_visible_to`); two queries
whatever the week holds."""

from __future__ import annotations

import dataclasses
import datetime

from django.utils import timezone

from coaching import permissions
from coaching.models import Appointment, Reminder, ReminderStatus
from staff.models import User

DAYS = 7


@dataclasses.dataclass
class Day:
    day: datetime.date
    appointments: list[Appointment] = dataclasses.field(default_factory=list)
    reminders: list[Reminder] = dataclasses.field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.appointments and not self.reminders


@dataclasses.dataclass
class Week:
    coach: User
    first_day: datetime.date
    days: list[Day]
    # Open reminders due before today, whatever week is shown: she meant to make these contacts and has not.
    overdue: list[Reminder]

    @property
    def previous(self) -> datetime.date:
        return self.first_day - datetime.timedelta(days=DAYS)

    @property
    def next(self) -> datetime.date:
        return self.first_day + datetime.timedelta(days=DAYS)

    @property
    def is_empty(self) -> bool:
        return not self.overdue and all(day.is_empty for day in self.days)

    def patient_ids(self) -> set[int]:
        rows = [*self.overdue, *(row for day in self.days for row in (*day.appointments, *day.reminders))]
        return {row.patient_id for row in rows}


def _midnight(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of that day in the active (the program's) zone: a day may be 23 or 25 hours long."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def week_of(viewer: User, coach: User, first_day: datetime.date | None = None) -> Week:
    """Seven days from `first_day` (today by default) of `coach`'s week as `viewer` may read it: the appointments
    planned or kept, the open reminders, and the open reminders overdue before today. Cancelled and missed
    appointments stay in the week, marked, so she sees what changed."""
    today = timezone.localdate()
    first_day = first_day or today
    last_day = first_day + datetime.timedelta(days=DAYS)
    days = {first_day + datetime.timedelta(days=n): Day(first_day + datetime.timedelta(days=n)) for n in range(DAYS)}
    appointments = (
        permissions.appointments_visible_to(viewer)
        .filter(coach=coach, starts_at__gte=_midnight(first_day), starts_at__lt=_midnight(last_day))
        .select_related("patient")
        .order_by("starts_at", "id")
    )
    for appointment in appointments:
        days[timezone.localdate(appointment.starts_at)].appointments.append(appointment)
    reminders = (
        permissions.reminders_visible_to(viewer)
        .filter(coach=coach, status=ReminderStatus.OPEN, due_on__lt=last_day)
        .exclude(due_on__lt=first_day, due_on__gte=today)
        .select_related("patient")
        .order_by("due_on", "due_time", "id")
    )
    overdue = []
    for reminder in reminders:
        if reminder.due_on < today:
            overdue.append(reminder)
        elif reminder.due_on >= first_day:
            days[reminder.due_on].reminders.append(reminder)
    return Week(coach=coach, first_day=first_day, days=list(days.values()), overdue=overdue)
