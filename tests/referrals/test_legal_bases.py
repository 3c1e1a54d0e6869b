"""The legal bases of a disclosure beyond her consent, a medical emergency and a mandated report (42 CFR Part 2 as the
2024 rule has it): a court order (with its reference), a qualified service organization agreement (the program's,
on file, with this organization, in force that day), an audit or evaluation (who carried it out), research (the
IRB's approval), and her single consent to treatment, payment and health care operations (which of the three).
Each is accepted with what it needs and refused without it, by the service and by the database."""

from __future__ import annotations

import datetime
import html
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.models import ConsentScope
from recovery_program.audit import Actor
from referrals import services
from referrals.models import REDISCLOSURE_NOTICE, Disclosure, LegalBasis, ServiceAgreement
from tests.factories import ConsentFactory, record_referral
from tests.referrals.test_consent_rule import _insert

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 12, 11, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)
PDF = b"%PDF-1.4\n% an agreement\n"
LAB = "Seacoast Toxicology Lab"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _agreement(supervisor, **fields) -> ServiceAgreement:
    defaults = {"organization": LAB, "services": "Urine drug screens", "starts_on": TODAY - 90 * DAY, "ends_on": None}
    return services.agreement_record(
        actor=Actor(supervisor, None),
        fields=defaults | fields,
        document=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
    )


def _disclose(supervisor, patient, **fields) -> Disclosure:
    defaults = {
        "disclosed_on": TODAY,
        "recipient": "Strafford County Family Court",
        "information": "Dates she attended group",
        "purpose": "As the order requires",
    }
    return services.disclosure_record(actor=Actor(supervisor, None), patient=patient, fields=defaults | fields)


def _refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        call()
    assert not Disclosure.objects.exists()
    return refused.value.message_dict


# A court order


def test_a_court_order_with_its_reference_allows_the_disclosure(supervisor, patient):
    disclosure = _disclose(
        supervisor, patient, legal_basis=LegalBasis.COURT_ORDER, court_order_reference="Docket 218-2026-CV-00311"
    )
    assert disclosure.consent is None
    assert disclosure.basis_statement == (
        "Disclosed under a court order (42 CFR 2.61 to 2.64): Docket 218-2026-CV-00311."
    )


@pytest.mark.parametrize("reference", ["", "   "])
def test_a_court_order_without_its_reference_is_refused(supervisor, patient, reference):
    errors = _refusal(
        lambda: _disclose(supervisor, patient, legal_basis=LegalBasis.COURT_ORDER, court_order_reference=reference)
    )
    assert errors == {"court_order_reference": ["Give the court order's reference: the court and its docket number."]}


# A qualified service organization agreement


def test_the_programs_agreement_with_this_organization_allows_the_disclosure(supervisor, patient):
    agreement = _agreement(supervisor)
    disclosure = _disclose(
        supervisor, patient, recipient="seacoast  toxicology lab", legal_basis="qsoa", agreement=agreement
    )
    assert disclosure.agreement == agreement
    assert "qualified service organization" in disclosure.basis_statement
    assert agreement.document.read().startswith(b"%PDF-")


def test_a_disclosure_under_no_agreement_is_refused(supervisor, patient):
    errors = _refusal(lambda: _disclose(supervisor, patient, recipient=LAB, legal_basis="qsoa", agreement=None))
    assert errors == {"agreement": ["Choose the program's agreement with this organization."]}


def test_an_agreement_with_another_organization_is_refused(supervisor, patient):
    agreement = _agreement(supervisor)
    errors = _refusal(
        lambda: _disclose(supervisor, patient, recipient="Granite Billing", legal_basis="qsoa", agreement=agreement)
    )
    assert errors == {"agreement": [f"This agreement is with {LAB}, not Granite Billing."]}


@pytest.mark.parametrize(
    "dates",
    [{"starts_on": TODAY + DAY}, {"starts_on": TODAY - 90 * DAY, "ends_on": TODAY - DAY}],
    ids=["later", "over"],
)
def test_an_agreement_not_in_force_that_day_is_refused(supervisor, patient, dates):
    agreement = _agreement(supervisor, **dates)
    errors = _refusal(lambda: _disclose(supervisor, patient, recipient=LAB, legal_basis="qsoa", agreement=agreement))
    assert errors["agreement"][0].startswith("This agreement is in force from")


def test_another_programs_agreement_is_refused(supervisor, patient, outside_supervisor):
    theirs = _agreement(outside_supervisor)
    errors = _refusal(lambda: _disclose(supervisor, patient, recipient=LAB, legal_basis="qsoa", agreement=theirs))
    assert errors == {"agreement": ["This agreement is another program's."]}


def test_an_agreement_is_kept_only_with_its_signed_document(supervisor):
    with pytest.raises(ValidationError) as refused:
        services.agreement_record(
            actor=Actor(supervisor, None),
            fields={"organization": LAB, "services": "Screens", "starts_on": TODAY, "ends_on": None},
            document=SimpleUploadedFile("agreement.pdf", b"MZ not a pdf"),
        )
    assert "not a PDF, PNG or JPEG" in refused.value.message_dict["document"][0]
    assert not ServiceAgreement.objects.exists()


# An audit or evaluation, and research


def test_an_audit_names_who_carried_it_out(supervisor, patient):
    disclosure = _disclose(
        supervisor, patient, recipient="State Medicaid auditors", legal_basis="audit", recipient_person="J. Marsh"
    )
    assert disclosure.basis_statement.endswith("carried out by J. Marsh.")


def test_an_audit_without_who_carried_it_out_is_refused(supervisor, patient):
    errors = _refusal(lambda: _disclose(supervisor, patient, legal_basis="audit", recipient_person=" "))
    assert errors == {"recipient_person": ["Say who carried out the audit or evaluation."]}


