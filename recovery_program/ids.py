"""Row ids read from a query string or a posted field: garbage there is a 404 or ignored, never a 500."""

from __future__ import annotations

from django.http import Http404

# Every table's id is a PostgreSQL bigint.
LARGEST_ID = 2**63 - 1


def id_or_none(value: object) -> int | None:
    """The value as a row id (a whole number, written in ASCII digits, that a bigint column can hold), or None
    for anything else: nothing, text, a sign, a space, a NUL byte, other scripts' digits, a huge number."""
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_ID else None


def id_or_404(value: object) -> int:
    """The value as a row id; a 404 for anything else, as if there were no such row."""
    number = id_or_none(value)
    if number is None:
        raise Http404
    return number
