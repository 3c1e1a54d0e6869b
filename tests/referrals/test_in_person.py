"""A coach records what she told someone about the woman in person (at court, at the Family Resource Center): on a
consent of hers that names that recipient, or in a medical emergency, and on nothing else. It goes into the woman's
accounting of disclosures, and the coach's supervisor is told through the outbox, with a link and nothing clinical."""

from __future__ import annotations

import datetime
import html

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients.models import ConsentScope
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog, Outgoing
from referrals.models import Disclosure, LegalBasis
from referrals.services import disclosure_in_person_record
from supervision.services import supervision_assign
from tests.factories import ConsentFactory, UserFactory, send_outbox

pytestmark = pytest.mark.django_db

FRC = "Harbor Family Resource Center"


@pytest.fixture
def her_supervisor(program, coach, admin):
    supervisor = UserFactory(
        username="super_b", first_name="Hana", last_name="Bell", program=program, role="supervisor"
    )
    supervision_assign(
        actor=Actor(admin, None),
        coach=coach,
        supervisor=supervisor,
        started_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    return supervisor


def _record(user, patient, **fields):
    """The service, called directly, as any caller would."""
    told = {"disclosed_on": timezone.localdate(), "recipient": FRC, "information": "x", "purpose": "y"}
    return disclosure_in_person_record(actor=Actor(user, None), patient=patient, fields=told | fields)


def _url(patient):
    return reverse("patients:told_in_person", args=[patient.pk])


def _post(client, patient, **changes):
    data = {
        "disclosed_on": timezone.localdate().isoformat(),
        "recipient": FRC,
        "recipient_person": "Typed: Ms. Ortiz at the front desk",
        "information": "Typed: CLINICAL-WORDS she comes to group every week",
        "purpose": "Typed: her parenting class place",
        "legal_basis": "consent",
        "consent": "",
        "emergency_nature": "",
    }
    return client.post(_url(patient), data | changes)


def test_a_coach_records_what_her_consent_allows_and_her_supervisor_is_told(
    client_for, coach, patient, her_supervisor, settings
):
    consent = ConsentFactory(patient=patient, recipient=FRC)
    response = _post(client_for(coach), patient, consent=consent.pk, recipient="harbor family resource center")
    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[patient.pk])
    disclosure = Disclosure.objects.get()
    assert (disclosure.in_person, disclosure.disclosed_by, disclosure.consent) == (True, coach, consent)
    assert AccessLog.objects.filter(user=coach, action=AccessAction.CREATE, record_type="disclosure").exists()

    notice = Outgoing.objects.get()
    assert notice.recipient == her_supervisor
    assert send_outbox() == 1
    sent = mail.outbox[-1]
    assert sent.to == [her_supervisor.email]
    assert reverse("referrals:accounting", args=[patient.pk]) in sent.body
    for clinical in ("CLINICAL-WORDS", "Ortiz", FRC, patient.legal_name, "Roz"):
        assert clinical not in sent.body + sent.subject


def test_it_shows_in_her_accounting_as_told_in_person(client_for, coach, supervisor, patient, her_supervisor):
    consent = ConsentFactory(patient=patient, recipient=FRC)
    _post(client_for(coach), patient, consent=consent.pk)
    page = client_for(her_supervisor).get(reverse("referrals:accounting", args=[patient.pk])).content.decode()
    assert "CLINICAL-WORDS" in html.unescape(page)
    assert f"Told in person by {coach}" in html.unescape(page)


def test_without_a_supervisor_of_her_own_the_womans_clinical_provider_is_told(coach, supervisor, patient):
    consent = ConsentFactory(patient=patient, recipient=FRC)
    _record(coach, patient, legal_basis="consent", consent=consent)
    assert Outgoing.objects.get().recipient == supervisor