def test_research_with_the_irbs_approval_is_allowed_and_refused_without_it(supervisor, patient):
    errors = _refusal(lambda: _disclose(supervisor, patient, legal_basis="research", irb_approval_reference=""))
    assert errors == {"irb_approval_reference": ["Give the IRB's approval reference: research needs one."]}
    disclosure = _disclose(supervisor, patient, legal_basis="research", irb_approval_reference="Dartmouth IRB 00031")
    assert "Dartmouth IRB 00031" in disclosure.basis_statement


# Her single consent to treatment, payment and health care operations


def test_a_tpo_consent_covers_any_provider_for_the_purpose_named(supervisor, patient):
    consent = ConsentFactory(patient=patient, scope=ConsentScope.TPO, recipient="Her treating providers and plans")
    errors = _refusal(
        lambda: _disclose(supervisor, patient, recipient="Wentworth OB", legal_basis="consent", consent=consent)
    )
    assert errors == {"tpo_purpose": ["Say whether it was for her treatment, payment or health care operations."]}
    disclosure = _disclose(
        supervisor, patient, recipient="Wentworth OB", legal_basis="consent", consent=consent, tpo_purpose="treatment"
    )
    assert disclosure.basis_statement.startswith("Disclosed for her treatment on her single written consent")
    assert "(42 CFR 2.33(b))" in disclosure.basis_statement


def test_a_referral_on_a_tpo_consent_says_for_which_and_is_refused_without(supervisor, patient):
    consent = ConsentFactory(patient=patient, scope=ConsentScope.TPO, recipient="Her treating providers and plans")
    sending = {"information": "History", "purpose": "Admission", "legal_basis": "consent", "consent": consent}
    with pytest.raises(ValidationError) as refused:
        record_referral(supervisor, patient, disclosure=sending)
    assert list(refused.value.message_dict) == ["tpo_purpose"]
    referral = record_referral(supervisor, patient, disclosure=sending | {"tpo_purpose": "treatment"})
    assert referral.disclosures.get().tpo_purpose == "treatment"


def test_a_consent_that_names_a_recipient_still_covers_only_that_one(supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    errors = _refusal(
        lambda: _disclose(supervisor, patient, recipient="Wentworth OB", legal_basis="consent", consent=consent)
    )
    assert errors["consent"][0].startswith("This consent covers Harbor Family Resource Center, not Wentworth OB.")


# The database holds what each basis needs, whatever writes the row


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"legal_basis": "court_order", "court_order_reference": " "}, "disclosure_court_order_names_it"),
        ({"legal_basis": "qsoa"}, "disclosure_qsoa_names_the_agreement"),
        ({"legal_basis": "audit", "recipient_person": ""}, "disclosure_audit_says_who"),
        ({"legal_basis": "research", "irb_approval_reference": ""}, "disclosure_research_names_irb_approval"),
        ({"legal_basis": "hearsay"}, "disclosure_legal_basis_is_known"),
        ({"legal_basis": "court_order", "court_order_reference": "D-1", "tpo_purpose": "x"}, "disclosure_tpo_purpose"),
        (
            {"legal_basis": "court_order", "court_order_reference": "D-1", "in_person": True},
            "disclosure_in_person_on_consent_or_emergency",
        ),
    ],
)
def test_the_database_refuses_a_basis_without_what_it_needs(supervisor, patient, fields, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        _insert(patient, supervisor, **fields)


def test_the_database_refuses_another_programs_agreement(supervisor, patient, outside_supervisor):
    theirs = _agreement(outside_supervisor)
    with pytest.raises(IntegrityError, match="same_program"):
        _insert(patient, supervisor, legal_basis="qsoa", agreement=theirs)


def test_the_database_refuses_an_agreement_without_its_document(supervisor):
    with pytest.raises(IntegrityError, match="service_agreement_document_on_file"), transaction.atomic():
        ServiceAgreement.objects.create(
            program=supervisor.program, organization=LAB, services="x", starts_on=TODAY, recorded_by=supervisor
        )


# The pages


def test_the_form_shows_a_missing_court_order_next_to_it_and_keeps_what_was_typed(client_for, supervisor, patient):
    data = {
        "disclosed_on": TODAY.isoformat(),
        "recipient": "Strafford County Family Court",
        "information": "Typed: attendance since March",
        "purpose": "Typed: custody hearing",
        "legal_basis": "court_order",
        "court_order_reference": "",
    }
    response = client_for(supervisor).post(reverse("referrals:disclosure_new", args=[patient.pk]), data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert 'id="id_court_order_reference_error"' in page
    assert "Give the court order's reference" in page
    assert "Typed: attendance since March" in page
    assert not Disclosure.objects.exists()


def test_the_accounting_shows_each_disclosures_basis_with_the_notice(client_for, supervisor, patient):
    _disclose(supervisor, patient, legal_basis="court_order", court_order_reference="Docket 218-2026-CV-00311")
    _disclose(supervisor, patient, recipient=LAB, legal_basis="qsoa", agreement=_agreement(supervisor))
    _disclose(supervisor, patient, legal_basis="research", irb_approval_reference="Dartmouth IRB 00031")
    page = html.unescape(
        client_for(supervisor).get(reverse("referrals:accounting", args=[patient.pk])).content.decode()
    )
    for words in (
        "Court order (42 CFR 2.61 to 2.64).",
        "Docket 218-2026-CV-00311",
        "Qualified service organization agreement.",
        f"{LAB}, Urine drug screens",
        "Research approved by an IRB (42 CFR 2.52).",
        REDISCLOSURE_NOTICE,
    ):
        assert words in page
