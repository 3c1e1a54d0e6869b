"""Logging encounters from a phone: who may see, log, change and correct them."""

from __future__ import annotations

import datetime

import pghistory.models
import pytest
import time_machine
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.models import Addendum, Draft, Encounter, EncounterKind
from recovery_program.models import AccessAction, AccessLog
from tests.factories import PatientFactory, log_encounter, on_caseload_of

pytestmark = pytest.mark.django_db


def _form(*patients, **overrides):
    now = timezone.localtime()
    data = {
        "kind": EncounterKind.GROUP,
        "date": now.date().isoformat(),
        "start_time": (now - datetime.timedelta(hours=1)).strftime("%H:%M"),
        "duration_minutes": "90",
        "place": "Clinic group room",
        "patients": [p.pk for p in patients],
        "summary": "Group on cravings after the baby comes.",
        "resources_other": "",
    }
    if (now - datetime.timedelta(hours=1)).date() != now.date():  # just after midnight
        data["date"] = (now - datetime.timedelta(hours=1)).date().isoformat()
    return data | overrides


@pytest.fixture
def three_patients(coach, supervisor, patient):
    others = PatientFactory.create_batch(2, program=coach.program, clinical_provider=supervisor)
    for other in others:
        on_caseload_of(other, coach)
    return [patient, *others]


def test_coach_logs_a_group_session_with_three_patients(client_for, coach, three_patients):
    response = client_for(coach).post(reverse("coaching:encounter_new"), _form(*three_patients))
    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("coaching:encounter_detail", args=[encounter.pk])
    assert set(encounter.patients.all()) == set(three_patients)
    assert encounter.coach == coach
    # One row for the session, naming each of the three.
    created = AccessLog.objects.get(action=AccessAction.CREATE, record_type="encounter")
    assert created.patient_ids == sorted(p.pk for p in three_patients)


def test_the_form_offers_only_her_caseload(client_for, coach, patient, other_patient, outside_patient):
    form = client_for(coach).get(reverse("coaching:encounter_new")).context["form"]
    assert list(form.fields["patients"].queryset) == [patient]


def test_the_form_starts_with_now_and_the_kind_she_logged_last(client_for, coach, patient):
    log_encounter(coach, [patient], kind=EncounterKind.TWELVE_STEP, duration_minutes=75)
    initial = client_for(coach).get(reverse("coaching:encounter_new")).context["form"].initial
    assert initial["kind"] == EncounterKind.TWELVE_STEP
    assert initial["duration_minutes"] == 75
    assert initial["date"] == timezone.localdate()


