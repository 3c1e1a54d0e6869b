"""The menu marks one item as the current page, at most."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from workspace.context_processors import current_menu_item


@pytest.mark.parametrize(
    ("url", "item"),
    [
        (reverse("home"), "home"),
        (reverse("overview"), "overview"),
        (reverse("program_figures"), "program_figures"),
        (reverse("reports"), "reports"),
        (reverse("patients:list"), "patients"),
        (reverse("patients:detail", args=[1]), "patients"),
        (reverse("coaching:encounter_new"), "encounters"),
        (reverse("coaching:encounter_detail", args=[1]), "encounters"),
        (reverse("coaching:concern_detail", args=[1]), "concerns"),
        (reverse("coaching:resources"), "resources"),
        (reverse("supervision:rota"), "rota"),
        (reverse("supervision:weeks"), "supervision"),
        (reverse("supervision:reach"), "reach"),
        (reverse("staff:compliance"), "compliance"),
        (reverse("staff:history"), "staff_history"),
        (reverse("staff:detail", args=[1]), "staff"),
        (reverse("staff:my_training"), ""),
        (reverse("password_change"), ""),
    ],
)
def test_each_page_belongs_to_one_menu_item_at_most(url, item):
    assert current_menu_item(resolve(url)) == item


def test_no_page_no_item():
    assert current_menu_item(None) == ""
