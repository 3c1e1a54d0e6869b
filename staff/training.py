"""Training compliance: what each person's role requires, and whether her records meet it."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from staff.models import TrainingRecord, TrainingRequirement, User

EXPIRING_WITHIN = datetime.timedelta(days=60)


class Status:
    COMPLIANT = "compliant"
    EXPIRING = "expiring"
    OUT = "out"

    LABELS: ClassVar[dict[str, str]] = {
        COMPLIANT: _("Compliant"),
        EXPIRING: _("Expiring within 60 days"),
        OUT: _("Out of compliance"),
    }


@dataclass
class Compliance:
    missing: list[str] = field(default_factory=list)
    expiring: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.missing:
            return Status.OUT
        if self.expiring:
            return Status.EXPIRING
        return Status.COMPLIANT

    @property
    def label(self) -> str:
        return str(Status.LABELS[self.status])


def default_expiry(kind, completed_on: datetime.date) -> datetime.date | None:
    if kind.validity_months is None:
        return None
    return completed_on + relativedelta(months=kind.validity_months)


def compliance_for(users: Iterable[User], today: datetime.date) -> dict[int, Compliance]:
    """Compliance of each user, in two queries whatever their number (users should have their groups prefetched)."""
    return compliance_on_days(users, [today]).get(today, {})


def compliance_on_days(
    users: Iterable[User], days: Iterable[datetime.date]
) -> dict[datetime.date, dict[int, Compliance]]:
    """Compliance of each user on each of `days`, by today's requirements and the records on file (a record
    completed after a day does not count on it): two queries whatever the number of users and days."""
    users, days = list(users), list(days)
    if not users or not days:
        return {}
    requirements = defaultdict(list)
    for requirement in TrainingRequirement.objects.filter(
        program_id__in={u.program_id for u in users}, kind__is_active=True
    ).select_related("kind"):
        requirements[(requirement.program_id, requirement.role)].append(requirement)
    records = defaultdict(list)
    for record in TrainingRecord.objects.filter(user__in=users).order_by("-completed_on", "-id"):
        records[(record.user_id, record.kind_id)].append(record)

    result: dict[datetime.date, dict[int, Compliance]] = {}
    for day in days:
        result[day] = {}
        for user in users:
            compliance = Compliance()
            role = user.role.value if user.role else None
            for requirement in requirements[(user.program_id, role)]:
                done = [record for record in records[(user.pk, requirement.kind_id)] if record.completed_on <= day]
                if requirement.hours:
                    _check_hours(compliance, requirement, done, day)
                else:
                    _check_completion(compliance, requirement, done, day)
            result[day][user.pk] = compliance
    return result


def _check_completion(compliance, requirement, done, today) -> None:
    name = requirement.kind.name
    latest = done[0] if done else None
    if latest is None:
        compliance.missing.append(gettext("%(name)s: not on record") % {"name": name})
    elif latest.expires_on and latest.expires_on < today:
        compliance.missing.append(
            gettext("%(name)s: lapsed on %(date)s") % {"name": name, "date": _day(latest.expires_on)}
        )
    elif latest.expires_on and latest.expires_on <= today + EXPIRING_WITHIN:
        compliance.expiring.append(
            gettext("%(name)s: expires %(date)s") % {"name": name, "date": _day(latest.expires_on)}
        )


def _day(day: datetime.date) -> str:
    # "Mar 05, 2027" in English, as it always was; in the reader's language otherwise.
    return date_format(day, gettext("M d, Y"))


def _hours_within(done, since: datetime.date, until: datetime.date) -> Decimal:
    return sum((record.hours for record in done if since < record.completed_on <= until), Decimal(0))


def _check_hours(compliance, requirement, done, today) -> None:
    name = requirement.kind.name
    window = relativedelta(months=requirement.period_months)
    have = _hours_within(done, today - window, today)
    if have < requirement.hours:
        compliance.missing.append(
            gettext("%(name)s: %(have)s of %(hours)s hours in the last %(months)s months")
            % {
                "name": name,
                "have": f"{have.normalize():f}",
                "hours": requirement.hours,
                "months": requirement.period_months,
            }
        )
        return
    later = today + EXPIRING_WITHIN
    if _hours_within(done, later - window, today) < requirement.hours:
        compliance.expiring.append(
            gettext("%(name)s: hours fall below %(hours)s within 60 days") % {"name": name, "hours": requirement.hours}
        )


STANDARD_KINDS = [
    # name, validity in months, counted by hours
    ("Recovery Coach Academy", None, False),
    ("Ethics for peer recovery", 24, False),
    ("Confidentiality (HIPAA and 42 CFR Part 2)", 12, False),
    ("Suicide prevention", 24, False),
    ("Mandated reporter training", 24, False),
    ("CPR and first aid", 24, False),
    ("Continuing education", None, True),
]

STANDARD_REQUIREMENTS: dict[str, list[tuple[str, int | None, int | None]]] = {
    # role: [(kind name, hours, over how many months)]
    "coach": [
        ("Recovery Coach Academy", None, None),
        ("Ethics for peer recovery", None, None),
        ("Confidentiality (HIPAA and 42 CFR Part 2)", None, None),
        ("Mandated reporter training", None, None),
        ("Continuing education", 20, 24),
    ],
    "supervisor": [
        ("Confidentiality (HIPAA and 42 CFR Part 2)", None, None),
        ("Mandated reporter training", None, None),
        ("Suicide prevention", None, None),
    ],
    "admin": [("Confidentiality (HIPAA and 42 CFR Part 2)", None, None)],
}
