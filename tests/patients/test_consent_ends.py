"""A consent that ends at her discharge ends when her discharge is recorded: from that day it covers nothing and
is offered nowhere."""

from __future__ import annotations

import datetime
import html
import zoneinfo

import pghistory.models
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients.models import Consent, ExpiryEvent, ProgramStatus
from patients.services import consent_record, discharge_reasons_for, patient_change_status
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 11, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def until_discharge(patient):
    return ConsentFactory(
        patient=patient, recipient="Granite Valley Obstetrics", expires_on=None, expiry_event=ExpiryEvent.DISCHARGE
    )


def _change_status(supervisor, patient, status, on=TODAY):
    return patient_change_status(
        actor=Actor(supervisor, None), patient=patient, status=status, changed_on=on, reason="Finished the program"
    )


@pytest.mark.parametrize("status", [ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED])
def test_her_discharge_ends_a_consent_until_discharge_that_day(supervisor, patient, until_discharge, status):
    dated = ConsentFactory(patient=patient, recipient="Harbor Family Resource Center")
    _change_status(supervisor, patient, status, on=TODAY - 2 * DAY)
    until_discharge.refresh_from_db()
    assert until_discharge.ended_on == TODAY - 2 * DAY
    assert until_discharge.is_current(TODAY - 3 * DAY)
    assert not until_discharge.is_current(TODAY - 2 * DAY)
    assert not until_discharge.covers("Granite Valley Obstetrics", TODAY)
    assert list(patient.consents.current()) == [dated]


def test_becoming_disconnected_is_not_her_discharge(supervisor, patient, until_discharge):
    _change_status(supervisor, patient, ProgramStatus.DISCONNECTED)
    until_discharge.refresh_from_db()
    assert until_discharge.ended_on is None
    assert until_discharge.is_current()


def test_the_end_is_kept_in_the_consents_history_and_the_access_log(supervisor, patient, until_discharge):
    _change_status(supervisor, patient, ProgramStatus.DISCHARGED)
    ends = pghistory.models.Events.objects.tracks(until_discharge).values_list("pgh_data__ended_on", flat=True)
    assert list(ends) == [None, TODAY.isoformat()]
    assert AccessLog.objects.filter(
        action=AccessAction.CHANGE, patient=patient, record_type="consent", record_id=until_discharge.pk
    ).exists()


def test_a_discharge_dated_before_the_signing_leaves_it_never_in_force(supervisor, patient):
    consent = ConsentFactory(patient=patient, expires_on=None, expiry_event=ExpiryEvent.DISCHARGE, signed_on=TODAY)
    _change_status(supervisor, patient, ProgramStatus.DISCHARGED, on=TODAY - 5 * DAY)
    consent.refresh_from_db()
    assert consent.ended_on == TODAY
    assert not consent.is_current(TODAY)


CONSENT_UNTIL_DISCHARGE = {
    "recipient": "Granite Valley Obstetrics",
    "purpose": "Postpartum care",
    "information_scope": "Attendance",
    "signed_on": TODAY,
    "expires_on": None,
    "expiry_event": ExpiryEvent.DISCHARGE,
}


def _post_consent(client, patient, **overrides):
    data = {name: "" if value is None else str(value) for name, value in CONSENT_UNTIL_DISCHARGE.items()}
    return client.post(reverse("patients:consent_add", args=[patient.pk]), data | overrides)


def test_a_consent_until_discharge_cannot_be_recorded_once_she_has_left(supervisor, patient):
    _change_status(supervisor, patient, ProgramStatus.GRADUATED)
    with pytest.raises(ValidationError) as refused:
        consent_record(actor=Actor(supervisor, None), patient=patient, fields=CONSENT_UNTIL_DISCHARGE)
    assert list(refused.value.message_dict) == ["expiry_event"]
    assert not Consent.objects.exists()


def test_the_consent_form_says_so_next_to_the_event(client_for, supervisor, patient):
    _change_status(supervisor, patient, ProgramStatus.DISCHARGED)
    page = html.unescape(_post_consent(client_for(supervisor), patient).content.decode())
    assert 'id="id_expiry_event_error"><li>She is discharged: a consent that ends at her discharge' in page
    assert not Consent.objects.exists()


def test_an_event_the_program_does_not_record_cannot_be_chosen(client_for, supervisor, patient):
    response = _post_consent(client_for(supervisor), patient, expiry_event="the end of her pregnancy")
    assert "That choice for “Ends at” is no longer offered" in response.content.decode()
    assert not Consent.objects.exists()


def test_discharged_on_her_discharge_page_the_consent_shows_as_ended_and_is_offered_nowhere(
    client_for, supervisor, patient, until_discharge
):
    client = client_for(supervisor)
    completed = discharge_reasons_for(patient.program).get(code="completed")
    client.post(
        reverse("patients:discharge", args=[patient.pk]),
        {"reason": completed.pk, "ended_on": TODAY.isoformat(), "summary": "Completed her plan", "confirmed": "yes"},
    )
    page = html.unescape(client.get(reverse("patients:detail", args=[patient.pk])).content.decode())
    assert '<span class="badge">ended</span>' in page
    assert "No current consent to share her information with anyone" in page
    option = f'<option value="{until_discharge.pk}"'
    for name in ("referrals:referral_new", "referrals:disclosure_new"):
        form_page = client.get(reverse(name, args=[patient.pk])).content.decode()
        assert option not in form_page
        assert "She has no current consent to share her information with anyone" in form_page
