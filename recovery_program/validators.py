"""Checks every app shares."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

# A typed time may run a little ahead of the server's clock: a phone's clock, or the minute she is typing in.
FUTURE_GRACE = datetime.timedelta(minutes=10)

When = TypeVar("When", datetime.date, datetime.datetime, None)


def not_in_future(value: When, what: str = "date", *, message: str | Promise | None = None) -> When:
    """Refuses a date after today, or a moment more than a few minutes from now, and returns the value.

    "Today" is the date in the active time zone: the program's, for its people's requests.
    """
    if value is None:
        return value
    if isinstance(value, datetime.datetime):
        too_late = value > timezone.now() + FUTURE_GRACE
    else:
        too_late = value > timezone.localdate()
    if too_late:
        # `what` is given in English by most callers: read through the catalogue, it is her language when marked.
        message = message or _("The %(what)s cannot be in the future.") % {"what": _(str(what))}
        raise ValidationError(message, code="future")
    return value