def test_with_no_supervisor_of_her_own_and_no_clinical_provider_every_supervisor_of_the_program_is_told(
    coach, supervisor, patient
):
    consent = ConsentFactory(patient=patient, recipient=FRC)
    patient.clinical_provider = None
    patient.save(update_fields=["clinical_provider"])
    _record(coach, patient, legal_basis="consent", consent=consent)
    assert list(Outgoing.objects.values_list("recipient", flat=True)) == [supervisor.pk]


def test_a_consent_for_someone_else_is_refused_next_to_it_and_nothing_is_kept(client_for, coach, patient):
    other = ConsentFactory(patient=patient, recipient="Granite Valley Obstetrics")
    response = _post(client_for(coach), patient, consent=other.pk)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert f"This consent covers Granite Valley Obstetrics, not {FRC}." in page
    assert 'id="id_consent_error"' in page
    assert "Typed: CLINICAL-WORDS she comes to group every week" in page
    assert not Disclosure.objects.exists()
    assert not Outgoing.objects.exists()


def test_an_emergency_needs_what_it_was(client_for, coach, patient):
    response = _post(client_for(coach), patient, legal_basis="emergency", emergency_nature="")
    assert "Describe the medical emergency." in html.unescape(response.content.decode())
    assert not Disclosure.objects.exists()
    response = _post(client_for(coach), patient, legal_basis="emergency", emergency_nature="She collapsed at court")
    assert response.status_code == 302
    assert Disclosure.objects.get().legal_basis == LegalBasis.EMERGENCY


@pytest.mark.parametrize(
    "fields",
    [
        {"legal_basis": "court_order", "court_order_reference": "Docket 1"},
        {"legal_basis": "research", "irb_approval_reference": "IRB 1"},
    ],
)
def test_the_service_refuses_a_basis_a_coach_may_not_use(coach, patient, fields):
    with pytest.raises(ValidationError) as refused:
        _record(coach, patient, **fields)
    assert list(refused.value.message_dict) == ["legal_basis"]
    assert not Disclosure.objects.exists()


def test_the_service_refuses_a_consent_to_treatment_payment_and_operations(coach, patient):
    tpo = ConsentFactory(patient=patient, scope=ConsentScope.TPO, recipient="Her providers and plans")
    with pytest.raises(ValidationError) as refused:
        _record(coach, patient, legal_basis="consent", consent=tpo, tpo_purpose="treatment")
    assert list(refused.value.message_dict) == ["consent"]


def test_the_form_offers_only_her_current_consents_that_name_someone(client_for, coach, patient):
    named = ConsentFactory(patient=patient, recipient=FRC)
    tpo = ConsentFactory(patient=patient, scope=ConsentScope.TPO, recipient="Her providers")
    revoked = ConsentFactory(patient=patient, recipient="Old Clinic", revoked_on=timezone.localdate())
    page = client_for(coach).get(_url(patient)).content.decode()
    assert f'<option value="{named.pk}"' in page
    assert f'<option value="{tpo.pk}"' not in page
    assert f'<option value="{revoked.pk}"' not in page
    assert AccessLog.objects.filter(user=coach, action=AccessAction.VIEW, patient=patient).exists()


def test_her_page_offers_it_to_her_coach(client_for, coach, patient):
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert _url(patient) in page


@pytest.mark.parametrize("who", ["other_coach", "supervisor", "admin", "outside_supervisor"])
def test_nobody_else_records_one(client_for, request, patient, who):
    ConsentFactory(patient=patient, recipient=FRC)
    client = client_for(request.getfixturevalue(who))
    assert client.get(_url(patient)).status_code == 404
    assert _post(client, patient, legal_basis="emergency", emergency_nature="x").status_code == 404
    assert not Disclosure.objects.exists()


def test_the_service_refuses_anyone_but_a_coach(supervisor, patient):
    with pytest.raises(ValidationError):
        _record(supervisor, patient, legal_basis="emergency", emergency_nature="Collapsed", recipient_person="Medic")
    assert not Disclosure.objects.exists()
