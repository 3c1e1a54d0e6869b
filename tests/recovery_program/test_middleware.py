"""Pages of a logged-in user are never stored by her browser or a cache on the way."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    [
        lambda patient: reverse("home"),
        lambda patient: reverse("patients:list"),
        lambda patient: reverse("patients:detail", args=[patient.pk]),
        lambda patient: reverse("patients:export"),
    ],
    ids=["home", "patient list", "patient page", "patient export"],
)
def test_a_page_with_patient_data_is_not_stored(client_for, supervisor, patient, page):
    response = client_for(supervisor).get(page(patient))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_page_she_may_not_open_is_not_stored_either(client_for, coach, other_patient):
    response = client_for(coach).get(reverse("patients:detail", args=[other_patient.pk]))
    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]
