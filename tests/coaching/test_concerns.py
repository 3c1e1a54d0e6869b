"""Concerns go from the coach who shares them to her program's supervisors, and to no one else."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from coaching.models import Concern, ConcernStatus, Urgency
from recovery_program.models import AccessAction, AccessLog
from tests.factories import log_encounter, share_concern

pytestmark = pytest.mark.django_db


def _share(client, patient, **overrides):
    data = {
        "patient": patient.pk,
        "category": "child_safety",
        "description": "She left the baby alone.",
        "urgency": "within_24h",
    }
    return client.post(reverse("coaching:concern_new"), data | overrides)


def test_coach_shares_a_concern_about_her_patient(client_for, coach, patient):
    response = _share(client_for(coach), patient)
    concern = Concern.objects.get()
    assert response.url == reverse("coaching:concern_detail", args=[concern.pk])
    assert (concern.coach, concern.patient, concern.status) == (coach, patient, ConcernStatus.SHARED)
    assert AccessLog.objects.filter(action=AccessAction.CREATE, record_type="concern").exists()


def test_a_concern_from_an_encounter_offers_only_its_patients(client_for, coach, patient):
    encounter = log_encounter(coach, [patient])
    form = client_for(coach).get(reverse("coaching:concern_new"), {"encounter": encounter.pk}).context["form"]
    assert list(form.fields["patient"].queryset) == [patient]


@pytest.mark.parametrize("whose", ["other_patient", "outside_patient"])
def test_a_concern_about_someone_elses_patient_is_not_found(request, client_for, coach, whose):
    forged = request.getfixturevalue(whose)
    assert _share(client_for(coach), forged).status_code == 404
    assert client_for(coach).get(reverse("coaching:concern_new"), {"patient": forged.pk}).status_code == 404
    assert not Concern.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("coach", 200), ("supervisor", 200), ("other_coach", 404), ("outside_supervisor", 404), ("admin", 404)],
)
def test_who_can_open_a_concern(request, client_for, coach, patient, who, status):
    concern = share_concern(coach, patient)
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("coaching:concern_detail", args=[concern.pk])).status_code == status


@pytest.mark.parametrize("who", ["other_coach", "outside_supervisor"])
def test_a_concern_is_in_no_one_elses_list(request, client_for, coach, patient, who):
    share_concern(coach, patient)
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("coaching:concern_list")).context["page"].paginator.count == 0


def test_admin_has_no_concern_list(client_for, admin):
    assert client_for(admin).get(reverse("coaching:concern_list")).status_code == 404


def test_every_view_of_a_concern_is_logged(client_for, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    client_for(supervisor).get(reverse("coaching:concern_detail", args=[concern.pk]))
    assert AccessLog.objects.filter(action=AccessAction.VIEW, user=supervisor, record_id=str(concern.pk)).exists()


def test_the_queue_puts_the_most_urgent_and_oldest_first(client_for, supervisor, coach, patient):
    start = timezone.now()
    order = [("routine", 0), ("urgent_now", 1), ("within_24h", 2), ("urgent_now", 3), ("routine", 4)]
    concerns = {}
    for urgency, minutes in order:
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            concerns[(urgency, minutes)] = share_concern(coach, patient, urgency=urgency)
    queue = list(client_for(supervisor).get(reverse("coaching:concern_list")).context["page"])
    assert queue == [
        concerns[key]
        for key in [("urgent_now", 1), ("urgent_now", 3), ("within_24h", 2), ("routine", 0), ("routine", 4)]
    ]


def test_urgent_concerns_are_announced_on_every_supervisors_home(client_for, client, supervisor, coach, patient):
    from tests.factories import UserFactory

    second = UserFactory(program=supervisor.program, role="supervisor")
    share_concern(coach, patient, urgency=Urgency.URGENT_NOW)
    for user in (supervisor, second):
        client.force_login(user)
        assert "1 urgent concern needs you now" in client.get(reverse("home")).content.decode()


def test_supervisor_acknowledges_and_the_coach_sees_it_was_seen(client_for, client, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    client_for(supervisor).post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    concern.refresh_from_db()
    assert (concern.status, concern.acknowledged_by) == (ConcernStatus.SEEN, supervisor)
    assert concern.acknowledged_at is not None
    client.force_login(coach)
    assert "Seen by a supervisor" in client.get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()


def test_acknowledging_twice_keeps_the_first_time(client_for, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    client = client_for(supervisor)
    client.post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    first = Concern.objects.get().acknowledged_at
    client.post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    assert Concern.objects.get().acknowledged_at == first


def test_the_coach_sees_notes_to_her_and_that_it_closed_but_not_why(client_for, client, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    staff_client = client_for(supervisor)
    staff_client.post(reverse("coaching:concern_note", args=[concern.pk]), {"text": "Thank you, I will call her."})
    assert Concern.objects.get().status == ConcernStatus.IN_REVIEW
    staff_client.post(reverse("coaching:concern_close", args=[concern.pk]), {"reason": "Clinical team decided X"})
    client.force_login(coach)
    page = client.get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    assert "Thank you, I will call her." in page
    assert "Closed" in page
    assert "Clinical team decided X" not in page


@pytest.mark.parametrize("action", ["concern_acknowledge", "concern_note", "concern_close"])
def test_the_coach_cannot_act_on_her_own_concern(client_for, coach, patient, action):
    concern = share_concern(coach, patient)
    response = client_for(coach).post(reverse(f"coaching:{action}", args=[concern.pk]), {"text": "x", "reason": "x"})
    assert response.status_code == 404
    assert Concern.objects.get().status == ConcernStatus.SHARED


def test_a_supervisor_of_another_program_cannot_act_on_it(client_for, outside_supervisor, coach, patient):
    concern = share_concern(coach, patient)
    response = client_for(outside_supervisor).post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    assert response.status_code == 404


def test_an_empty_note_is_explained(client_for, supervisor, coach, patient):
    concern = share_concern(coach, patient)
    response = client_for(supervisor).post(reverse("coaching:concern_note", args=[concern.pk]), {"text": ""})
    assert response.status_code == 200
    assert "Fill in “Note to the coach”." in response.content.decode()


def test_the_coachs_pages_speak_of_sharing_never_of_reporting(client_for, coach, patient):
    concern = share_concern(coach, patient)
    client = client_for(coach)
    for url in (
        reverse("coaching:concern_new"),
        reverse("coaching:concern_detail", args=[concern.pk]),
        reverse("coaching:concern_list"),
        reverse("home"),
    ):
        page = client.get(url).content.decode().lower()
        assert "report" not in page, url
    assert "share" in client.get(reverse("coaching:concern_new")).content.decode().lower()


def test_very_long_text_is_refused_with_the_text_kept(client_for, coach, patient):
    response = _share(client_for(coach), patient, description="y" * 20_001)
    assert "longer than 20000 characters" in response.content.decode()
    assert "y" * 20_001 in response.content.decode()
    assert not Concern.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_runs_the_same_queries_however_many_concerns(
    client_for, supervisor, coach, patient, count, django_assert_max_num_queries
):
    for _ in range(count):
        share_concern(coach, patient)
    client = client_for(supervisor)
    with django_assert_max_num_queries(14):
        client.get(reverse("coaching:concern_list"))


def test_once_acknowledged_an_urgent_concern_no_longer_calls_for_everyone(
    client_for, client, supervisor, coach, patient
):
    concern = share_concern(coach, patient, urgency=Urgency.URGENT_NOW)
    client_for(supervisor).post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    page = client_for(supervisor).get(reverse("home")).content.decode()
    assert "need you now" not in page
    assert "needs you now" not in page
    queue = list(client_for(supervisor).get(reverse("coaching:concern_list")).context["page"])
    assert queue == [concern]  # still at the top of the queue until it is closed


def test_supervisor_narrows_the_queue_to_one_coach(client_for, supervisor, coach, other_coach, patient, other_patient):
    mine = share_concern(coach, patient)
    share_concern(other_coach, other_patient)
    response = client_for(supervisor).get(reverse("coaching:concern_list"), {"coach": coach.pk})
    assert list(response.context["page"]) == [mine]


def test_a_coach_of_another_program_cannot_be_asked_for(client_for, supervisor, outside_supervisor):
    response = client_for(supervisor).get(reverse("coaching:concern_list"), {"coach": outside_supervisor.pk})
    assert response.status_code == 404


def test_a_coach_asking_for_another_coach_still_sees_only_her_own(
    client_for, coach, other_coach, patient, other_patient
):
    mine = share_concern(coach, patient)
    share_concern(other_coach, other_patient)
    response = client_for(coach).get(reverse("coaching:concern_list"), {"coach": other_coach.pk})
    assert list(response.context["page"]) == [mine]
