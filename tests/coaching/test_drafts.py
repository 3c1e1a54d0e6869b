"""What a coach types is saved as she goes, and offered back after a dropped connection or an ended session."""

from __future__ import annotations

import datetime
import json
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coaching.models import Draft
from coaching.services import encounter_update
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import TEST_PASSWORD, PatientFactory, log_encounter, on_caseload_of
from tests.staff.test_two_step import _a_minute_later, _code, _turn_on

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


# --- A change to an encounter: one draft per encounter ------------------------------------------------------------


def _edit_autosave(client, encounter, **data):
    return client.post(reverse("coaching:encounter_edit_draft", args=[encounter.pk]), data, HTTP_HX_REQUEST="true")


def test_a_change_to_an_encounter_is_kept_for_that_encounter_only(client_for, coach, patient):
    first, second = log_encounter(coach, [patient]), log_encounter(coach, [patient])
    client = client_for(coach)
    _edit_autosave(client, first, summary="Changed the first", patients=[patient.pk])
    _edit_autosave(client, second, summary="Changed the second")
    assert Draft.objects.filter(user=coach, form=Draft.Form.ENCOUNTER).count() == 2

    page = client.get(reverse("coaching:encounter_edit", args=[first.pk]))
    assert "We kept what you were typing" in page.content.decode()
    assert page.context["form"].initial["summary"] == "Changed the first"
    assert "Changed the second" not in page.content.decode()
    assert "We kept what you were typing" not in client.get(reverse("coaching:encounter_new")).content.decode()


def test_saving_the_change_removes_that_encounters_draft_only(client_for, coach, patient):
    first, second = log_encounter(coach, [patient]), log_encounter(coach, [patient])
    client = client_for(coach)
    _edit_autosave(client, first, summary="Changed the first")
    _edit_autosave(client, second, summary="Changed the second")
    encounter_update(
        actor=Actor(coach, None), encounter=first, fields={"summary": "Saved"}, patients=[patient], resources=[]
    )
    assert list(Draft.objects.values_list("key", flat=True)) == [str(second.pk)]


@pytest.mark.parametrize("who", ["other_coach", "supervisor", "admin"])
def test_a_draft_of_a_change_is_only_for_the_coach_who_logged_it(request, client_for, coach, patient, who):
    encounter = log_encounter(coach, [patient])
    assert _edit_autosave(client_for(request.getfixturevalue(who)), encounter, summary="x").status_code == 404
    assert not Draft.objects.exists()


def test_a_draft_write_logs_the_patients_she_picked_from_her_caseload(client_for, coach, patient, other_patient):
    response = _autosave(client_for(coach), summary="x", patients=[patient.pk, other_patient.pk, "garbage"])
    assert response.status_code == 200
    rows = AccessLog.objects.filter(record_type="draft", action=AccessAction.CHANGE)
    assert set(rows.values_list("patient_id", flat=True)) == {patient.pk}  # the other is not on her caseload


def test_typing_on_logs_each_patient_once_in_ten_minutes_and_a_new_patient_at_once(
    client_for, coach, patient, frozen_now
):
    second = PatientFactory(program=coach.program)
    on_caseload_of(second, coach)
    client = client_for(coach)
    rows = AccessLog.objects.filter(record_type="draft", action=AccessAction.CHANGE)

    for typed in ("She said", "She said the landlord", "She said the landlord called"):
        _autosave(client, summary=typed, patients=[patient.pk])
    assert list(rows.values_list("patient_id", flat=True)) == [patient.pk]

    _autosave(client, summary="Both of them", patients=[patient.pk, second.pk])
    # A write about both is one row naming both (patient_ids).
    assert list(rows.order_by("pk").values_list("patient_id", "patient_ids")) == [
        (patient.pk, None),
        (None, sorted([patient.pk, second.pk])),
    ]

    with time_machine.travel(frozen_now + datetime.timedelta(minutes=11), tick=False):
        client = client_for(coach)
        _autosave(client, summary="Both of them, later", patients=[patient.pk, second.pk])
    assert rows.count() == 3
    assert Draft.objects.get(user=coach).data["summary"] == ["Both of them, later"]


def test_a_draft_of_a_change_logs_the_encounters_patients(client_for, coach, patient):
    encounter = log_encounter(coach, [patient])
    _edit_autosave(client_for(coach), encounter, summary="x")
    assert AccessLog.objects.get(record_type="draft").patient == patient


def test_the_home_page_leads_back_to_each_unfinished_form(client_for, coach, patient):
    encounter = log_encounter(coach, [patient])
    client = client_for(coach)
    _edit_autosave(client, encounter, summary="x")
    home = client.get(reverse("home")).content.decode()
    assert reverse("coaching:encounter_edit", args=[encounter.pk]) in home


# --- When her session has ended ------------------------------------------------------------------------------------

FORM_PAGE = "/coaching/encounters/new/"


