"""What supervisors recorded about a patient shows on her page (a patients page, which does not import referrals)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import record_cps_report, record_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(supervisor, patient):
    record_referral(supervisor, patient)
    record_cps_report(supervisor, patient)


def _patient_page(client, patient) -> str:
    return client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_the_supervisor_sees_how_much_is_recorded_about_her(client_for, supervisor, patient, recorded):
    page = _patient_page(client_for(supervisor), patient)
    assert "1 referral · 1 CPS report · 0 conversations with her recorded" in page
    assert reverse("referrals:patient_actions", args=[patient.pk]) in page


def test_her_coach_sees_none_of_it(client_for, coach, patient, recorded):
    assert "Clinical actions" not in _patient_page(client_for(coach), patient)
