"""A coach's hours outside office hours over the last four weeks, from her encounters: one query for every coach.

Weekend hours are those of encounters starting on a Saturday or Sunday in the program's zone; after-hours are the
rest of her time outside the program's office hours (Program.is_office_hours): on a weekday, the part of each
encounter before opening or after closing, or all of it on a weekday without office hours.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

from staff.models import User

WEEKS = 4

# The program's office hours in SQL, as the rota trigger states them (supervision.models.ROTA_RULES).
QUERY = """
SELECT e.coach_id,
       COALESCE(SUM(CASE WHEN extract(isodow FROM l.local) IN (6, 7) THEN e.duration_minutes END), 0),
       COALESCE(SUM(CASE WHEN extract(isodow FROM l.local) NOT IN (6, 7)
                    THEN e.duration_minutes - o.office END), 0)
FROM coaching_encounter e
JOIN staff_program p ON p.id = e.program_id
CROSS JOIN LATERAL (SELECT e.occurred_at AT TIME ZONE p.time_zone AS local) l
CROSS JOIN LATERAL (
    SELECT CASE WHEN position(((extract(isodow FROM l.local))::int - 1)::text IN p.office_days) > 0
        THEN GREATEST(0, extract(epoch FROM
            LEAST(l.local + make_interval(mins => e.duration_minutes), l.local::date + p.office_closes)
            - GREATEST(l.local, l.local::date + p.office_opens)) / 60)
        ELSE 0 END AS office
) o
WHERE e.coach_id = ANY(%s) AND e.entered_in_error_at IS NULL AND e.occurred_at >= %s AND e.occurred_at < %s
GROUP BY e.coach_id
"""


@dataclass(frozen=True)
class OutsideHours:
    weekend_minutes: int = 0
    after_hours_minutes: int = 0

    @property
    def weekend_hours(self) -> float:
        return round(self.weekend_minutes / 60, 1)

    @property
    def after_hours(self) -> float:
        return round(self.after_hours_minutes / 60, 1)


def outside_hours(coaches: list[User], now: datetime.datetime) -> dict[int, OutsideHours]:
    """Each coach's weekend and after-hours minutes over the four weeks before `now` (a coach with none: zero)."""
    ids = [coach.pk for coach in coaches]
    found: dict[int, OutsideHours] = dict.fromkeys(ids, OutsideHours())
    if not ids:
        return found
    with connection.cursor() as cursor:
        cursor.execute(QUERY, [ids, now - datetime.timedelta(weeks=WEEKS), now])
        for coach_id, weekend, after in cursor.fetchall():
            found[coach_id] = OutsideHours(round(weekend), round(after))
    return found
