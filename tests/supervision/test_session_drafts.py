"""What a supervisor types in a session's record is kept as a draft: one per coach, hers alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coaching.models import Draft
from recovery_program.models import AccessLog
from supervision.models import SupervisionSession
from tests.factories import PatientFactory
from tests.supervision.test_queue_and_sessions import _session_data

pytestmark = pytest.mark.django_db


def _autosave(client, coach, data):
    return client.post(reverse("supervision:session_draft", args=[coach.pk]), data, HTTP_X_REQUESTED_WITH="fetch")


def test_the_session_and_its_lines_are_kept_and_offered_back(client_for, supervisor, coach, supervised, patient):
    client = client_for(supervisor)
    data = _session_data(coach, supervisor, patient) | {"stowaway": "x", "case-99-discussion": "too far"}
    response = _autosave(client, coach, data)
    assert "Saved as draft at" in response.content.decode()
    draft = Draft.objects.get(user=supervisor, form=Draft.Form.SESSION, key=str(coach.pk))
    assert draft.data["case-1-discussion"] == ["Housing plan."]
    assert draft.data["action-0-what"] == ["Bring the shelter list"]
    assert "stowaway" not in draft.data
    assert "case-99-discussion" not in draft.data

    page = client.get(reverse("supervision:session_new", args=[coach.pk]))
    assert "We kept what you were typing" in page.content.decode()
    assert page.context["form"].initial["notes"] == "Coach tired; watch for burnout."
    assert [case.initial.get("discussion") for case in page.context["cases"].forms[:2]] == [
        "Relapse risk discussed.",
        "Housing plan.",
    ]
    assert page.context["action_items"].forms[0].initial["what"] == "Bring the shelter list"


def test_the_draft_write_logs_the_patients_of_its_cases(client_for, supervisor, coach, supervised, patient):
    stranger = PatientFactory(program=coach.program, clinical_provider=supervisor)  # not on her caseload
    _autosave(
        client_for(supervisor), coach, _session_data(coach, supervisor, patient, **{"case-1-patient": stranger.pk})
    )
    assert set(AccessLog.objects.filter(record_type="draft").values_list("patient_id", flat=True)) == {patient.pk}


def test_recording_the_session_removes_its_draft(client_for, supervisor, coach, supervised, patient):
    client = client_for(supervisor)
    _autosave(client, coach, _session_data(coach, supervisor, patient))
    client.post(reverse("supervision:session_new", args=[coach.pk]), _session_data(coach, supervisor, patient))
    assert SupervisionSession.objects.exists()
    assert not Draft.objects.exists()


@pytest.mark.parametrize("who", ["coach", "other_coach", "outside_supervisor"])
def test_only_supervisors_keep_a_session_draft(request, client_for, supervisor, coach, supervised, patient, who):
    response = _autosave(client_for(request.getfixturevalue(who)), coach, _session_data(coach, supervisor, patient))
    assert response.status_code == 404
    assert not Draft.objects.exists()
