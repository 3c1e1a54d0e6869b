"""CSV downloads that a spreadsheet opens as plain text, never as formulas."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

# OWASP's guidance on CSV injection: a cell starting with one of these is read as a formula by Excel,
# LibreOffice or Google Sheets (`=HYPERLINK(...)` in a patient's name would become a live link).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_cell(value: Any) -> str:
    """The value as text, with a leading ' when a spreadsheet would otherwise take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class PlainCsvWriter:
    """A csv.writer whose every cell goes through plain_cell: the only way the app writes a CSV."""

    def __init__(self, response: HttpResponse) -> None:
        self._writer = csv.writer(response)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([plain_cell(value) for value in row])


def csv_download(filename: str, header: Iterable[str]) -> tuple[HttpResponse, PlainCsvWriter]:
    """A CSV attachment with its header row written, and the writer for the rest."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    writer = PlainCsvWriter(response)
    writer.writerow(header)
    return response, writer