def test_an_autosave_after_the_session_ended_is_told_so_with_a_way_back_to_the_form(client, coach):
    response = client.post(
        reverse("coaching:draft_save", args=["encounter"]),
        {"summary": "x"},
        HTTP_X_REQUESTED_WITH="fetch",
        HTTP_REFERER=f"http://testserver{FORM_PAGE}?patient=3",
    )
    assert response.status_code == 401
    login = json.loads(response["HX-Trigger"])["sessionEnded"]["login"]
    assert login == f"{reverse('login')}?{urlencode({'next': FORM_PAGE + '?patient=3'})}"


def test_a_form_sent_after_the_session_ended_goes_to_log_in_and_back_to_the_form_page(client, coach):
    response = client.post(
        reverse("coaching:draft_save", args=["encounter"]),
        {"summary": "x"},
        HTTP_REFERER=f"http://testserver{FORM_PAGE}",
    )
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?{urlencode({'next': FORM_PAGE})}"  # never the POST-only address


def test_without_knowing_the_page_it_came_from_the_login_leads_home(client, coach):
    response = client.post(reverse("coaching:draft_save", args=["encounter"]), {"summary": "x"})
    assert response.url == f"{reverse('login')}?{urlencode({'next': reverse('home')})}"


def test_a_page_from_another_site_is_never_where_the_login_leads(client, coach):
    response = client.post(FORM_PAGE, {"summary": "x"}, HTTP_REFERER="https://elsewhere.example/coaching/")
    assert response.url == f"{reverse('login')}?{urlencode({'next': reverse('home')})}"


def test_after_logging_in_again_she_is_on_the_form_not_an_error_page(client, coach, patient):
    _autosave(client, summary="x")  # not logged in: nothing saved
    response = client.post(
        reverse("coaching:draft_save", args=["encounter"]),
        {"summary": "x"},
        HTTP_REFERER=f"http://testserver{FORM_PAGE}",
    )
    answer = client.post(
        response.url, {"username": coach.username, "password": TEST_PASSWORD, "next": FORM_PAGE}, follow=True
    )
    assert answer.status_code == 200
    assert answer.redirect_chain[-1][0] == FORM_PAGE


def test_a_page_opened_after_the_session_ended_leads_back_to_itself(client, coach):
    response = client.get(FORM_PAGE)
    assert response.url == f"{reverse('login')}?next={FORM_PAGE}"


def test_logging_out_still_leads_to_the_plain_login_page(client_for, coach):
    response = client_for(coach).post(reverse("logout"), HTTP_REFERER=f"http://testserver{FORM_PAGE}")
    assert response.url == reverse("login")


def test_the_pages_with_long_forms_keep_typing_on_the_phone(client_for, coach, patient):
    page = client_for(coach).get(reverse("coaching:encounter_new")).content.decode()
    assert "data-keep" in page
    assert f'data-autosave="{reverse("coaching:draft_save", args=["encounter"])}"' in page
    assert "Your session ended.</strong> What you typed is kept on this phone." in page
    assert 'aria-live="polite"' in page


def test_with_two_step_login_she_gives_her_code_and_is_back_on_the_form(client, coach, patient):
    client.force_login(coach)
    device, _codes = _turn_on(client, coach)
    client.logout()
    sent = client.post(
        reverse("coaching:draft_save", args=["encounter"]),
        {"summary": "x"},
        HTTP_REFERER=f"http://testserver{FORM_PAGE}",
    )
    logged_in = client.post(sent.url, {"username": coach.username, "password": TEST_PASSWORD, "next": FORM_PAGE})
    to_code = client.get(logged_in.url)
    assert to_code.url == f"{reverse('two_step_verify')}?next={FORM_PAGE}"
    with _a_minute_later():
        verified = client.post(to_code.url, {"code": _code(device)})
        assert verified.url == FORM_PAGE
        assert client.get(FORM_PAGE).status_code == 200


def test_her_own_note_is_kept_in_the_draft_and_offered_back(client_for, coach, patient, other_patient):
    client = client_for(coach)
    # Another coach's patient's note is not hers to keep, even typed under a forged name.
    notes = {f"note_{patient.pk}": "Roz asked about WIC.", f"note_{other_patient.pk}": "Not hers."}
    _autosave(client, summary="Group on sleep.", patients=[patient.pk, other_patient.pk], **notes)
    assert Draft.objects.get(user=coach).data[f"note_{patient.pk}"] == ["Roz asked about WIC."]
    assert f"note_{other_patient.pk}" not in Draft.objects.get(user=coach).data
    page = client.get(reverse("coaching:encounter_new")).content.decode()
    assert "Roz asked about WIC." in page


def test_her_own_note_in_a_draft_of_a_change_is_offered_back(client_for, coach, patient):
    client = client_for(coach)
    encounter = log_encounter(coach, [patient], notes={patient.pk: "First words."})
    draft = reverse("coaching:encounter_edit_draft", args=[encounter.pk])
    client.post(draft, {"summary": "", "patients": [patient.pk], f"note_{patient.pk}": "Better words."})
    page = client.get(reverse("coaching:encounter_edit", args=[encounter.pk])).content.decode()
    assert "Better words." in page
    assert "First words." not in page
