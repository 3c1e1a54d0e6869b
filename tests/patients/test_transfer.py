"""Transfer: a supervisor moves a woman from one coach to another with a handoff note. The new coach reads her earlier
encounters in the program, without other women's part of a group and without what only supervisors read."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from coaching import permissions as coaching_permissions
from patients import permissions
from patients.models import CoachAssignment
from patients.services import assignment_transfer
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from staff.roles import Role
from tests.factories import PatientFactory, UserFactory, log_encounter, on_caseload_of, share_concern

pytestmark = pytest.mark.django_db

NOTE = "She does best with a morning text before a visit."


def _transfer(supervisor, patient, coach, **kwargs):
    return assignment_transfer(actor=Actor(supervisor, None), patient=patient, coach=coach, handoff_note=NOTE, **kwargs)


def _sees(user, patient) -> bool:
    return permissions.patients_visible_to(user).filter(pk=patient.pk).exists()


@pytest.fixture
def neighbour(coach, supervisor):
    """A second woman of Mara's caseload, who was at Mara's group with Roz and stays with Mara."""
    neighbour = PatientFactory(program=coach.program, legal_name="Juniper Hale", clinical_provider=supervisor)
    on_caseload_of(neighbour, coach)
    return neighbour


def test_a_transfer_ends_the_old_care_and_starts_the_new_with_the_history_kept(
    client_for, supervisor, coach, other_coach, patient
):
    new = _transfer(supervisor, patient, other_coach, previous_coach_note="Ask about her sister.")

    old = CoachAssignment.objects.get(patient=patient, coach=coach)
    assert old.ended_on is not None
    assert old.end_reason == "Transferred to Nell Rowe"
    assert new.coach == other_coach
    assert new.is_open
    assert new.handoff_note == NOTE
    assert not _sees(coach, patient)  # the old coach loses her at once
    assert _sees(other_coach, patient)
    assert client_for(coach).get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    page = client_for(other_coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Transferred to Nell Rowe" in page
    assert NOTE in page
    assert "Ask about her sister." in page


def test_a_transfer_needs_a_handoff_note_whoever_calls(supervisor, other_coach, patient):
    with pytest.raises(ValidationError) as refused:
        assignment_transfer(actor=Actor(supervisor, None), patient=patient, coach=other_coach, handoff_note="  ")
    assert "handoff_note" in refused.value.message_dict
    assert _sees(other_coach, patient) is False


def test_the_database_keeps_a_previous_coach_note_to_a_transfer(coach, patient):
    assignment = CoachAssignment.objects.get(patient=patient, coach=coach)
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachAssignment.objects.filter(pk=assignment.pk).update(previous_coach_note="Orphan note")


def test_only_a_supervisor_transfers_her(coach, other_coach, patient):
    with pytest.raises(ValidationError):
        _transfer(coach, patient, other_coach)
    assert _sees(coach, patient)


def test_a_woman_without_a_coach_is_assigned_not_transferred(client_for, supervisor, other_coach):
    waiting = PatientFactory(program=supervisor.program, clinical_provider=supervisor)
    with pytest.raises(ValidationError):
        _transfer(supervisor, waiting, other_coach)
    assert client_for(supervisor).get(reverse("patients:transfer", args=[waiting.pk])).status_code == 404


def test_the_transfer_page_from_each_side(
    client_for, client, supervisor, coach, other_coach, admin, outside_supervisor, patient
):
    url = reverse("patients:transfer", args=[patient.pk])
    for outsider in (coach, other_coach, admin, outside_supervisor):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).post(url, {"coach": other_coach.pk, "handoff_note": NOTE}).status_code == 404
    assert _sees(coach, patient)
    client.logout()
    assert client.get(url)["Location"].startswith("/login/")
    client = client_for(supervisor)
    assert client.get(url).status_code == 200
    assert AccessLog.objects.filter(user=supervisor, patient=patient, action="view").exists()
    response = client.post(url, {"coach": other_coach.pk, "handoff_note": ""})
    assert "Write a handoff note" in response.content.decode() or "handoff note" in response.content.decode().lower()
    assert _sees(coach, patient)  # nothing done
    response = client.post(url, {"coach": other_coach.pk, "handoff_note": NOTE})
    assert response.status_code == 302
    assert _sees(other_coach, patient)
    assert not _sees(coach, patient)


def test_the_new_coach_reads_her_earlier_encounters_but_not_the_other_women_of_a_group(
    client_for, supervisor, coach, other_coach, patient, neighbour
):
    alone = log_encounter(coach, [patient], summary="Talked about her sleep.")
    group = log_encounter(
        coach,
        [patient, neighbour],
        summary="Talked about custody hearings.",
        notes={neighbour.pk: "Juniper spoke about her custody hearing."},
    )
    only_neighbour = log_encounter(coach, [neighbour], summary="Juniper alone.")
    concern = share_concern(coach, patient)
    assert not coaching_permissions.encounters_visible_to(other_coach).filter(pk=alone.pk).exists()  # not yet

    _transfer(supervisor, patient, other_coach)

    visible = coaching_permissions.encounters_visible_to(other_coach)
    assert set(visible.values_list("pk", flat=True)) == {alone.pk, group.pk}
    client = client_for(other_coach)
    assert (
        "Talked about her sleep." in client.get(reverse("coaching:encounter_detail", args=[alone.pk])).content.decode()
    )
    since = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    page = client.get(reverse("coaching:encounter_detail", args=[group.pk])).content.decode()
    assert "custody hearing" not in page
    assert "Juniper" not in page
    assert "Other women were there too" in page
    # Her read is logged about the woman she saw, never about the woman withheld from her.
    logged = AccessLog.objects.filter(pk__gt=since, user=other_coach).values_list("patient_id", flat=True)
    assert set(logged) == {patient.pk}
    listing = client.get(reverse("coaching:encounter_list")).content.decode()
    assert "Juniper" not in listing
    assert "and others" in listing
    assert "Logged by Mara Quill" in listing
    assert client.get(reverse("coaching:encounter_detail", args=[only_neighbour.pk])).status_code == 404
    # The concern Mara shared is hers and her supervisors': the new coach does not see it.
    assert client.get(reverse("coaching:concern_detail", args=[concern.pk])).status_code == 404
    # She cannot change or add to another coach's encounter.
    assert client.get(reverse("coaching:encounter_edit", args=[alone.pk])).status_code == 404


def test_the_old_coach_keeps_her_own_encounters_and_supervisors_read_them_whole(
    client_for, supervisor, coach, other_coach, admin, outside_supervisor, patient, neighbour
):
    group = log_encounter(
        coach,
        [patient, neighbour],
        summary="Talked about custody hearings.",
        notes={neighbour.pk: "Juniper spoke about her custody hearing."},
    )
    _transfer(supervisor, patient, other_coach)
    url = reverse("coaching:encounter_detail", args=[group.pk])
    assert "custody hearing" in client_for(coach).get(url).content.decode()
    assert "custody hearing" in client_for(supervisor).get(url).content.decode()
    assert client_for(admin).get(url).status_code == 404
    assert client_for(outside_supervisor).get(url).status_code == 404


def test_a_coach_who_leaves_a_womans_care_no_longer_reads_the_others_encounters(
    supervisor, coach, other_coach, patient
):
    earlier = log_encounter(coach, [patient])
    _transfer(supervisor, patient, other_coach)
    assert coaching_permissions.encounters_visible_to(other_coach).filter(pk=earlier.pk).exists()
    # Moved on again, to a third coach: Nell no longer reads Mara's encounters with her (she keeps her own).
    third = UserFactory(username="coach_c", program=coach.program, first_name="Ada", role=Role.COACH)
    hers = log_encounter(other_coach, [patient])
    assignment_transfer(actor=Actor(supervisor, None), patient=patient, coach=third, handoff_note=NOTE)
    visible = coaching_permissions.encounters_visible_to(other_coach)
    assert not visible.filter(pk=earlier.pk).exists()
    assert visible.filter(pk=hers.pk).exists()


def test_the_transfer_form_sent_twice_transfers_once(client_for, supervisor, coach, other_coach, patient):
    client = client_for(supervisor)
    url = reverse("patients:transfer", args=[patient.pk])
    data = {"coach": other_coach.pk, "handoff_note": NOTE, FIELD: str(uuid.uuid4())}
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert CoachAssignment.objects.filter(patient=patient).count() == 2
