"""Render every page a coach can reach for the demo data, whose patients have referrals and a CPS report,
and look for any of their words."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from coaching.permissions import concerns_visible_to, encounters_visible_to
from patients.permissions import patients_visible_to
from referrals.models import CPSReport, Referral
from staff.models import User

pytestmark = pytest.mark.django_db

SECRETS = [
    "Harbor Haven",
    "Bed offered",
    "shelter bed",
    "Relieved; she accepted",
    "Division for Children",
    "DEMO-4471",
    "using while caring",
    "Caseworker visit",
    "Threat of violence at home",
    "/clinical/",
]


def _coach_pages(coach):
    yield reverse("home")
    yield reverse("patients:list")
    yield reverse("coaching:encounter_list")
    yield reverse("coaching:encounter_new")
    yield reverse("coaching:concern_list")
    yield reverse("coaching:concern_new")
    for patient in patients_visible_to(coach):
        yield reverse("patients:detail", args=[patient.pk])
        yield reverse("patients:contact", args=[patient.pk])
        yield reverse("coaching:encounter_list") + f"?patient={patient.pk}"
    for concern in concerns_visible_to(coach):
        yield reverse("coaching:concern_detail", args=[concern.pk])
    for encounter in encounters_visible_to(coach)[:10]:
        yield reverse("coaching:encounter_detail", args=[encounter.pk])
        yield reverse("coaching:encounter_addendum", args=[encounter.pk])


@pytest.mark.parametrize("username", ["coach1", "coach2"])
def test_no_coach_page_holds_any_word_of_a_referral_or_cps_report(client, username):
    call_command("seed_demo")
    assert Referral.objects.exists()
    assert CPSReport.objects.exists()
    coach = User.objects.get(username=username)
    client.force_login(coach)
    checked = 0
    for url in _coach_pages(coach):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in SECRETS:
            assert secret not in page, (url, secret)
        checked += 1
    assert checked > 15
