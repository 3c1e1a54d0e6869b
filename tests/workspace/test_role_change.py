"""A role change takes away at once everything the old role held: her caseload, her supervision links."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.models import CoachAssignment, PatientUserObjectPermission
from recovery_program.audit import Actor
from staff.models import StaffEvent, User
from supervision.models import SupervisionAssignment
from supervision.services import supervision_assign
from tests.factories import UserFactory, add_shift, share_concern
from workspace.services import staff_deactivate

pytestmark = pytest.mark.django_db

# Tuesday 2027-03-02, 10:00 in New York: office hours.
OFFICE_HOURS = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)


def _supervise(admin, coach, supervisor):
    return supervision_assign(
        actor=Actor(admin, None),
        coach=coach,
        supervisor=supervisor,
        started_on=timezone.localdate() - datetime.timedelta(days=30),
    )


def _change_role(client_for, admin, member, role):
    return client_for(admin).post(
        reverse("staff:role", args=[member.pk]), {"role": role, "confirmed": "yes"}, follow=True
    )


def test_a_coach_made_admin_loses_her_caseload_and_cannot_open_her_former_patient(
    client_for, admin, coach, patient, supervisor
):
    _supervise(admin, coach, supervisor)
    response = _change_role(client_for, admin, coach, "admin")
    assert "1 of her patients now need a coach" in response.content.decode()
    assert not CoachAssignment.objects.filter(coach=coach, ended_on__isnull=True).exists()
    assert not PatientUserObjectPermission.objects.filter(user=coach).exists()
    assert not SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).exists()
    former_coach = client_for(User.objects.get(pk=coach.pk))
    assert former_coach.get(reverse("patients:detail", args=[patient.pk])).status_code == 404


def test_the_staff_history_says_what_ended_with_her_old_role(client_for, admin, coach, patient):
    _change_role(client_for, admin, coach, "admin")
    event = StaffEvent.objects.filter(subject=coach, action=StaffEvent.Action.ROLE_CHANGED).first()
    assert (event.actor, event.description) == (admin, "Coach → Admin; 1 of her patients now need a coach")


def test_a_supervisor_with_coaches_is_refused_with_the_reason_next_to_the_role(client_for, admin, coach, supervisor):
    _supervise(admin, coach, supervisor)
    response = _change_role(client_for, admin, supervisor, "admin")
    assert "Iris Vance supervises Mara Quill. Give them another supervisor first." in response.content.decode()
    assert User.objects.get(pk=supervisor.pk).role.value == "supervisor"
    assert SupervisionAssignment.objects.get(coach=coach).ended_on is None


def test_a_supervisor_on_the_rota_is_refused_until_her_shifts_go_to_someone_else(
    client_for, admin, supervisor, program
):
    backup = UserFactory(program=program, role="supervisor")
    starts = timezone.now() + datetime.timedelta(days=3)
    add_shift(program, backup, supervisor, starts, starts + datetime.timedelta(hours=12))
    response = _change_role(client_for, admin, supervisor, "admin")
    assert "is on the on-call rota" in response.content.decode()
    assert User.objects.get(pk=supervisor.pk).role.value == "supervisor"


def test_a_shift_that_is_over_does_not_hold_her(client_for, admin, supervisor, program):
    backup = UserFactory(program=program, role="supervisor")
    ended = timezone.now() - datetime.timedelta(days=3)
    add_shift(program, supervisor, backup, ended - datetime.timedelta(hours=12), ended)
    _change_role(client_for, admin, supervisor, "admin")
    assert User.objects.get(pk=supervisor.pk).role.value == "admin"


def test_her_link_to_a_coach_who_left_ends_with_her_role(client_for, admin, coach, supervisor):
    _supervise(admin, coach, supervisor)
    staff_deactivate(actor=Actor(admin, None), user=coach)
    _change_role(client_for, admin, supervisor, "admin")
    assert SupervisionAssignment.objects.get(coach=coach).ended_on == timezone.localdate()


def test_once_her_links_end_urgent_pages_never_go_to_her(
    client_for, admin, coach, patient, supervisor, program, django_capture_on_commit_callbacks, celery_eager
):
    other = UserFactory(program=program, role="supervisor")
    with time_machine.travel(OFFICE_HOURS, tick=False):
        _supervise(admin, coach, supervisor)
        # Her coach goes to another supervisor first; then she can become an admin.
        supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=other, started_on=timezone.localdate())
        _change_role(client_for, admin, supervisor, "admin")
        with django_capture_on_commit_callbacks(execute=True):
            concern = share_concern(coach, patient, urgency="urgent_now")
    paged = set(concern.pages.values_list("recipient", flat=True))
    assert paged == {other.pk}


def test_with_nobody_named_every_supervisor_is_paged_but_not_the_one_made_admin(
    client_for, admin, coach, patient, supervisor, program, django_capture_on_commit_callbacks, celery_eager
):
    other = UserFactory(program=program, role="supervisor")
    _change_role(client_for, admin, supervisor, "admin")
    with django_capture_on_commit_callbacks(execute=True):
        concern = share_concern(coach, patient, urgency="urgent_now")
    assert set(concern.pages.values_list("recipient", flat=True)) == {other.pk}
