"""The 42 CFR Part 2 rule for every disclosure: a current consent of hers that covers the recipient, a medical
emergency with what it was and who received her information, or a mandated report. The services refuse anything
else, whoever calls them; the database refuses another patient's consent and an emergency without its fields."""

from __future__ import annotations

import datetime
import html
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from patients.models import ExpiryEvent
from recovery_program.audit import Actor
from referrals import services
from referrals.models import Disclosure, LegalBasis, Referral
from tests.factories import ConsentFactory, record_cps_report, record_referral

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 14, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)
OBSTETRICS = "Granite Valley Obstetrics"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _disclose(supervisor, patient, **fields):
    defaults = {
        "disclosed_on": TODAY,
        "recipient": OBSTETRICS,
        "information": "Attendance this month",
        "purpose": "Prenatal care",
        "legal_basis": LegalBasis.CONSENT,
    }
    return services.disclosure_record(actor=Actor(supervisor, None), patient=patient, fields=defaults | fields)


def _refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.message_dict


# The rule, on the model


@pytest.mark.parametrize(
    ("typed", "covered"),
    [
        (OBSTETRICS, True),
        ("granite valley obstetrics", True),
        ("  Granite   Valley\tObstetrics ", True),
        ("Granite Valley", False),
        ("Granite Valley Obstetrics Clinic", False),
        ("Harbor Family Resource Center", False),
    ],
)
def test_a_consent_covers_the_recipient_it_names_whatever_the_case_and_spacing(patient, typed, covered):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS)
    assert consent.covers(typed, TODAY) is covered


@pytest.mark.parametrize(
    ("fields", "current"),
    [
        ({}, True),
        ({"expires_on": TODAY}, True),
        ({"expires_on": TODAY - DAY}, False),
        ({"revoked_on": TODAY}, False),
        ({"revoked_on": TODAY + DAY}, True),
        ({"signed_on": TODAY + DAY}, False),
        ({"expires_on": None, "expiry_event": ExpiryEvent.DISCHARGE}, True),
        ({"expires_on": None, "expiry_event": ExpiryEvent.DISCHARGE, "ended_on": TODAY}, False),
        ({"expires_on": None, "expiry_event": ExpiryEvent.DISCHARGE, "ended_on": TODAY + DAY}, True),
    ],
)
def test_the_model_and_the_consent_lists_agree_on_which_consents_are_current(patient, fields, current):
    consent = ConsentFactory(patient=patient, **fields)
    assert consent.is_current(TODAY) is current
    assert consent.covers(consent.recipient, TODAY) is current
    assert patient.consents.current(TODAY).filter(pk=consent.pk).exists() is current


# The services, called directly


def test_a_current_consent_of_hers_for_this_recipient_allows_the_disclosure(supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS)
    disclosure = _disclose(supervisor, patient, consent=consent, recipient="granite valley  obstetrics")
    assert disclosure.consent == consent
    assert Disclosure.objects.get().patient == patient


def test_another_patients_consent_is_refused(supervisor, patient, other_patient):
    theirs = ConsentFactory(patient=other_patient, recipient=OBSTETRICS)
    errors = _refusal(lambda: _disclose(supervisor, patient, consent=theirs))
    assert errors == {"consent": ["This consent is another patient's. Choose one of hers."]}
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"expires_on": TODAY - DAY}, "This consent expired on Mar 9, 2026."),
        ({"revoked_on": TODAY - DAY}, "This consent was revoked on Mar 9, 2026."),
        ({"signed_on": TODAY + DAY}, "This consent was signed later, on Mar 11, 2026."),
        (
            {"expires_on": None, "expiry_event": ExpiryEvent.DISCHARGE, "ended_on": TODAY - DAY},
            "This consent ended at her discharge from the program on Mar 9, 2026.",
        ),
    ],
)
def test_a_consent_not_in_force_that_day_is_refused_and_says_why(supervisor, patient, fields, reason):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS, **fields)
    errors = _refusal(lambda: _disclose(supervisor, patient, consent=consent))
    assert errors["consent"][0].startswith(reason)
    assert not Disclosure.objects.exists()


def test_a_consent_is_judged_on_the_day_of_the_disclosure(supervisor, patient):
    # Revoked today: what was sent last week, while it was in force, may still be recorded.
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS, revoked_on=TODAY)
    _disclose(supervisor, patient, consent=consent, disclosed_on=TODAY - 7 * DAY)
    assert Disclosure.objects.count() == 1


