"""A group encounter: a shared note about the group, and each woman's own note, in her record only."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from coaching.models import Encounter, EncounterKind, EncounterNote
from coaching.services import NOTHING_WRITTEN, encounter_update
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import PatientFactory, log_encounter, on_caseload_of

pytestmark = pytest.mark.django_db

SHARED = "Group on sleep after the baby comes."
ABOUT_ROZ = "Roz said the night feeds are hard; <b>asked</b> about WIC."
ABOUT_JUNE = "June is moving in with her sister next week."


@pytest.fixture
def june(coach, supervisor):
    june = PatientFactory(program=coach.program, legal_name="June Marlow", clinical_provider=supervisor)
    on_caseload_of(june, coach)
    return june


@pytest.fixture
def group(coach, patient, june):
    return log_encounter(
        coach,
        [patient, june],
        kind=EncounterKind.GROUP,
        summary=SHARED,
        notes={patient.pk: ABOUT_ROZ, june.pk: ABOUT_JUNE},
    )


def _her_view(client, encounter, woman):
    return client.get(reverse("coaching:encounter_detail", args=[encounter.pk]) + f"?patient={woman.pk}")


def _form(*patients, notes=None, **overrides):
    now = timezone.localtime()
    data = {
        "kind": EncounterKind.GROUP,
        "started": "60",
        "duration_minutes": "90",
        "place": "Clinic group room",
        "patients": [p.pk for p in patients],
        "summary": SHARED,
        "resources_other": "",
        "date": now.date().isoformat(),
    }
    data |= {f"note_{pk}": text for pk, text in (notes or {}).items()}
    return data | overrides


# --- Her record shows the shared note, her own note and "a group of 2", never the other woman ----------------


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_her_part_of_a_group_encounter_names_no_one_else(client, request, group, patient, june, who):
    client.force_login(request.getfixturevalue(who))
    roz_page = _her_view(client, group, patient).content.decode()
    assert SHARED in roz_page
    assert "Roz said the night feeds are hard; &lt;b&gt;asked&lt;/b&gt; about WIC." in roz_page  # escaped
    assert "in a group of 2" in roz_page
    assert "June" not in roz_page
    assert ABOUT_JUNE not in roz_page
    june_page = _her_view(client, group, june).content.decode()
    assert ABOUT_JUNE in june_page
    assert "Rosalind" not in june_page
    assert "Roz" not in june_page
    assert "night feeds" not in june_page


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_her_list_of_encounters_says_group_of_two_without_the_other_name(client, request, group, patient, june, who):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("coaching:encounter_list") + f"?patient={june.pk}").content.decode()
    assert "June Marlow, in a group of 2" in page
    assert f"?patient={june.pk}" in page
    assert "Rosalind" not in page
    assert "Roz" not in page


def test_the_whole_encounter_shows_its_coach_each_woman_with_her_note(client, coach, group, patient, june):
    client.force_login(coach)
    page = client.get(reverse("coaching:encounter_detail", args=[group.pk])).content.decode()
    assert "Rosalind Avery" in page
    assert "June Marlow" in page
    assert ABOUT_JUNE in page
    assert f"?patient={june.pk}" in page


def test_her_view_of_an_encounter_she_was_not_at_is_a_404(client, coach, group, other_patient):
    client.force_login(coach)
    assert _her_view(client, group, other_patient).status_code == 404
    page = client.get(reverse("coaching:encounter_detail", args=[group.pk]) + "?patient=garbage")
    assert page.status_code == 404


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_no_one_else_opens_her_part_of_it(client, request, group, patient, who):
    client.force_login(request.getfixturevalue(who))
    assert _her_view(client, group, patient).status_code == 404


def test_reading_her_part_writes_an_access_log_row_about_her_alone(client, supervisor, group, patient, june):
    client.force_login(supervisor)
    _her_view(client, group, june)
    rows = AccessLog.objects.filter(user=supervisor, action=AccessAction.VIEW, record_type="encounter")
    assert list(rows.values_list("patient_id", flat=True)) == [june.pk]


def test_a_concern_from_a_group_encounter_links_to_her_part_of_it(client, coach, group, june):
    client.force_login(coach)
    created = client.post(
        reverse("coaching:concern_new"),
        {
            "patient": june.pk,
            "category": "basic_needs",
            "description": "Housing.",
            "urgency": "routine",
            "encounter": group.pk,
        },
    )
    assert created.status_code == 302
    page = client.get(created.url).content.decode()
    assert reverse("coaching:encounter_detail", args=[group.pk]) + f"?patient={june.pk}" in page


# --- The rules, in the service --------------------------------------------------------------------------------


def test_an_encounter_with_nothing_written_is_refused(coach, patient, june):
    with pytest.raises(ValidationError) as refused:
        log_encounter(coach, [patient, june], summary="  ", notes={patient.pk: "", june.pk: " "})
    assert refused.value.message_dict == {"summary": [NOTHING_WRITTEN]}
    assert not Encounter.objects.exists()


def test_own_notes_alone_or_a_shared_note_alone_are_enough(coach, patient, june):
    only_hers = log_encounter(coach, [patient, june], summary="", notes={june.pk: ABOUT_JUNE})
    only_shared = log_encounter(coach, [patient, june], summary=SHARED)
    assert only_hers.notes.get().text == ABOUT_JUNE
    assert not only_shared.notes.exists()


@pytest.mark.parametrize("shared", ["Roz and the others talked.", "Sleep, with Avery leading.", "June spoke first."])
def test_a_group_note_that_names_a_woman_on_it_is_refused(coach, patient, june, shared):
    with pytest.raises(ValidationError) as refused:
        log_encounter(coach, [patient, june], summary=shared)
    assert "Write about her in her own note instead" in refused.value.message_dict["summary"][0]


def test_a_one_woman_encounter_may_name_her_in_what_happened(coach, patient):
    assert log_encounter(coach, [patient], summary="Roz and I walked to the park.").summary


def test_a_note_for_a_woman_not_on_it_is_not_kept(coach, patient, other_patient):
    encounter = log_encounter(coach, [patient], summary="", notes={patient.pk: "Hers.", other_patient.pk: "No."})
    assert list(encounter.notes.values_list("patient_id", flat=True)) == [patient.pk]


def test_a_woman_taken_off_keeps_her_note_unseen_and_finds_it_when_put_back(coach, group, patient, june):
    actor = Actor(coach, None)
    encounter_update(actor=actor, encounter=group, fields={}, patients=[patient], resources=[])
    assert EncounterNote.objects.get(encounter=group, patient=june).text == ABOUT_JUNE
    assert list(group.patients.all()) == [patient]
    encounter_update(actor=actor, encounter=group, fields={}, patients=[patient, june], resources=[])
    assert EncounterNote.objects.get(encounter=group, patient=june).text == ABOUT_JUNE


def test_changing_her_note_keeps_what_it_said_in_the_history(coach, group, june, patient):
    encounter_update(
        actor=Actor(coach, None),
        encounter=group,
        fields={},
        patients=[patient, june],
        resources=[],
        notes={patient.pk: ABOUT_ROZ, june.pk: "Moving next month."},
    )
    note = EncounterNote.objects.get(encounter=group, patient=june)
    assert [event.text for event in note.events.order_by("pgh_id")] == [ABOUT_JUNE, "Moving next month."]


def test_a_note_is_never_deleted(group):
    with pytest.raises(ProgrammingError), transaction.atomic():
        EncounterNote.objects.filter(encounter=group).delete()


# --- The form ---------------------------------------------------------------------------------------------------


def test_the_form_saves_each_womans_own_note(client, coach, patient, june):
    client.force_login(coach)
    response = client.post(
        reverse("coaching:encounter_new"), _form(patient, june, notes={patient.pk: ABOUT_ROZ, june.pk: ABOUT_JUNE})
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert dict(encounter.notes.values_list("patient_id", "text")) == {patient.pk: ABOUT_ROZ, june.pk: ABOUT_JUNE}


def test_the_form_says_next_to_the_group_note_when_it_names_a_woman(client, coach, patient, june):
    client.force_login(coach)
    response = client.post(reverse("coaching:encounter_new"), _form(patient, june, summary="June cried."))
    assert response.status_code == 200
    assert "The note about the group names June" in response.content.decode()
    assert "June cried." in response.content.decode()  # what she typed is kept
    assert not Encounter.objects.exists()


def test_the_form_asks_for_something_written(client, coach, patient, june):
    client.force_login(coach)
    response = client.post(reverse("coaching:encounter_new"), _form(patient, june, summary=""))
    assert escape(NOTHING_WRITTEN) in response.content.decode()
    assert not Encounter.objects.exists()


def test_the_change_form_shows_her_notes_back(client, coach, group):
    client.force_login(coach)
    page = client.get(reverse("coaching:encounter_edit", args=[group.pk])).content.decode()
    assert ABOUT_JUNE in page
    assert "Her own note: June Marlow" in page


# --- Group encounters logged before notes were per woman --------------------------------------------------------

migration = importlib.import_module("coaching.migrations.0010_group_notes_before_per_woman")


def _migrate(direction):
    from django.apps import apps

    direction(apps, None)


def test_old_group_text_is_kept_for_supervisors_only_and_the_move_reverses(
    client, coach, supervisor, patient, june, group
):
    Encounter.objects.filter(pk=group.pk).update(summary="Roz and June both came, June upset.")
    one_woman = log_encounter(coach, [patient], summary="Roz alone.")
    _migrate(migration.keep_for_supervisors)
    group.refresh_from_db()
    assert (group.summary, group.note_before_per_woman) == ("", "Roz and June both came, June upset.")
    assert Encounter.objects.get(pk=one_woman.pk).summary == "Roz alone."

    client.force_login(supervisor)
    whole = client.get(reverse("coaching:encounter_detail", args=[group.pk])).content.decode()
    assert "Note written before notes were per woman" in whole
    assert "June upset" in whole
    assert "June upset" not in _her_view(client, group, patient).content.decode()
    client.force_login(coach)
    assert "June upset" not in client.get(reverse("coaching:encounter_detail", args=[group.pk])).content.decode()

    _migrate(migration.put_back)
    group.refresh_from_db()
    assert (group.summary, group.note_before_per_woman) == ("Roz and June both came, June upset.", "")
