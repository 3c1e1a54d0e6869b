"""A CSV download opens in a spreadsheet as plain text: nothing in it runs as a formula."""

from __future__ import annotations

import pytest

from recovery_program.spreadsheet import plain_cell


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_a_cell_that_would_run_as_a_formula_is_kept_as_text(typed):
    assert plain_cell(typed) == "'" + typed


@pytest.mark.parametrize(("value", "written"), [("Rosalind Avery", "Rosalind Avery"), (None, ""), (3, "3")])
def test_ordinary_values_are_written_as_they_are(value, written):
    assert plain_cell(value) == written
