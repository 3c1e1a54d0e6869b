"""Why a status changed or a coach's care ended is for the clinical staff, unless the supervisor shares it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
REASON = "Her OB says she used again"


def _change_status(client, patient, **extra):
    data = {"status": "disconnected", "changed_on": TODAY().isoformat(), "reason": REASON} | extra
    return client.post(reverse("patients:status", args=[patient.pk]), data)


def _page(client, patient) -> str:
    return client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_the_coach_sees_the_new_status_but_not_the_supervisors_reason(client_for, client, supervisor, coach, patient):
    assert _change_status(client_for(supervisor), patient).status_code == 302
    assert REASON in _page(client, patient)
    client.force_login(coach)
    page = _page(client, patient)
    assert "Disconnected" in page
    assert REASON not in page


def test_the_coach_reads_a_reason_the_supervisor_shared(client_for, client, supervisor, coach, patient):
    _change_status(client_for(supervisor), patient, shared_with_coach="on")
    client.force_login(coach)
    assert REASON in _page(client, patient)


def test_the_next_coach_does_not_read_why_the_last_one_stopped_unless_it_was_shared(
    client_for, client, supervisor, coach, other_coach, patient
):
    staff_client = client_for(supervisor)
    staff_client.post(
        reverse("patients:unassign", args=[patient.pk]), {"ended_on": TODAY().isoformat(), "reason": REASON}
    )
    staff_client.post(reverse("patients:assign", args=[patient.pk]), {"coach": other_coach.pk, "started_on": TODAY()})
    assert REASON in _page(staff_client, patient)
    client.force_login(other_coach)
    page = _page(client, patient)
    assert coach.get_full_name() in page
    assert REASON not in page


def test_an_end_reason_shared_with_the_coaches_is_read_by_the_next_one(
    client_for, client, supervisor, other_coach, patient
):
    staff_client = client_for(supervisor)
    staff_client.post(
        reverse("patients:unassign", args=[patient.pk]),
        {"ended_on": TODAY().isoformat(), "reason": REASON, "shared_with_coach": "on"},
    )
    staff_client.post(reverse("patients:assign", args=[patient.pk]), {"coach": other_coach.pk, "started_on": TODAY()})
    client.force_login(other_coach)
    assert REASON in _page(client, patient)


def test_reasons_the_app_writes_itself_are_read_by_the_coach(client_for, client, supervisor, other_coach, patient):
    client_for(supervisor).post(
        reverse("patients:assign", args=[patient.pk]), {"coach": other_coach.pk, "started_on": TODAY()}
    )
    client.force_login(other_coach)
    assert f"Reassigned to {other_coach}" in _page(client, patient)
