"""Every printed disclosure carries the 42 CFR 2.32 notice in the 2024 rule's words (in force since February 16,
2026), abbreviated at its head, with the consent's scope or, without a consent, the legal basis."""

from __future__ import annotations

import datetime
import html
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import ExpiryEvent
from recovery_program.audit import Actor
from referrals.models import REDISCLOSURE_NOTICE, REDISCLOSURE_NOTICE_SHORT, LegalBasis
from referrals.services import disclosure_record
from staff.services import language_set
from tests.factories import ConsentFactory, record_cps_report, record_referral

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 4, 2, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()

# Words of the 2024 statement that the 2018 one did not have, and words only the 2018 one had.
NEW_WORDS = [
    "These rules prohibit you from using or disclosing this record, or testimony that describes the information",
    "as authorized by a court in accordance with 42 CFR 2.64 or 2.65",
    "You are a covered entity or business associate and have received the record for treatment, payment, or "
    "health care operations",
    "as permitted by 45 CFR part 164, subparts A and E",
    "NOT sufficient to meet the required elements of written consent to further use or redisclose the record",
]
OLD_WORDS = "prohibit you from making any further disclosure"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def consent(patient):
    return ConsentFactory(
        patient=patient,
        recipient="Granite House Residential",
        purpose="Coordinate her admission",
        information_scope="Attendance and MOUD dose only",
        signed_on=datetime.date(2026, 3, 1),
        expires_on=datetime.date(2026, 12, 31),
        expiry_event=ExpiryEvent.DISCHARGE,
    )


def _page(client, name, pk) -> str:
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _assert_notice(page: str):
    assert REDISCLOSURE_NOTICE in page
    assert REDISCLOSURE_NOTICE_SHORT in page
    assert page.index(REDISCLOSURE_NOTICE_SHORT) < page.index("<h2")  # at the head, before anything disclosed
    assert OLD_WORDS not in page


def test_the_notice_is_the_2024_statement_and_its_abbreviation():
    for words in NEW_WORDS:
        assert words in REDISCLOSURE_NOTICE
    assert REDISCLOSURE_NOTICE.startswith(
        "This record which has been disclosed to you is protected by Federal confidentiality rules (42 CFR part 2)."
    )
    assert REDISCLOSURE_NOTICE_SHORT == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def test_the_referral_summary_on_consent_carries_the_notice_and_the_consents_scope(
    client_for, supervisor, patient, consent
):
    referral = record_referral(
        supervisor,
        patient,
        disclosure={"information": "Attendance", "purpose": "Admission", "legal_basis": "consent", "consent": consent},
    )
    page = _page(client_for(supervisor), "referrals:referral_summary", referral.pk)
    _assert_notice(page)
    assert (
        "Disclosed on her written consent signed Mar 1, 2026, to Granite House Residential, for: Coordinate her "
        "admission. It allows sharing: Attendance and MOUD dose only. It ends on Dec 31, 2026, or at her discharge "
        "from the program (whichever comes first)."
    ) in page


def test_the_referral_summary_in_an_emergency_carries_the_notice_and_its_legal_basis(client_for, supervisor, patient):
    referral = record_referral(
        supervisor,
        patient,
        receiving_provider="Concord Hospital ED",
        disclosure={
            "information": "Medications",
            "purpose": "Emergency treatment",
            "legal_basis": "emergency",
            "emergency_nature": "Unresponsive after an overdose",
            "recipient_person": "Dr. Rowe",
        },
    )
    page = _page(client_for(supervisor), "referrals:referral_summary", referral.pk)
    _assert_notice(page)
    assert (
        "Disclosed without her consent in a medical emergency (42 CFR 2.51): Unresponsive after an overdose. "
        "Received by Dr. Rowe."
    ) in page


def test_the_accounting_carries_the_notice_and_each_disclosures_basis(client_for, supervisor, patient, consent):
    actor = Actor(supervisor, None)
    common = {"disclosed_on": TODAY, "information": "Attendance", "purpose": "Admission"}
    disclosure_record(
        actor=actor,
        patient=patient,
        fields=common | {"recipient": consent.recipient, "legal_basis": LegalBasis.CONSENT, "consent": consent},
    )
    disclosure_record(
        actor=actor,
        patient=patient,
        fields=common
        | {
            "recipient": "Concord Hospital ED",
            "legal_basis": LegalBasis.EMERGENCY,
            "emergency_nature": "Seizure",
            "recipient_person": "Dr. Rowe",
        },
    )
    record_cps_report(supervisor, patient, agency="DCYF")
    page = _page(client_for(supervisor), "referrals:accounting", patient.pk)
    _assert_notice(page)
    assert "It allows sharing: Attendance and MOUD dose only." in page
    assert "in a medical emergency (42 CFR 2.51): Seizure. Received by Dr. Rowe." in page
    assert "a report of suspected child abuse or neglect that state law requires (42 CFR 2.12(c)(6))" in page


def test_the_accounting_with_no_disclosures_still_carries_the_notice(client_for, supervisor, patient):
    _assert_notice(_page(client_for(supervisor), "referrals:accounting", patient.pk))


def test_the_accounting_costs_the_same_queries_with_one_disclosure_or_many(client_for, supervisor, patient):
    client = client_for(supervisor)
    url = reverse("referrals:accounting", args=[patient.pk])
    client.get(url)  # the first request after logging in settles the session
    counts = []
    for size in (1, 5):
        while patient.consents.count() < size:
            consent = ConsentFactory(patient=patient, recipient=f"Clinic {patient.consents.count()}")
            disclosure_record(
                actor=Actor(supervisor, None),
                patient=patient,
                fields={
                    "disclosed_on": TODAY,
                    "recipient": consent.recipient,
                    "information": "Attendance",
                    "purpose": "Care",
                    "legal_basis": LegalBasis.CONSENT,
                    "consent": consent,
                },
            )
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("name", ["referrals:referral_summary", "referrals:accounting"])
def test_a_spanish_reader_prints_the_notice_in_spanish_and_in_the_rules_own_english(
    client_for, supervisor, patient, consent, name
):
    """The rule's words are English; whoever gets the page in Spanish (the woman asking for her accounting) reads
    it in Spanish first, and the English follows, whole."""
    referral = record_referral(
        supervisor,
        patient,
        disclosure={"information": "Attendance", "purpose": "Admission", "legal_basis": "consent", "consent": consent},
    )
    language_set(user=supervisor, code="es")
    pk = referral.pk if name == "referrals:referral_summary" else patient.pk

    page = _page(client_for(supervisor), name, pk)

    _assert_notice(page)
    spanish = "Este expediente que se le ha divulgado está protegido por las normas federales de confidencialidad"
    assert spanish in page
    assert page.index(spanish) < page.index(REDISCLOSURE_NOTICE)
    assert "42 CFR parte 2 prohíbe el uso o la divulgación no autorizados de estos expedientes." in page
    assert f'<p class="notice-text" lang="en">{REDISCLOSURE_NOTICE}</p>' in page


def test_an_english_reader_reads_the_notice_once(client_for, supervisor, patient):
    page = _page(client_for(supervisor), "referrals:accounting", patient.pk)

    assert page.count(REDISCLOSURE_NOTICE) == 1
    assert "As the federal rule words it:" not in page
