"""What a coach types is saved as she goes, and offered back after a dropped connection or an ended session."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coaching.models import Draft
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _autosave(client, form="encounter", **data):
    return client.post(reverse("coaching:draft_save", args=[form]), data, HTTP_HX_REQUEST="true")


def test_typing_is_saved_as_a_draft(client_for, coach, patient):
    response = _autosave(client_for(coach), summary="She said the landlord", patients=[patient.pk])
    assert response.status_code == 200
    assert "Saved as draft at" in response.content.decode()
    draft = Draft.objects.get(user=coach)
    assert draft.data["summary"] == ["She said the landlord"]
    assert "csrfmiddlewaretoken" not in draft.data


def test_a_draft_is_offered_back_on_the_form(client_for, coach, patient):
    client = client_for(coach)
    _autosave(client, summary="She said the landlord", patients=[str(patient.pk)], kind="phone")
    response = client.get(reverse("coaching:encounter_new"))
    page = response.content.decode()
    assert "We kept what you were typing" in page
    assert "She said the landlord" in page
    assert response.context["form"].initial["patients"] == [str(patient.pk)]
    assert response.context["form"].initial["kind"] == "phone"


def test_after_her_session_ends_she_logs_in_again_and_is_offered_the_draft(client, coach, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
        _autosave(client, summary="Half of what happened", patients=[patient.pk])
    with time_machine.travel(start + datetime.timedelta(minutes=45), tick=False):
        # The session has ended: the final save is sent to log in, and nothing is lost.
        response = client.post(reverse("coaching:encounter_new"), {"summary": "Half of what happened, and more"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
        home = client.get(reverse("home")).content.decode()
        form_page = client.get(reverse("coaching:encounter_new")).content.decode()
    assert "You have an unfinished encounter" in home
    assert "Half of what happened" in form_page


def test_starting_over_discards_the_draft(client_for, coach):
    client = client_for(coach)
    _autosave(client, summary="Never mind")
    client.post(reverse("coaching:encounter_draft_discard"))
    assert not Draft.objects.exists()


def test_a_concern_draft_is_kept_apart_from_the_encounter_draft(client_for, coach):
    client = client_for(coach)
    _autosave(client, "encounter", summary="Encounter words")
    _autosave(client, "concern", description="Concern words")
    assert Draft.objects.filter(user=coach).count() == 2
    assert "Concern words" in client.get(reverse("coaching:concern_new")).content.decode()


def test_drafts_are_hers_alone(client_for, client, coach, other_coach):
    _autosave(client_for(coach), summary="Private words")
    client.force_login(other_coach)
    assert "Private words" not in client.get(reverse("coaching:encounter_new")).content.decode()


@pytest.mark.parametrize(("who", "form"), [("admin", "encounter"), ("supervisor", "concern"), ("coach", "nonsense")])
def test_no_draft_for_forms_she_cannot_send(request, client_for, who, form):
    user = request.getfixturevalue(who)
    assert _autosave(client_for(user), form, summary="x").status_code == 404
    assert not Draft.objects.exists()


def test_after_the_session_ends_an_htmx_request_is_told_so_and_the_page_keeps_her_typing(client, coach):
    response = client.post(
        reverse("coaching:encounter_new"),
        {"summary": "x"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/coaching/encounters/new/",
    )
    assert response.status_code == 401
    assert "Your session ended" in response.content.decode()


def test_a_draft_keeps_only_the_forms_own_fields(client_for, coach):
    _autosave(client_for(coach), summary="Her words", stowaway="x" * 100, **{"csrfmiddlewaretoken": "t"})
    assert Draft.objects.get(user=coach).data == {"summary": ["Her words"]}


def test_a_nul_byte_is_dropped_and_the_rest_kept(client_for, coach):
    response = _autosave(client_for(coach), summary="Half\x00 a note")
    assert "Saved as draft at" in response.content.decode()
    assert Draft.objects.get(user=coach).data["summary"] == ["Half a note"]


def test_a_draft_too_large_is_refused_plainly_and_the_last_one_stays(client_for, coach):
    client = client_for(coach)
    _autosave(client, summary="What she typed first")
    response = _autosave(client, summary="x" * 25_000)
    assert response.status_code == 200
    assert "too long to keep as a draft" in response.content.decode()
    assert Draft.objects.get(user=coach).data["summary"] == ["What she typed first"]


@pytest.mark.parametrize("who", ["admin", "supervisor"])
@pytest.mark.parametrize("form", ["encounter", "concern"])
def test_starting_over_is_only_for_those_who_keep_drafts(request, client_for, who, form):
    user = request.getfixturevalue(who)
    assert client_for(user).post(reverse(f"coaching:{form}_draft_discard")).status_code == 404
