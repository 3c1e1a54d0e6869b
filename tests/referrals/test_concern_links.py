"""Unlinking a concern from a referral, report or communication keeps the link in the history."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery_program.audit import Actor
from referrals import services
from referrals.models import CPSReportConcernEvent, PatientCommunicationConcernEvent, ReferralConcernEvent
from tests.factories import record_communication, record_cps_report, record_referral, share_concern

pytestmark = pytest.mark.django_db


def test_a_concern_unticked_on_a_referral_stays_in_its_history_with_who_unticked_it(
    client_for, coach, supervisor, patient
):
    housing, return_to_use = share_concern(coach, patient), share_concern(coach, patient)
    referral = record_referral(supervisor, patient, concerns=[housing, return_to_use])

    response = client_for(supervisor).post(
        reverse("referrals:referral_edit", args=[referral.pk]),
        {
            "concerns": [return_to_use.pk],
            "care_type": "residential",
            "receiving_provider": "Granite House Residential",
            "decided_by": supervisor.pk,
            "made_by": supervisor.pk,
            "referred_on": timezone.localdate().isoformat(),
            "outcome": "",
            "version": referral.version,
        },
    )

    assert response.status_code == 302
    assert list(referral.concerns.all()) == [return_to_use]
    unlinked = ReferralConcernEvent.objects.get(pgh_label="delete")
    assert (unlinked.referral_id, unlinked.concern_id) == (referral.pk, housing.pk)
    assert unlinked.pgh_context.metadata["user"] == supervisor.pk
    linked = ReferralConcernEvent.objects.filter(pgh_label="insert", referral=referral)
    assert set(linked.values_list("concern_id", flat=True)) == {housing.pk, return_to_use.pk}


@pytest.mark.parametrize(
    ("record", "events", "field"),
    [
        (record_cps_report, CPSReportConcernEvent, "cpsreport_id"),
        (record_communication, PatientCommunicationConcernEvent, "patientcommunication_id"),
    ],
)
def test_a_concern_unlinked_from_a_report_or_communication_stays_in_its_history(
    coach, supervisor, patient, record, events, field
):
    kept, dropped = share_concern(coach, patient), share_concern(coach, patient)
    answer = record(supervisor, patient, concerns=[kept, dropped])

    services.record_update(actor=Actor(supervisor, None), record=answer, fields={}, concerns=[kept])

    assert list(answer.concerns.all()) == [kept]
    unlinked = events.objects.get(pgh_label="delete")
    assert (getattr(unlinked, field), unlinked.concern_id) == (answer.pk, dropped.pk)