def test_a_consent_for_another_recipient_is_refused(supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    errors = _refusal(lambda: _disclose(supervisor, patient, consent=consent))
    assert errors["consent"][0].startswith(f"This consent covers Harbor Family Resource Center, not {OBSTETRICS}.")
    assert not Disclosure.objects.exists()


def test_on_consent_with_none_named_she_is_told_whether_she_has_one(supervisor, patient):
    errors = _refusal(lambda: _disclose(supervisor, patient, consent=None))
    assert list(errors) == ["legal_basis"]
    assert "She has no current consent to share her information" in errors["legal_basis"][0]
    ConsentFactory(patient=patient, recipient=OBSTETRICS)
    assert _refusal(lambda: _disclose(supervisor, patient, consent=None)) == {
        "consent": ["Choose the consent that covers this recipient."]
    }


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        ({"recipient_person": "Dr. Rowe, ED"}, {"emergency_nature"}),
        ({"emergency_nature": "Unresponsive after an overdose"}, {"recipient_person"}),
        ({"emergency_nature": "   ", "recipient_person": " "}, {"emergency_nature", "recipient_person"}),
    ],
)
def test_an_emergency_without_what_it_was_or_who_received_it_is_refused(supervisor, patient, fields, missing):
    errors = _refusal(lambda: _disclose(supervisor, patient, legal_basis=LegalBasis.EMERGENCY, **fields))
    assert set(errors) == missing
    assert not Disclosure.objects.exists()


def test_an_emergency_with_its_fields_needs_no_consent(supervisor, patient):
    disclosure = _disclose(
        supervisor,
        patient,
        legal_basis=LegalBasis.EMERGENCY,
        emergency_nature="Unresponsive after an overdose",
        recipient_person="Dr. Rowe, ED",
    )
    assert disclosure.consent is None


def test_a_mandated_report_is_recorded_only_as_a_cps_report(supervisor, patient):
    errors = _refusal(lambda: _disclose(supervisor, patient, legal_basis=LegalBasis.MANDATED_REPORT))
    assert errors == {"legal_basis": ["A mandated report is recorded as a CPS report."]}
    report = record_cps_report(supervisor, patient, agency="DCYF")
    assert Disclosure.objects.get().cps_report == report


def test_a_referral_sending_her_information_on_another_patients_consent_is_not_recorded_at_all(
    supervisor, patient, other_patient
):
    theirs = ConsentFactory(patient=other_patient, recipient="Granite House Residential")
    disclosure = {"information": "History", "purpose": "Admission", "legal_basis": "consent", "consent": theirs}
    errors = _refusal(lambda: record_referral(supervisor, patient, disclosure=disclosure))
    assert list(errors) == ["consent"]
    assert not Referral.objects.exists()
    assert not Disclosure.objects.exists()


def test_a_referral_in_an_emergency_without_who_received_it_is_not_recorded(supervisor, patient):
    disclosure = {"information": "History", "purpose": "Admission", "legal_basis": "emergency", "emergency_nature": "x"}
    errors = _refusal(lambda: record_referral(supervisor, patient, disclosure=disclosure))
    assert list(errors) == ["recipient_person"]
    assert not Referral.objects.exists()


def test_correcting_a_cps_report_corrects_its_disclosure_through_the_rule(supervisor, patient, monkeypatch):
    report = record_cps_report(supervisor, patient, agency="Wrong agency")
    checked = []
    original = Disclosure.check_legal_basis
    monkeypatch.setattr(Disclosure, "check_legal_basis", lambda self: checked.append(self.recipient) or original(self))
    services.record_update(actor=Actor(supervisor, None), record=report, fields={"agency": "DCYF Concord"})
    assert checked == ["DCYF Concord"]
    assert Disclosure.objects.get().recipient == "DCYF Concord"


# The database, for whatever does not go through the services


def _insert(patient, supervisor, **fields):
    with transaction.atomic():
        return Disclosure.objects.create(
            program_id=patient.program_id,
            patient=patient,
            disclosed_by=supervisor,
            disclosed_on=TODAY,
            recipient=OBSTETRICS,
            information="x",
            purpose="y",
            **fields,
        )


