"""CSV and Excel downloads that a spreadsheet opens as plain text, never as formulas; long ones streamed."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse

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


class _Line:
    """What csv.writer writes to: it hands back the line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Each row as one CSV line in UTF-8, every cell through plain_cell; nothing is kept between rows."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([plain_cell(value) for value in row]).encode()


# A piece of the finished workbook sent at a time.
XLSX_CHUNK = 64 * 1024


def xlsx_chunks(rows: Iterable[Iterable[Any]], *, sheet: str) -> Iterator[bytes]:
    """An Excel workbook of one sheet, every cell written as text (never a formula, number or link).

    XlsxWriter's constant-memory mode writes each row to a temporary file as it comes; the workbook is zipped
    into another temporary file, then sent in pieces: memory stays the same whatever the number of rows.
    """
    with tempfile.TemporaryDirectory(prefix="export-") as folder, tempfile.TemporaryFile(dir=folder) as output:
        workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "tmpdir": folder,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        worksheet = workbook.add_worksheet(sheet)
        for number, row in enumerate(rows):
            for column, value in enumerate(row):
                if value is not None and value != "":
                    worksheet.write_string(number, column, str(value))
        workbook.close()
        output.seek(0)
        while chunk := output.read(XLSX_CHUNK):
            yield chunk


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def streamed_download(filename: str, file_format: str, rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A download written while it is sent, as CSV or Excel (`file_format`): rows are read as they are needed."""
    chunks = csv_lines(rows) if file_format == "csv" else xlsx_chunks(rows, sheet=filename.rsplit(".", 1)[0][:31])
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
