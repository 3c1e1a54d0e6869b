"""A warm handoff: two coaches meet her together; the encounter names the other coach and is in both coaches'
records for her. The encounter rules hold for it as for any other."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from coaching import permissions
from coaching.models import Encounter, EncounterKind
from tests.factories import log_encounter

pytestmark = pytest.mark.django_db


def _handoff(coach, patient, other, **fields):
    return log_encounter(coach, [patient], kind=EncounterKind.WARM_HANDOFF, other_coach=other, **fields)


def test_a_warm_handoff_is_in_both_coaches_records(client_for, coach, other_coach, patient, admin, outside_supervisor):
    encounter = _handoff(coach, patient, other_coach, summary="Introduced Nell over coffee.")
    assert permissions.encounters_visible_to(other_coach).filter(pk=encounter.pk).exists()
    url = reverse("coaching:encounter_detail", args=[encounter.pk])
    page = client_for(other_coach).get(url).content.decode()
    assert "Introduced Nell over coffee." in page
    assert "Mara Quill" in page
    listing = client_for(other_coach).get(reverse("coaching:encounter_list")).content.decode()
    assert "Warm handoff" in listing
    # Nell was there, but it is Mara's record: she neither changes it nor adds to it.
    assert client_for(other_coach).get(reverse("coaching:encounter_edit", args=[encounter.pk])).status_code == 404
    for outsider in (admin, outside_supervisor):
        assert client_for(outsider).get(url).status_code == 404


def test_a_warm_handoff_names_another_coach_of_her_program(coach, other_coach, patient, outside_supervisor):
    for other in (None, coach, outside_supervisor):
        with pytest.raises(ValidationError) as refused:
            _handoff(coach, patient, other)
        assert "other_coach" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        log_encounter(coach, [patient], kind=EncounterKind.COMMUNITY, other_coach=other_coach)
    assert refused.value.message_dict["other_coach"] == ["Only a warm handoff names another coach."]


def test_a_warm_handoff_keeps_the_encounter_rules(coach, other_coach, patient, other_patient):
    with pytest.raises(ValidationError) as refused:
        _handoff(coach, patient, other_coach, occurred_at=timezone.now() + datetime.timedelta(hours=2))
    assert "date" in refused.value.message_dict
    with pytest.raises(ValidationError):
        log_encounter(coach, [other_patient], kind=EncounterKind.WARM_HANDOFF, other_coach=other_coach)


def test_the_database_holds_a_warm_handoff_to_its_other_coach(coach, other_coach, patient):
    encounter = _handoff(coach, patient, other_coach)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(other_coach=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=encounter.pk).update(other_coach=coach)


def test_the_log_form_names_the_other_coach(client_for, coach, other_coach, patient):
    client = client_for(coach)
    data = {
        "patients": [patient.pk],
        "kind": EncounterKind.WARM_HANDOFF,
        "started": "30",
        "duration_minutes": "40",
        "summary": "Met her with Nell.",
    }
    page = client.post(reverse("coaching:encounter_new"), data).content.decode()
    assert "Choose the coach who met her with you." in page
    assert "Met her with Nell." in page
    assert not Encounter.objects.exists()
    response = client.post(reverse("coaching:encounter_new"), data | {"other_coach": other_coach.pk})
    assert response.status_code == 302
    assert Encounter.objects.get().other_coach == other_coach
