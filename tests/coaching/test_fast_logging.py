"""Logging an encounter from where she is: "when did it start?", the patient chosen for her, and what a new coach
sees before she has a caseload."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from coaching.forms import KIND_SHORT_LABELS, EncounterForm
from coaching.models import Draft, Encounter, EncounterKind
from patients.models import Patient, ProgramStatus
from staff.models import Program
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _form(*patients, **overrides):
    data = {
        "kind": EncounterKind.FAMILY_RESOURCE,
        "started": "30",
        "duration_minutes": "30",
        "patients": [p.pk for p in patients],
        "summary": "Went with her to the Family Resource Center for diapers and a car seat.",
    }
    return data | overrides


@pytest.fixture
def new_york(program):
    Program.objects.filter(pk=program.pk).update(time_zone="America/New_York")
    return program


def _logged(client, coach, patient, **overrides) -> Encounter:
    response = client.post(reverse("coaching:encounter_new"), _form(patient, **overrides))
    assert response.status_code == 302, response.content.decode()
    return Encounter.objects.get(coach=coach)


# When did it start?


@pytest.mark.parametrize(("started", "minutes_ago"), [("0", 0), ("30", 30), ("60", 60)])
def test_the_start_is_counted_back_from_when_she_saves_not_when_she_opened_the_form(
    client_for, coach, patient, started, minutes_ago
):
    opened = datetime.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)
    with time_machine.travel(opened, tick=False):
        # Logged in when she opens the form: a session from the suite's own start (--clock) may have run out.
        client = client_for(coach)
        client.get(reverse("coaching:encounter_new"))
    saved = opened + datetime.timedelta(minutes=25)  # she typed for 25 minutes
    with time_machine.travel(saved, tick=False):
        encounter = _logged(client, coach, patient, started=started)
    assert encounter.occurred_at == saved - datetime.timedelta(minutes=minutes_ago)


@pytest.mark.parametrize(
    ("saved", "started", "local_start"),
    [
        # New York, Mar 8 2026: 2:00 becomes 3:00. At 3:10, an hour ago was 1:10 (not 2:10, which never was).
        (datetime.datetime(2026, 3, 8, 7, 10, tzinfo=UTC), "60", "Mar 08 01:10 EST"),
        (datetime.datetime(2026, 3, 8, 7, 10, tzinfo=UTC), "30", "Mar 08 01:40 EST"),
        # Nov 1 2026: 2:00 becomes 1:00 again. At the second 1:20, an hour ago was the first 1:20.
        (datetime.datetime(2026, 11, 1, 6, 20, tzinfo=UTC), "60", "Nov 01 01:20 EDT"),
        (datetime.datetime(2026, 11, 1, 6, 20, tzinfo=UTC), "30", "Nov 01 01:50 EDT"),
    ],
)
def test_minutes_ago_are_real_minutes_across_a_change_of_the_clocks(
    client_for, coach, patient, new_york, saved, started, local_start
):
    with time_machine.travel(saved, tick=False):
        encounter = _logged(client_for(coach), coach, patient, started=started)
    assert saved - encounter.occurred_at == datetime.timedelta(minutes=int(started))
    assert f"{encounter.occurred_at.astimezone(NEW_YORK):%b %d %H:%M %Z}" == local_start


@time_machine.travel(datetime.datetime(2026, 6, 10, 16, 0, tzinfo=UTC), tick=False)
def test_another_time_is_read_in_her_programs_zone(client_for, coach, patient, new_york):
    encounter = _logged(client_for(coach), coach, patient, started="pick", date="2026-06-10", start_time="09:15")
    assert encounter.occurred_at == datetime.datetime(2026, 6, 10, 13, 15, tzinfo=UTC)  # 9:15 EDT


@time_machine.travel(datetime.datetime(2026, 3, 8, 17, 0, tzinfo=UTC), tick=False)
def test_another_time_the_clocks_skipped_is_refused_next_to_the_time(client_for, coach, patient, new_york):
    response = client_for(coach).post(
        reverse("coaching:encounter_new"), _form(patient, started="pick", date="2026-03-08", start_time="02:30")
    )
    assert response.context["form"].errors["start_time"] == [
        "There is no 02:30 on Mar 8: the clocks skipped that hour. Check the time."
    ]
    assert not Encounter.objects.exists()


@time_machine.travel(datetime.datetime(2026, 6, 10, 16, 0, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"started": "pick", "date": "2026-06-10", "start_time": "14:00"}, "date", "cannot be in the future"),
        ({"started": "pick", "date": "2026-06-11", "start_time": "08:00"}, "date", "cannot be in the future"),
        ({"started": ""}, "started", "Choose when it started."),
        ({"started": "-30"}, "started", "That choice for “When did it start?” is no longer offered"),
        ({"started": "pick", "start_time": ""}, "started", "Type the date and the time it started."),
    ],
)
def test_a_start_in_the_future_or_not_given_is_refused(client_for, coach, patient, new_york, overrides, field, message):
    response = client_for(coach).post(reverse("coaching:encounter_new"), _form(patient, **overrides))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Encounter.objects.exists()


def test_the_form_asks_when_it_started_and_answers_nothing_for_her(client_for, coach, patient):
    response = client_for(coach).get(reverse("coaching:encounter_new"))
    page = response.content.decode()
    assert "When did it start?" in page
    for label in ("Now", "30 minutes ago", "1 hour ago", "Another time"):
        assert f"{label}</label>" in page
    assert response.context["form"]["started"].value() is None


def test_a_change_keeps_the_time_she_logged(client_for, coach, patient):
    client = client_for(coach)
    encounter = _logged(client, coach, patient)
    initial = client.get(reverse("coaching:encounter_edit", args=[encounter.pk])).context["form"].initial
    assert initial["started"] == "pick"
    assert initial["start_time"] is not None


def test_every_kind_has_a_label_short_enough_for_a_small_phone():
    assert set(KIND_SHORT_LABELS) == set(EncounterKind)
    assert all(len(label) <= 24 for label in KIND_SHORT_LABELS.values())
    assert EncounterForm.base_fields["kind"].choices[0] == ("", "Choose one")


# The patient chosen for her


def test_from_her_patients_page_the_patient_is_chosen_already(client_for, coach, patient, three_of_hers):
    response = client_for(coach).get(reverse("coaching:encounter_new"), {"patient": patient.pk})
    assert response.context["form"].initial["patients"] == [patient.pk]
    page = response.content.decode()
    assert f'value="{patient.pk}" data-search="Find a name" id="id_patients_' in page
    assert page.count("checked") == 1


@pytest.mark.parametrize("whose", ["other_patient", "outside_patient", "discharged"])
def test_a_patient_not_of_her_caseload_is_never_chosen_nor_shown(request, client_for, coach, patient, whose):
    if whose == "discharged":
        forged = patient
        Patient.objects.filter(pk=patient.pk).update(status=ProgramStatus.DISCHARGED)  # her caseload is now empty
    else:
        forged = request.getfixturevalue(whose)
    response = client_for(coach).get(reverse("coaching:encounter_new"), {"patient": forged.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert forged.legal_name not in page
    if "form" in response.context:
        assert response.context["form"].initial["patients"] == []


@pytest.mark.parametrize("garbage", ["", "abc", "-1", "0", "1e3", "9" * 30, "١٢", "1 ", "\x00"])
def test_a_garbled_patient_in_the_address_is_ignored(client_for, coach, patient, garbage):
    response = client_for(coach).get(reverse("coaching:encounter_new"), {"patient": garbage})
    assert response.status_code == 200
    assert response.context["form"].initial["patients"] == []


def test_her_patients_page_and_caseload_offer_to_log_with_her(client_for, coach, patient):
    client = client_for(coach)
    link = f"{reverse('coaching:encounter_new')}?patient={patient.pk}"
    assert link in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert link in client.get(reverse("patients:list")).content.decode()


def test_a_supervisor_is_not_offered_to_log(client_for, supervisor, patient):
    client = client_for(supervisor)
    for url in (reverse("patients:detail", args=[patient.pk]), reverse("patients:list")):
        assert "Log an encounter with her" not in client.get(url).content.decode()


def test_no_offer_to_log_with_a_discharged_patient(client_for, coach, patient):
    Patient.objects.filter(pk=patient.pk).update(status=ProgramStatus.DISCHARGED)
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Log an encounter with her" not in page


# A new coach


@pytest.mark.parametrize("url_name", ["coaching:encounter_new", "coaching:concern_new"])
def test_a_new_coach_is_told_what_to_do_next_not_shown_an_empty_list(client_for, coach, url_name):
    response = client_for(coach).get(reverse(url_name))
    page = response.content.decode()
    assert response.status_code == 200
    assert "No patients are on your caseload yet" in page
    assert '<form method="post" class="card"' not in page


def test_a_new_coachs_home_says_what_to_do_next(client_for, coach):
    page = client_for(coach).get(reverse("home")).content.decode()
    assert "What to do next" in page
    assert ">Log an encounter</a>" not in page


def test_a_coach_with_a_caseload_gets_the_quick_actions(client_for, coach, patient):
    page = client_for(coach).get(reverse("home")).content.decode()
    assert "What to do next" not in page
    assert ">Log an encounter</a>" in page


@pytest.fixture
def three_of_hers(coach, supervisor):
    others = PatientFactory.create_batch(3, program=coach.program, clinical_provider=supervisor)
    for other in others:
        on_caseload_of(other, coach)
    return others


def test_a_kept_draft_asks_again_when_it_started(client_for, coach, patient):
    Draft.objects.create(user=coach, form=Draft.Form.ENCOUNTER, data={"started": ["30"], "summary": ["half"]})
    form = client_for(coach).get(reverse("coaching:encounter_new")).context["form"]
    assert form["started"].value() is None
    assert form["summary"].value() == "half"
