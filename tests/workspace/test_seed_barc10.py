"""The demo has BARC-10s: several women with two to four, showing change, and others due."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from coaching.models import Barc10

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_several_women_two_to_four_barc10s_once():
    call_command("seed_demo")
    taken = dict(Barc10.objects.values_list("patient").annotate(n=Count("pk")).values_list("patient", "n"))
    assert sum(1 for n in taken.values() if 2 <= n <= 4) >= 3, taken
    assert max(taken.values()) <= 4
    for patient in taken:
        totals = list(Barc10.objects.filter(patient=patient).order_by("taken_on").values_list("total", flat=True))
        assert len(totals) == 1 or totals[0] != totals[-1]
    rows = Barc10.objects.count()

    call_command("seed_demo")

    assert Barc10.objects.count() == rows