@pytest.mark.parametrize("whose", ["other_patient", "outside_patient"])
def test_a_forged_patient_id_is_not_found_and_nothing_is_stored(request, client_for, coach, patient, whose):
    forged = request.getfixturevalue(whose)
    response = client_for(coach).post(reverse("coaching:encounter_new"), _form(patient, forged))
    assert response.status_code == 404
    assert not Encounter.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date": "2999-01-01"}, "cannot be in the future"),
        ({"date": "2020-01-01"}, "more than a year ago"),
        ({"patients": []}, "Pick at least one person who was there"),
        ({"summary": "x" * 20_001}, "longer than 20000 characters"),
        ({"duration_minutes": "0"}, "no smaller than 1"),
        ({"naloxone_kits": "99"}, "no larger than 20"),
        ({"test_strips": "-2"}, "no smaller than 0"),
    ],
)
def test_bad_input_is_explained_and_everything_typed_is_kept(client_for, coach, patient, overrides, message):
    data = _form(patient, place="Maple Street coffee shop") | overrides
    response = client_for(coach).post(reverse("coaching:encounter_new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Maple Street coffee shop" in page
    if "summary" in overrides:
        assert "x" * 20_001 in page
    assert not Encounter.objects.exists()


def test_with_htmx_a_mistake_swaps_only_the_form_back_in(client_for, coach, patient):
    response = client_for(coach).post(
        reverse("coaching:encounter_new"), _form(patient, date="2999-01-01"), HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith("<form")
    assert "cannot be in the future" in page
    assert "Group on cravings" in page


def test_with_htmx_a_saved_encounter_sends_the_browser_on(client_for, coach, patient):
    response = client_for(coach).post(reverse("coaching:encounter_new"), _form(patient), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("coaching:encounter_detail", args=[Encounter.objects.get().pk])


def test_saving_the_encounter_clears_her_draft(client_for, coach, patient):
    Draft.objects.create(user=coach, form=Draft.Form.ENCOUNTER, data={"summary": ["half"]})
    client_for(coach).post(reverse("coaching:encounter_new"), _form(patient))
    assert not Draft.objects.exists()


# Who sees encounters


def test_coach_sees_her_own_encounters_only(client_for, coach, other_coach, patient, other_patient):
    log_encounter(coach, [patient], summary="Mine")
    log_encounter(other_coach, [other_patient], summary="Hers")
    response = client_for(coach).get(reverse("coaching:encounter_list"))
    assert [e.summary for e in response.context["page"]] == ["Mine"]


def test_supervisor_sees_every_encounter_of_her_program(
    client_for, supervisor, coach, other_coach, patient, other_patient
):
    log_encounter(coach, [patient])
    log_encounter(other_coach, [other_patient])
    assert len(client_for(supervisor).get(reverse("coaching:encounter_list")).context["page"]) == 2


@pytest.mark.parametrize(("who", "status"), [("other_coach", 404), ("outside_supervisor", 404), ("admin", 404)])
def test_outsiders_cannot_open_an_encounter(request, client_for, coach, patient, who, status):
    encounter = log_encounter(coach, [patient])
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("coaching:encounter_detail", args=[encounter.pk])).status_code == status


def test_admin_has_no_encounter_list(client_for, admin):
    assert client_for(admin).get(reverse("coaching:encounter_list")).status_code == 404


def test_each_view_of_an_encounter_is_logged_for_each_patient(client_for, coach, three_patients):
    encounter = log_encounter(coach, three_patients)
    client_for(coach).get(reverse("coaching:encounter_detail", args=[encounter.pk]))
    views = AccessLog.objects.filter(action=AccessAction.VIEW, record_type="encounter", record_id=str(encounter.pk))
    for patient in three_patients:
        assert views.about(patient.pk).count() == 1


def test_her_words_show_as_text_never_as_markup(client_for, coach, patient):
    encounter = log_encounter(coach, [patient], summary="<script>alert('x')</script>")
    page = client_for(coach).get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_however_many_encounters(
    client_for, coach, three_patients, count, django_assert_max_num_queries
):
    for _ in range(count):
        log_encounter(coach, three_patients)
    client = client_for(coach)
    with django_assert_max_num_queries(16):
        client.get(reverse("coaching:encounter_list"))


# Changing, addenda, entered in error


def test_coach_changes_her_encounter_within_72_hours_and_the_history_keeps_the_old_text(client_for, coach, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        encounter = log_encounter(coach, [patient], summary="First words", occurred_at=start)
    with time_machine.travel(start + datetime.timedelta(hours=71), tick=False):
        data = _form(patient, summary="Better words")
        data["date"] = timezone.localtime(start).date().isoformat()
        data["start_time"] = timezone.localtime(start).strftime("%H:%M")
        data["version"] = encounter.version
        response = client_for(coach).post(reverse("coaching:encounter_edit", args=[encounter.pk]), data)
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.summary == "Better words"
    summaries = pghistory.models.Events.objects.tracks(encounter).values_list("pgh_data__summary", flat=True)
    assert "First words" in list(summaries)


def test_after_72_hours_a_change_is_refused_and_she_is_offered_an_addendum(client_for, coach, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        encounter = log_encounter(coach, [patient], summary="First words", occurred_at=start)
    with time_machine.travel(start + datetime.timedelta(hours=73), tick=False):
        client = client_for(coach)
        response = client.post(reverse("coaching:encounter_edit", args=[encounter.pk]), _form(patient, summary="Late"))
        page = client.get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
    assert response.status_code == 302
    assert response.url == reverse("coaching:encounter_addendum", args=[encounter.pk])
    encounter.refresh_from_db()
    assert encounter.summary == "First words"
    assert reverse("coaching:encounter_edit", args=[encounter.pk]) not in page
    assert "Add an addendum" in page


def test_an_addendum_is_dated_signed_and_shown_under_the_original(client_for, coach, patient):
    encounter = log_encounter(coach, [patient], summary="Original")
    client = client_for(coach)
    client.post(reverse("coaching:encounter_addendum", args=[encounter.pk]), {"text": "She also mentioned WIC."})
    page = client.get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
    assert page.index("Original") < page.index("She also mentioned WIC.")
    assert f"signed {coach.get_full_name()}" in page


def test_an_addendum_cannot_be_changed_even_in_the_database(coach, patient):
    encounter = log_encounter(coach, [patient])
    addendum = Addendum.objects.create(encounter=encounter, author=coach, text="Added")
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE coaching_addendum SET text = 'changed' WHERE id = %s", [addendum.pk])


def test_entered_in_error_keeps_the_encounter_with_its_reason(client_for, coach, patient):
    encounter = log_encounter(coach, [patient])
    client = client_for(coach)
    client.post(reverse("coaching:encounter_error", args=[encounter.pk]), {"reason": "Wrong patient"})
    encounter.refresh_from_db()
    assert encounter.is_entered_in_error
    page = client.get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
    assert "Entered in error" in page
    assert "Wrong patient" in page
    assert Encounter.objects.filter(pk=encounter.pk).exists()


def test_an_encounter_cannot_be_hard_deleted(coach, patient):
    encounter = log_encounter(coach, [patient])
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM coaching_encounter WHERE id = %s", [encounter.pk])


@pytest.mark.parametrize(("who", "status"), [("supervisor", 404), ("other_coach", 404)])
def test_only_her_coach_changes_an_encounter(request, client_for, coach, patient, who, status):
    encounter = log_encounter(coach, [patient])
    user = request.getfixturevalue(who)
    client = client_for(user)
    for name in ("encounter_edit", "encounter_addendum", "encounter_error"):
        assert client.get(reverse(f"coaching:{name}", args=[encounter.pk])).status_code == status


def test_a_reassigned_patient_cannot_be_added_to_her_next_encounter(
    client_for, coach, other_coach, supervisor, patient
):
    from patients.services import assignment_start
    from recovery_program.audit import Actor

    assignment_start(actor=Actor(supervisor, None), patient=patient, coach=other_coach, started_on=timezone.localdate())
    response = client_for(coach).post(reverse("coaching:encounter_new"), _form(patient))
    assert response.status_code == 404


def test_encounters_with_one_patient(client_for, coach, patient, three_patients):
    log_encounter(coach, [patient], summary="Just her")
    log_encounter(coach, three_patients[1:], summary="The others")
    response = client_for(coach).get(reverse("coaching:encounter_list"), {"patient": patient.pk})
    assert [e.summary for e in response.context["page"]] == ["Just her"]


def test_encounters_of_a_patient_out_of_reach_are_not_found(client_for, coach, other_patient):
    assert client_for(coach).get(reverse("coaching:encounter_list"), {"patient": other_patient.pk}).status_code == 404


def test_supervisor_sees_one_coachs_encounters(client_for, supervisor, coach, other_coach, patient, other_patient):
    log_encounter(coach, [patient], summary="Hers")
    log_encounter(other_coach, [other_patient], summary="Other")
    response = client_for(supervisor).get(reverse("coaching:encounter_list"), {"coach": other_coach.pk})
    assert [e.summary for e in response.context["page"]] == ["Other"]


def test_she_records_the_naloxone_kits_and_test_strips_she_handed_out(client_for, coach, patient):
    client = client_for(coach)
    client.post(reverse("coaching:encounter_new"), _form(patient, naloxone_kits="2", test_strips="10"))
    encounter = Encounter.objects.get()
    assert (encounter.naloxone_kits, encounter.test_strips) == (2, 10)
    page = client.get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
    assert "2 naloxone kits · 10 fentanyl test strips" in page


def test_left_empty_nothing_was_handed_out(client_for, coach, patient):
    client_for(coach).post(reverse("coaching:encounter_new"), _form(patient))
    assert Encounter.objects.values_list("naloxone_kits", "test_strips").get() == (0, 0)
