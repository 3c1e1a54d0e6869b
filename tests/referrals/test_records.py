"""Recording referrals, reports and what the patient was told: consent, status, bad input, disclosures."""

from __future__ import annotations

import datetime

import pghistory.models
import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import Disclosure, LegalBasis, Referral, ReferralStatus
from tests.factories import ConsentFactory, record_cps_report, record_referral, share_concern

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _typed(moment: datetime.datetime) -> dict:
    """The date and time fields as she would type that moment, in her own zone."""
    local = timezone.localtime(moment)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


def _referral_data(supervisor, **overrides):
    data = {
        "care_type": "residential",
        "receiving_provider": "Granite House Residential",
        "decided_by": supervisor.pk,
        "made_by": supervisor.pk,
        "referred_on": TODAY().isoformat(),
        "status": "sent",
        "outcome": "",
    }
    return data | overrides


def _post_referral(client, patient, data):
    return client.post(reverse("referrals:referral_new", args=[patient.pk]), data)


def test_a_referral_that_sends_nothing_needs_no_consent(client_for, supervisor, patient):
    response = _post_referral(client_for(supervisor), patient, _referral_data(supervisor))
    referral = Referral.objects.get()
    assert response.url == reverse("referrals:referral_detail", args=[referral.pk])
    assert not Disclosure.objects.exists()
    assert referral.status_changes.get().status == ReferralStatus.SENT


def test_sending_information_on_a_consent_that_covers_the_provider_records_the_disclosure(
    client_for, supervisor, patient
):
    consent = ConsentFactory(patient=patient, recipient="Granite House Residential")
    data = _referral_data(
        supervisor,
        sends_information="on",
        information="Treatment history",
        purpose="Admission",
        legal_basis="consent",
        consent=consent.pk,
    )
    _post_referral(client_for(supervisor), patient, data)
    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient, disclosure.legal_basis, disclosure.consent) == (
        "Granite House Residential",
        LegalBasis.CONSENT,
        consent,
    )


def test_with_no_current_consent_the_form_says_so_plainly_and_sends_nothing(client_for, supervisor, patient):
    ConsentFactory(patient=patient, recipient="Granite House Residential", revoked_on=TODAY())
    client = client_for(supervisor)
    page = client.get(reverse("referrals:referral_new", args=[patient.pk])).content.decode()
    assert "She has no current consent to share her information with anyone" in page
    data = _referral_data(
        supervisor,
        sends_information="on",
        information="History",
        purpose="Admission",
        legal_basis="consent",
        outcome="Keep this text",
    )
    response = _post_referral(client, patient, data)
    assert "Nothing may be sent without one" in response.content.decode()
    assert "Keep this text" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_consent_for_another_recipient_does_not_cover_this_provider(client_for, supervisor, patient):
    other = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    data = _referral_data(
        supervisor,
        sends_information="on",
        information="History",
        purpose="Admission",
        legal_basis="consent",
        consent=other.pk,
    )
    response = _post_referral(client_for(supervisor), patient, data)
    assert "This consent covers Harbor Family Resource Center, not Granite House Residential" in (
        response.content.decode()
    )
    assert not Disclosure.objects.exists()


def test_a_medical_emergency_is_recorded_with_its_reason(client_for, supervisor, patient):
    data = _referral_data(
        supervisor,
        care_type="withdrawal",
        sends_information="on",
        information="Overdose history",
        purpose="Emergency admission",
        legal_basis="emergency",
        recipient_person="Dr. Rowe, ED",
        emergency_nature="Unresponsive after an overdose",
    )
    _post_referral(client_for(supervisor), patient, data)
    disclosure = Disclosure.objects.get()
    assert disclosure.legal_basis == LegalBasis.EMERGENCY
    assert disclosure.emergency_nature == "Unresponsive after an overdose"
    assert disclosure.recipient_person == "Dr. Rowe, ED"


def test_an_emergency_without_its_nature_is_refused(client_for, supervisor, patient):
    data = _referral_data(supervisor, sends_information="on", information="x", purpose="y", legal_basis="emergency")
    response = _post_referral(client_for(supervisor), patient, data)
    assert "Describe the medical emergency" in response.content.decode()
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"referred_on": "2999-01-01"}, "cannot be in the future"),
        ({"receiving_provider": ""}, "Fill in “Receiving provider”"),
        ({"status": "completed"}, "That choice for “Status” is no longer offered"),
        ({"made_by": "999999"}, "Choose a supervisor of your program"),
    ],
)
def test_bad_input_is_explained_with_everything_kept(client_for, supervisor, patient, overrides, message):
    response = _post_referral(client_for(supervisor), patient, _referral_data(supervisor, outcome="Typed", **overrides))
    assert message in response.content.decode()
    assert "Typed" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_coach_cannot_be_named_as_the_one_who_made_it(client_for, supervisor, coach, patient):
    response = _post_referral(client_for(supervisor), patient, _referral_data(supervisor, made_by=coach.pk))
    assert "Choose a supervisor of your program" in response.content.decode()


