"""The program's discharge reasons: its supervisors add, rename and retire them (never remove one) on a page next
to the program's settings."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from patients.models import DischargeReason
from patients.services import (
    discharge_reason_add,
    discharge_reason_rename,
    discharge_reason_set_offered,
    discharge_reasons_for,
    patient_discharge,
)
from recovery_program.audit import Actor

pytestmark = pytest.mark.django_db


def _reason(program, code):
    return discharge_reasons_for(program).get(code=code)


def test_a_supervisor_adds_renames_and_retires_reasons(client_for, supervisor, program, patient):
    client = client_for(supervisor)
    url = reverse("staff:discharge_reasons")
    page = client.get(url).content.decode()
    assert "Moved away" in page
    assert "Completed the program" in page
    assert client.post(url, {"label": "Transferred to another county's program"}).status_code == 302
    added = DischargeReason.objects.get(program=program, label="Transferred to another county's program")
    assert added.is_active
    assert added.code == "transferred-to-another-countys"
    moved = _reason(program, "moved")
    edit = reverse("staff:discharge_reason_edit", args=[moved.pk])
    assert client.post(edit, {"label": "Moved out of the area"}).status_code == 302
    assert client.post(edit, {"offered": "0"}).status_code == 302
    moved.refresh_from_db()
    assert moved.label == "Moved out of the area"
    assert not moved.is_active
    # The discharge form offers the new reason, not the retired one.
    discharge = client.get(reverse("patients:discharge", args=[patient.pk])).content.decode()
    assert "Transferred to another county" in discharge
    assert ">Moved out of the area</option>" not in discharge
    assert client.post(edit, {"offered": "1"}).status_code == 302
    moved.refresh_from_db()
    assert moved.is_active


def test_a_retired_reason_stays_on_the_episodes_that_name_it(supervisor, program, patient):
    actor = Actor(supervisor, None)
    moved = _reason(program, "moved")
    episode = patient_discharge(actor=actor, patient=patient, reason=moved, ended_on=timezone.localdate(), summary="")
    discharge_reason_set_offered(actor=actor, reason=moved, offered=False)
    episode.refresh_from_db()
    assert episode.discharge_reason == moved
    with pytest.raises(DatabaseError), transaction.atomic():
        DischargeReason.objects.filter(pk=moved.pk).delete()


def test_a_reason_is_named_once_and_never_empty(client_for, supervisor, program):
    actor = Actor(supervisor, None)
    with pytest.raises(ValidationError) as refused:
        discharge_reason_add(actor=actor, label="moved  AWAY")
    assert "already has the reason" in refused.value.message_dict["label"][0]
    with pytest.raises(ValidationError):
        discharge_reason_rename(actor=actor, reason=_reason(program, "died"), label="   ")
    page = client_for(supervisor).post(reverse("staff:discharge_reasons"), {"label": "Moved away"}).content.decode()
    assert "already has the reason" in page
    assert 'value="Moved away"' in page


def test_the_last_reason_offered_cannot_be_retired(supervisor, program):
    actor = Actor(supervisor, None)
    reasons = list(discharge_reasons_for(program))
    for reason in reasons[1:]:
        discharge_reason_set_offered(actor=actor, reason=reason, offered=False)
    with pytest.raises(ValidationError):
        discharge_reason_set_offered(actor=actor, reason=reasons[0], offered=False)


def test_only_the_programs_supervisors_keep_its_reasons(client_for, client, coach, admin, outside_supervisor, program):
    moved = _reason(program, "moved")
    edit = reverse("staff:discharge_reason_edit", args=[moved.pk])
    for outsider in (coach, admin):
        assert client_for(outsider).get(reverse("staff:discharge_reasons")).status_code == 404
        assert client_for(outsider).post(reverse("staff:discharge_reasons"), {"label": "Gone"}).status_code == 404
        assert client_for(outsider).post(edit, {"offered": "0"}).status_code == 404
        with pytest.raises(ValidationError):
            discharge_reason_add(actor=Actor(outsider, None), label="Gone")
    # Another program's supervisor keeps her own program's list: ours is out of her reach.
    assert client_for(outside_supervisor).get(edit).status_code == 404
    assert client_for(outside_supervisor).post(edit, {"offered": "0"}).status_code == 404
    moved.refresh_from_db()
    assert moved.is_active
    assert not DischargeReason.objects.filter(label="Gone").exists()
    client.logout()
    assert client.get(reverse("staff:discharge_reasons"))["Location"].startswith("/login/")


def test_the_database_refuses_a_reason_without_words(program):
    moved = _reason(program, "moved")
    with pytest.raises(DatabaseError), transaction.atomic():
        DischargeReason.objects.filter(pk=moved.pk).update(label="")
