"""Hard events a coach talks over with her supervisor afterwards (a debrief): the sources that list them.

Supervision assembles them into the coach's weekly queue; CPS reports live in referrals, a sibling of
supervision, so each app registers its own source here (in its AppConfig.ready) and supervision reads them all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from staff.models import User


@dataclass(frozen=True)
class DebriefEvent:
    """One event about a patient on her caseload; `kind` is one of supervision.models.DebriefKind."""

    kind: str
    record_id: int
    patient_id: int
    patient_name: str
    happened_at: datetime.datetime


# Given the coaches and a moment per coach, the events since then: one query for all of them.
Source = Callable[[list[User], dict[int, datetime.datetime]], Iterable[tuple[int, DebriefEvent]]]
_sources: dict[str, Source] = {}


def debrief_source_register(kind: str, source: Source) -> None:
    _sources[kind] = source


def debrief_sources() -> dict[str, Source]:
    return dict(_sources)
