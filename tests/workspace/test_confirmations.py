"""Deactivating someone, changing her role at once, turning off her two-step login and removing a training
requirement first say what will happen; only the button on that page does it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from coaching.models import Draft
from patients.models import CoachAssignment
from recovery_program.audit import Actor
from staff.models import StaffEvent, TrainingKind, TrainingRequirement, User
from staff.roles import Role
from supervision.services import supervision_assign
from tests.factories import PatientFactory, UserFactory, add_shift, on_caseload_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(program):
    return UserFactory(program=program, role=Role.ADMIN)


CONFIRMED = {"confirmed": "yes"}


def _caseload(coach, supervisor, size):
    for _ in range(size):
        on_caseload_of(PatientFactory(program=coach.program, clinical_provider=supervisor), coach)


def test_deactivating_a_coach_first_says_what_it_ends_and_changes_nothing(client_for, admin, coach, supervisor):
    _caseload(coach, supervisor, 3)
    Draft.objects.create(user=coach, form=Draft.Form.ENCOUNTER, data={"summary": "half a sentence"})

    page = client_for(admin).get(reverse("staff:deactivate", args=[coach.pk])).content.decode()

    assert "The 3 patients on her caseload are left without a coach" in page
    assert "Her unfinished draft is removed." in page
    assert "half a sentence" not in page
    assert User.objects.get(pk=coach.pk).is_active
    assert CoachAssignment.objects.filter(coach=coach, ended_on__isnull=True).count() == 3


def test_a_post_without_the_confirmation_only_shows_the_page(client_for, admin, coach):
    response = client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]))
    assert response.status_code == 200
    assert "Deactivate her account" in response.content.decode()
    assert User.objects.get(pk=coach.pk).is_active
    assert not StaffEvent.objects.filter(subject=coach, action=StaffEvent.Action.DEACTIVATED).exists()


def test_the_button_on_the_page_deactivates_her(client_for, admin, coach, patient):
    response = client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), CONFIRMED, follow=True)
    assert "can no longer log in" in response.content.decode()
    assert not User.objects.get(pk=coach.pk).is_active


def test_deactivating_a_supervisor_names_her_coaches_and_on_call_shifts(client_for, admin, coach, supervisor, program):
    supervision_assign(
        actor=Actor(admin, None),
        coach=coach,
        supervisor=supervisor,
        started_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    backup = UserFactory(program=program, role=Role.SUPERVISOR)
    now, day = timezone.now(), datetime.timedelta(days=1)
    add_shift(program, supervisor, backup, now - 2 * day, now - day)  # over: not counted
    add_shift(program, backup, supervisor, now - day, now + day)
    add_shift(program, supervisor, backup, now + day, now + 2 * day)

    page = client_for(admin).get(reverse("staff:deactivate", args=[supervisor.pk])).content.decode()

    assert "A coach has her as supervisor: give the coach another supervisor" in page
    assert "She is on 2 on-call shifts from now on" in page


def test_an_account_already_deactivated_is_not_asked_again(client_for, admin, coach):
    client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), CONFIRMED)
    response = client_for(admin).get(reverse("staff:deactivate", args=[coach.pk]), follow=True)
    assert "already deactivated" in response.content.decode()


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_an_admin_reaches_the_deactivation_page(client_for, who, request, other_coach):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("staff:deactivate", args=[other_coach.pk])).status_code == 404


def test_the_deactivation_page_runs_the_same_queries_whatever_her_caseload(
    client_for, admin, coach, supervisor, django_assert_max_num_queries
):
    client = client_for(admin)
    _caseload(coach, supervisor, 1)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("staff:deactivate", args=[coach.pk]))
    _caseload(coach, supervisor, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("staff:deactivate", args=[coach.pk]))


def test_making_a_coach_admin_first_says_her_caseload_ends(client_for, admin, coach, patient):
    response = client_for(admin).post(reverse("staff:role", args=[coach.pk]), {"role": "admin"})
    page = response.content.decode()
    assert "She is admin from now on (today she is coach)." in page
    assert "The patient on her caseload is left without a coach" in page
    assert "She no longer sees any patient&#x27;s record." in page
    assert User.objects.get(pk=coach.pk).role == Role.COACH

    client_for(admin).post(reverse("staff:role", args=[coach.pk]), {"role": "admin", **CONFIRMED})
    assert User.objects.get(pk=coach.pk).role == Role.ADMIN


def test_turning_off_a_coachs_two_step_login_first_says_it_is_a_proposal(client_for, admin, coach):
    TOTPDevice.objects.create(user=coach, name="phone", confirmed=True)
    page = client_for(admin).get(reverse("staff:two_step_off", args=[coach.pk])).content.decode()
    assert "it happens when a supervisor of the program confirms it" in page
    assert "Propose turning it off" in page
    assert TOTPDevice.objects.filter(user=coach).exists()
    assert not StaffEvent.objects.filter(subject=coach, action=StaffEvent.Action.CHANGE_PROPOSED).exists()


def test_turning_off_an_admins_two_step_login_happens_at_the_button(client_for, admin, other_admin):
    TOTPDevice.objects.create(user=other_admin, name="phone", confirmed=True)
    client = client_for(admin)
    assert (
        "Turn off her two-step login"
        in client.get(reverse("staff:two_step_off", args=[other_admin.pk])).content.decode()
    )
    assert TOTPDevice.objects.filter(user=other_admin).exists()
    client.post(reverse("staff:two_step_off", args=[other_admin.pk]), CONFIRMED)
    assert not TOTPDevice.objects.filter(user=other_admin).exists()


def test_with_no_two_step_login_there_is_nothing_to_confirm(client_for, admin, coach):
    response = client_for(admin).get(reverse("staff:two_step_off", args=[coach.pk]), follow=True)
    assert "has not set up two-step login: there is nothing to turn off" in response.content.decode()


def test_removing_a_training_requirement_first_says_what_it_means(client_for, admin, program):
    kind = TrainingKind.objects.create(program=program, name="Naloxone training", validity_months=24)
    requirement = TrainingRequirement.objects.create(program=program, role=Role.COACH, kind=kind)
    client = client_for(admin)

    page = client.get(reverse("staff:requirement_remove", args=[requirement.pk])).content.decode()
    assert "It is no longer required of coachs" not in page  # plain words, not a pasted plural
    assert "It is no longer required of coaches" in page
    assert TrainingRequirement.objects.filter(pk=requirement.pk).exists()

    client.post(reverse("staff:requirement_remove", args=[requirement.pk]), CONFIRMED)
    assert not TrainingRequirement.objects.filter(pk=requirement.pk).exists()
