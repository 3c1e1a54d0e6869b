from __future__ import annotations

import pytest
from django.http import Http404

from recovery_program.ids import LARGEST_ID, id_or_404, id_or_none


@pytest.mark.parametrize("value", ["1", "42", str(LARGEST_ID)])
def test_a_row_id_is_read_as_a_number(value):
    assert id_or_none(value) == int(value)
    assert id_or_404(value) == int(value)


@pytest.mark.parametrize(
    "value",
    [None, "", " ", "0", "-1", "+1", " 1", "1\x00", "abc", "1.5", "\u0663", "\uff11", str(LARGEST_ID + 1), ["1"], 1],
)
def test_anything_else_is_no_id_and_a_404(value):
    assert id_or_none(value) is None
    with pytest.raises(Http404):
        id_or_404(value)