def test_status_moves_forward_only(client_for, supervisor, patient):
    referral = record_referral(supervisor, patient, status="sent")
    client = client_for(supervisor)
    url = reverse("referrals:referral_status", args=[referral.pk])
    client.post(url, {"status": "accepted", "changed_on": TODAY().isoformat()})
    client.post(url, {"status": "completed", "changed_on": TODAY().isoformat()})
    response = client.post(url, {"status": "planned", "changed_on": TODAY().isoformat()})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED
    assert response.status_code == 200
    assert [c.status for c in referral.status_changes.all()] == ["sent", "accepted", "completed"]


def test_a_status_change_dated_before_the_last_one_is_refused(client_for, supervisor, patient):
    referral = record_referral(supervisor, patient, status="sent")
    response = client_for(supervisor).post(
        reverse("referrals:referral_status", args=[referral.pk]),
        {"status": "accepted", "changed_on": (TODAY() - datetime.timedelta(days=3)).isoformat()},
    )
    assert "pick that day or later" in response.content.decode()


def test_a_cps_report_needs_no_consent_and_enters_the_accounting(client_for, supervisor, patient):
    concern = share_concern(patient.assignments.get().coach, patient, category="child_safety")
    client = client_for(supervisor)
    page = client.get(reverse("referrals:cps_report_new", args=[patient.pk]) + f"?concern={concern.pk}")
    assert "needs no consent" in page.content.decode()
    response = client.post(
        reverse("referrals:cps_report_new", args=[patient.pk]),
        {
            "concerns": [concern.pk],
            **_typed(timezone.now() - datetime.timedelta(hours=1)),
            "agency": "DCYF",
            "made_by": supervisor.pk,
            "reference_number": "A-1",
            "what_was_reported": "Infant alone",
            "follow_up": "",
        },
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.legal_basis == LegalBasis.MANDATED_REPORT
    accounting = client.get(reverse("referrals:accounting", args=[patient.pk])).content.decode()
    assert "Mandated report of child abuse or neglect" in accounting
    assert "DCYF" in accounting


def test_a_report_dated_in_the_future_is_refused(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("referrals:cps_report_new", args=[patient.pk]),
        {
            "date": "2999-01-01",
            "time": "09:30",
            "agency": "DCYF",
            "made_by": supervisor.pk,
            "what_was_reported": "Kept words",
        },
    )
    assert "cannot be in the future" in response.content.decode()
    assert "Kept words" in response.content.decode()


def test_the_accounting_covers_three_years(client_for, supervisor, patient):
    record_cps_report(supervisor, patient, agency="Recent agency")
    record_cps_report(supervisor, patient, agency="Old agency", made_at=timezone.now() - datetime.timedelta(days=1200))
    page = client_for(supervisor).get(reverse("referrals:accounting", args=[patient.pk])).content.decode()
    assert "Recent agency" in page
    assert "Old agency" not in page


def test_the_referral_summary_carries_the_redisclosure_notice_and_the_consents_scope(client_for, supervisor, patient):
    consent = ConsentFactory(
        patient=patient, recipient="Granite House Residential", information_scope="Attendance and MOUD dose only"
    )
    referral = record_referral(
        supervisor,
        patient,
        disclosure={"information": "Attendance", "purpose": "Admission", "legal_basis": "consent", "consent": consent},
    )
    page = client_for(supervisor).get(reverse("referrals:referral_summary", args=[referral.pk])).content.decode()
    assert "42 CFR part 2" in page
    assert "prohibit you from making any other use or disclosure of this record" in page
    assert "Attendance and MOUD dose only" in page


def test_a_correction_keeps_the_earlier_version(client_for, supervisor, patient):
    referral = record_referral(supervisor, patient, outcome="First outcome")
    data = _referral_data(supervisor, outcome="Corrected outcome")
    del data["status"]
    data["version"] = referral.version
    client_for(supervisor).post(reverse("referrals:referral_edit", args=[referral.pk]), data)
    referral.refresh_from_db()
    assert referral.outcome == "Corrected outcome"
    outcomes = pghistory.models.Events.objects.tracks(referral).values_list("pgh_data__outcome", flat=True)
    assert "First outcome" in list(outcomes)


def test_correcting_a_cps_report_corrects_its_line_in_the_accounting(client_for, supervisor, patient):
    report = record_cps_report(supervisor, patient, agency="Wrong agency")
    client = client_for(supervisor)
    client.post(
        reverse("referrals:cps_report_edit", args=[report.pk]),
        {
            **_typed(report.made_at),
            "agency": "DCYF Concord",
            "made_by": supervisor.pk,
            "reference_number": "A-2",
            "what_was_reported": "Corrected words",
            "follow_up": "",
            "version": report.version,
        },
    )
    disclosure = Disclosure.objects.get(cps_report=report)
    assert (disclosure.recipient, disclosure.information) == ("DCYF Concord", "Corrected words")
    events = pghistory.models.Events.objects.tracks(disclosure).values_list("pgh_data__recipient", flat=True)
    assert "Wrong agency" in list(events)
