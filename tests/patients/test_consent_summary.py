"""Her coach sees on the woman's page what the woman has agreed may be shared, with whom and until when, so that at
court or the Family Resource Center she knows what she may say; never the disclosures, nor the signed form."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import ConsentScope
from recovery_program.audit import Actor
from referrals.services import disclosure_record
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db


def _page(client, patient) -> str:
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))  # as she reads it


def test_her_coach_sees_with_whom_what_and_until_when(client_for, coach, patient):
    ConsentFactory(
        patient=patient,
        recipient="Harbor Family Resource Center",
        information_scope="That she attends the program",
        expires_on=datetime.date(2030, 6, 30),
    )
    ConsentFactory(patient=patient, scope=ConsentScope.TPO, recipient="Her treating providers and plans")
    page = _page(client_for(coach), patient)
    assert "What she has agreed we may share" in page
    assert "With Harbor Family Resource Center" in page
    assert "What: That she attends the program" in page
    assert "Until: on Jun 30, 2030" in page
    assert "Her treating providers and plans (for her treatment, payment and health care operations)" in page


def test_what_she_no_longer_agrees_to_is_not_in_the_summary(client_for, coach, patient):
    today = timezone.localdate()
    ConsentFactory(patient=patient, recipient="Revoked Clinic", revoked_on=today)
    ConsentFactory(
        patient=patient,
        recipient="Expired Court",
        signed_on=today - datetime.timedelta(days=90),
        expires_on=today - datetime.timedelta(days=1),
    )
    page = _page(client_for(coach), patient)
    assert "Revoked Clinic" not in page
    assert "Expired Court" not in page
    assert "She has not agreed to share anything with anyone outside the program right now." in page


def test_the_summary_shows_no_disclosure(client_for, coach, supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    disclosure_record(
        actor=Actor(supervisor, None),
        patient=patient,
        fields={
            "disclosed_on": timezone.localdate(),
            "recipient": consent.recipient,
            "information": "DISCLOSED-WORDS her attendance",
            "purpose": "Parenting class enrollment",
            "legal_basis": "consent",
            "consent": consent,
        },
    )
    page = _page(client_for(coach), patient)
    assert "DISCLOSED-WORDS" not in page
    assert reverse("referrals:accounting", args=[patient.pk]) not in page


def test_another_coach_sees_no_summary_of_a_woman_not_hers(client_for, other_coach, patient):
    ConsentFactory(patient=patient)
    assert client_for(other_coach).get(reverse("patients:detail", args=[patient.pk])).status_code == 404


def test_supervisors_see_the_consents_themselves_rather_than_the_summary(client_for, supervisor, patient):
    ConsentFactory(patient=patient)
    page = _page(client_for(supervisor), patient)
    assert "Consents to share her information" in page
    assert "What she has agreed we may share" not in page