def test_the_database_refuses_a_disclosure_on_another_patients_consent(supervisor, patient, other_patient):
    theirs = ConsentFactory(patient=other_patient, recipient=OBSTETRICS)
    with pytest.raises(IntegrityError, match="disclosure_consent_is_the_patients"):
        _insert(patient, supervisor, legal_basis=LegalBasis.CONSENT, consent=theirs)
    with (
        pytest.raises(IntegrityError, match="disclosure_consent_is_the_patients"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO referrals_disclosure (program_id, patient_id, created_at, updated_at, disclosed_on,"
            " recipient, recipient_person, information, purpose, legal_basis, emergency_nature,"
            " disclosed_by_id, consent_id)"
            " VALUES (%s, %s, now(), now(), %s, 'X', '', 'x', 'y', 'consent', '', %s, %s)",
            [patient.program_id, patient.pk, TODAY, supervisor.pk, theirs.pk],
        )
    assert not Disclosure.objects.exists()


def test_the_database_refuses_moving_a_disclosed_consent_to_another_patient(supervisor, patient, other_patient):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS)
    _insert(patient, supervisor, legal_basis=LegalBasis.CONSENT, consent=consent)
    with pytest.raises(IntegrityError, match="disclosure_consent_is_the_patients"), transaction.atomic():
        type(consent).objects.filter(pk=consent.pk).update(patient=other_patient)


@pytest.mark.parametrize(
    "fields",
    [
        {"emergency_nature": "Overdose", "recipient_person": ""},
        {"emergency_nature": "  ", "recipient_person": "Dr. Rowe"},
    ],
)
def test_the_database_refuses_an_emergency_disclosure_without_its_fields(supervisor, patient, fields):
    with pytest.raises(IntegrityError, match="disclosure_in_emergency_says_why_and_who"):
        _insert(patient, supervisor, legal_basis=LegalBasis.EMERGENCY, **fields)


# The standalone disclosure page


def _error_next_to(page: str, field: str) -> str:
    """The messages in the error list the field's input points to (aria-describedby), as a person reads them."""
    assert f'aria-describedby="id_{field}_error"' in page
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def _post_disclosure(client, patient, **overrides):
    data = {
        "disclosed_on": TODAY.isoformat(),
        "recipient": OBSTETRICS,
        "information": "Typed: attendance in February",
        "purpose": "Typed: coordinate her prenatal care",
        "legal_basis": "consent",
        "consent": "",
        "recipient_person": "Typed: Nurse Ada Cole",
        "emergency_nature": "",
    }
    return client.post(reverse("referrals:disclosure_new", args=[patient.pk]), data | overrides)


def _assert_all_kept(page: str, *typed: str):
    page = html.unescape(page)
    for words in ("Typed: attendance in February", "Typed: coordinate her prenatal care", *typed):
        assert words in page


def test_the_form_shows_a_consent_for_another_recipient_next_to_the_consent_and_stores_nothing(
    client_for, supervisor, patient
):
    other = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    response = _post_disclosure(client_for(supervisor), patient, consent=other.pk)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"This consent covers Harbor Family Resource Center, not {OBSTETRICS}." in _error_next_to(page, "consent")
    assert f'<option value="{other.pk}" selected>' in page
    _assert_all_kept(page, "Typed: Nurse Ada Cole")
    assert not Disclosure.objects.exists()


def test_the_form_says_next_to_the_basis_that_she_has_no_current_consent(client_for, supervisor, patient):
    ConsentFactory(patient=patient, recipient=OBSTETRICS, expires_on=TODAY - DAY, signed_on=TODAY - 90 * DAY)
    page = _post_disclosure(client_for(supervisor), patient).content.decode()
    assert "She has no current consent to share her information" in _error_next_to(page, "legal_basis")
    assert '<option value="consent" selected>' in page
    _assert_all_kept(page)
    assert not Disclosure.objects.exists()


def test_the_form_does_not_offer_a_consent_that_is_not_current(client_for, supervisor, patient):
    ended = ConsentFactory(
        patient=patient, recipient=OBSTETRICS, expires_on=None, expiry_event=ExpiryEvent.DISCHARGE, ended_on=TODAY
    )
    client = client_for(supervisor)
    page = client.get(reverse("referrals:disclosure_new", args=[patient.pk])).content.decode()
    assert f'<option value="{ended.pk}"' not in page
    page = _post_disclosure(client, patient, consent=ended.pk).content.decode()
    assert "is no longer offered" in _error_next_to(page, "consent")
    assert not Disclosure.objects.exists()


def test_the_form_shows_each_missing_emergency_field_next_to_it(client_for, supervisor, patient):
    response = _post_disclosure(client_for(supervisor), patient, legal_basis="emergency", recipient_person="")
    page = response.content.decode()
    assert _error_next_to(page, "emergency_nature").strip() == "Describe the medical emergency."
    assert _error_next_to(page, "recipient_person").strip() == "Say who received her information."
    _assert_all_kept(page)
    assert not Disclosure.objects.exists()


def test_a_disclosure_on_her_consent_is_stored_and_enters_her_accounting(client_for, supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS, information_scope="Attendance only")
    client = client_for(supervisor)
    response = _post_disclosure(client, patient, consent=consent.pk, recipient="granite valley obstetrics")
    assert response.status_code == 302
    assert response.url == reverse("referrals:accounting", args=[patient.pk])
    disclosure = Disclosure.objects.get()
    assert (disclosure.consent, disclosure.disclosed_by, disclosure.recipient_person) == (
        consent,
        supervisor,
        "Typed: Nurse Ada Cole",
    )
    accounting = html.unescape(client.get(response.url).content.decode())
    assert "Typed: attendance in February" in accounting
    assert "It allows sharing: Attendance only." in accounting


def test_an_emergency_disclosure_on_the_form_is_stored_without_a_consent(client_for, supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient=OBSTETRICS)
    response = _post_disclosure(
        client_for(supervisor),
        patient,
        legal_basis="emergency",
        consent=consent.pk,
        emergency_nature="Seizure at the clinic",
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert (disclosure.legal_basis, disclosure.consent, disclosure.emergency_nature) == (
        LegalBasis.EMERGENCY,
        None,
        "Seizure at the clinic",
    )


def test_a_coach_cannot_record_a_disclosure(client_for, coach, patient):
    ConsentFactory(patient=patient, recipient=OBSTETRICS)
    response = _post_disclosure(client_for(coach), patient)
    assert response.status_code == 404
    assert not Disclosure.objects.exists()
