"""Pages of a long list that cost the same at the ten-thousandth row as at the first.

Numbered pages (Django's Paginator) count every row and skip `OFFSET` rows to reach a page: on a program's years of
encounters, the deep pages read hundreds of megabytes. A keyset page instead starts after the last row shown,
through the list's index, and says only whether there are newer and older rows. The list is newest first, by a
moment and then the id (which breaks ties); the links carry the edge row's moment and id as `?older=`/`?newer=`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

SEPARATOR = "_"


@dataclass(frozen=True)
class KeysetPage:
    object_list: Sequence[Any]
    newer: str  # the query string of the page of newer rows, or "" on the first page
    older: str  # the query string of the page of older rows, or "" on the last

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def _token(row, field: str) -> str:
    return f"{getattr(row, field).isoformat()}{SEPARATOR}{row.pk}"


def _parse(token: str | None) -> tuple[datetime.datetime, int] | None:
    """The moment and id a link carries; anything else (edited by hand, cut short) is no position: the first page."""
    if not token or SEPARATOR not in token:
        return None
    moment, _, pk = token.rpartition(SEPARATOR)
    try:
        when = parse_datetime(moment)
        number = int(pk)
    except (ValueError, TypeError):
        return None
    if when is None or when.tzinfo is None or not 0 < number < 2**63:
        return None
    return when, number


def keyset_page(
    queryset: QuerySet, params, *, field: str, size: int = 25, keep: dict[str, str] | None = None
) -> KeysetPage:
    """The page of `queryset` (newest `field` first) that `params` (request.GET) ask for.

    `keep`: the list's own filters, carried on the links to the pages before and after."""
    keep = {name: value for name, value in (keep or {}).items() if value}
    newest_first = queryset.order_by(f"-{field}", "-pk")
    older_than, newer_than = _parse(params.get("older")), _parse(params.get("newer"))
    if newer_than is not None:
        when, pk = newer_than
        # The redundant bound on the moment lets the index on it narrow the scan.
        rows = list(
            queryset.filter(
                Q(**{f"{field}__gt": when}) | Q(**{field: when, "pk__gt": pk}), **{f"{field}__gte": when}
            ).order_by(field, "pk")[: size + 1]
        )
        has_newer, rows = len(rows) > size, rows[:size]
        rows.reverse()
        has_older = True
    else:
        if older_than is not None:
            when, pk = older_than
            newest_first = newest_first.filter(
                Q(**{f"{field}__lt": when}) | Q(**{field: when, "pk__lt": pk}), **{f"{field}__lte": when}
            )
        rows = list(newest_first[: size + 1])
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = older_than is not None
    if not rows:
        # Past either end (the rows were removed from view since): the page a list starts on.
        if older_than is None and newer_than is None:
            return KeysetPage([], "", "")
        return keyset_page(queryset, {}, field=field, size=size, keep=keep)
    return KeysetPage(
        rows,
        newer=urlencode(keep | {"newer": _token(rows[0], field)}) if has_newer else "",
        older=urlencode(keep | {"older": _token(rows[-1], field)}) if has_older else "",
    )
