"""A clinical role takes two people: an admin proposes and a supervisor approves, or the reverse."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery_program.audit import Actor
from staff.models import AccountChangeRequest, StaffEvent, User
from staff.roles import Role
from staff.services import role_change_propose
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = StaffEvent.Action


def _role(member):
    return User.objects.get(pk=member.pk).role.value if User.objects.get(pk=member.pk).role else None


def _propose(client, member, role, url_name="staff:role"):
    return client.post(reverse(url_name, args=[member.pk]), {"role": role, "confirmed": "yes"}, follow=True)


def _decide(client, proposal, decision="approve"):
    return client.post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": decision}, follow=True)


@pytest.fixture
def other_admin(program):
    return UserFactory(username="admin_b", first_name="Ada", last_name="Reyes", program=program, role="admin")


def test_an_admin_proposes_a_supervisor_and_nothing_changes_until_a_supervisor_approves(
    client_for, admin, coach, supervisor
):
    response = _propose(client_for(admin), coach, "supervisor")
    assert "A supervisor of the program approves it" in response.content.decode()
    assert _role(coach) == "coach"
    proposal = AccountChangeRequest.objects.get(subject=coach)
    assert (proposal.proposed_by, proposal.status) == (admin, "pending")

    page = client_for(supervisor).get(reverse("staff:list")).content.decode()
    assert "Changes waiting for your approval" in page
    _decide(client_for(supervisor), proposal)

    assert _role(coach) == "supervisor"
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decided_at) == ("approved", supervisor, timezone.now())


def test_both_people_are_in_the_staff_history(client_for, admin, coach, supervisor):
    _propose(client_for(admin), coach, "supervisor")
    _decide(client_for(supervisor), AccountChangeRequest.objects.get(subject=coach))
    events = StaffEvent.objects.filter(subject=coach).order_by("id")
    assert [(e.action, e.actor, e.description) for e in events][-3:] == [
        (Action.CHANGE_PROPOSED, admin, "Coach → Supervisor"),
        (Action.CHANGE_APPROVED, supervisor, "Coach → Supervisor, proposed by Lee Pryor"),
        (Action.ROLE_CHANGED, supervisor, "Coach → Supervisor"),
    ]


def test_a_supervisor_proposes_and_an_admin_approves(client_for, admin, supervisor, other_coach):
    response = _propose(client_for(supervisor), other_coach, "supervisor", "staff:role_propose")
    assert "An admin approves it" in response.content.decode()
    proposal = AccountChangeRequest.objects.get(subject=other_coach)
    assert _role(other_coach) == "coach"
    _decide(client_for(admin), proposal)
    assert _role(other_coach) == "supervisor"


def test_the_proposer_cannot_approve_her_own_proposal(client_for, admin, coach):
    client = client_for(admin)
    _propose(client, coach, "supervisor")
    proposal = AccountChangeRequest.objects.get(subject=coach)
    assert "Changes waiting for your approval" not in client.get(reverse("staff:list")).content.decode()
    assert (
        client.post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"}).status_code == 404
    )
    assert _role(coach) == "coach"


def test_another_admin_cannot_approve_an_admins_proposal_either(client_for, admin, other_admin, coach):
    _propose(client_for(admin), coach, "supervisor")
    proposal = AccountChangeRequest.objects.get(subject=coach)
    assert _decide(client_for(other_admin), proposal).status_code == 404
    assert _role(coach) == "coach"


def test_a_supervisor_cannot_approve_her_own_proposal(client_for, supervisor, other_coach):
    client = client_for(supervisor)
    _propose(client, other_coach, "supervisor", "staff:role_propose")
    proposal = AccountChangeRequest.objects.get(subject=other_coach)
    assert _decide(client, proposal).status_code == 404
    assert _role(other_coach) == "coach"


def test_she_does_not_decide_a_proposal_about_herself(client_for, admin, supervisor):
    _propose(client_for(admin), supervisor, "coach")
    proposal = AccountChangeRequest.objects.get(subject=supervisor)
    assert _decide(client_for(supervisor), proposal).status_code == 404
    assert _role(supervisor) == "supervisor"


@pytest.mark.parametrize("who", ["coach", "outside_supervisor"])
def test_coaches_and_other_programs_neither_propose_nor_decide(request, client_for, admin, other_coach, who):
    _propose(client_for(admin), other_coach, "supervisor")
    proposal = AccountChangeRequest.objects.get(subject=other_coach)
    client = client_for(request.getfixturevalue(who))
    assert _propose(client, other_coach, "supervisor", "staff:role_propose").status_code == 404
    assert _decide(client, proposal).status_code == 404
    assert AccountChangeRequest.objects.filter(subject=other_coach).count() == 1
    assert _role(other_coach) == "coach"


def test_a_supervisor_declines_and_her_role_stays(client_for, admin, coach, supervisor):
    _propose(client_for(admin), coach, "supervisor")
    proposal = AccountChangeRequest.objects.get(subject=coach)
    _decide(client_for(supervisor), proposal, "decline")
    assert _role(coach) == "coach"
    assert AccountChangeRequest.objects.get(pk=proposal.pk).status == "declined"
    assert _decide(client_for(supervisor), proposal).status_code == 404


def test_a_second_proposal_waits_for_the_first(client_for, admin, coach, supervisor):
    _propose(client_for(admin), coach, "supervisor")
    response = _propose(client_for(supervisor), coach, "supervisor", "staff:role_propose")
    assert "A change of Mara Quill&#x27;s role is already waiting for approval." in response.content.decode()


def test_making_someone_an_admin_needs_no_approval_it_gives_no_clinical_access(client_for, admin, coach):
    _propose(client_for(admin), coach, "admin")
    assert _role(coach) == "admin"
    assert not AccountChangeRequest.objects.exists()


def test_a_new_account_with_a_clinical_role_has_no_role_until_approved(client_for, admin, supervisor):
    new = {"first_name": "Wren", "last_name": "Abbott", "username": "wren", "email": "wren@example.org"}
    client_for(admin).post(reverse("staff:new"), new | {"role": "supervisor", "phone": "", "start_date": ""})
    wren = User.objects.get(username="wren")
    assert _role(wren) is None
    _decide(client_for(supervisor), AccountChangeRequest.objects.get(subject=wren))
    assert _role(wren) == "supervisor"


def test_an_approval_the_role_change_refuses_stays_waiting(client_for, admin, coach, supervisor, other_coach):
    from supervision.services import supervision_assign

    supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=timezone.localdate())
    # The admin proposes to make the supervisor a coach; an admin's proposal goes to a supervisor.
    second = UserFactory(program=admin.program, role="supervisor")
    _propose(client_for(admin), supervisor, "coach")
    proposal = AccountChangeRequest.objects.get(subject=supervisor)
    response = _decide(client_for(second), proposal)
    assert "Iris Vance supervises Mara Quill" in response.content.decode()
    assert (_role(supervisor), AccountChangeRequest.objects.get(pk=proposal.pk).status) == ("supervisor", "pending")


def test_the_database_refuses_an_approval_by_the_proposer(admin, coach):
    proposal = role_change_propose(actor=Actor(admin, None), user=coach, role=Role.SUPERVISOR)
    proposal.status, proposal.decided_by, proposal.decided_at = "approved", admin, timezone.now()
    with pytest.raises(IntegrityError):
        proposal.save()


def test_a_coachs_two_step_login_is_turned_off_only_when_a_supervisor_confirms(client_for, admin, coach, supervisor):
    TOTPDevice.objects.create(user=coach, name="phone", confirmed=True)
    response = client_for(admin).post(reverse("staff:two_step_off", args=[coach.pk]), {"confirmed": "yes"}, follow=True)
    assert "It is turned off when a supervisor confirms it." in response.content.decode()
    assert TOTPDevice.objects.filter(user=coach).exists()
    proposal = AccountChangeRequest.objects.get(subject=coach, kind="two_step_off")
    _decide(client_for(supervisor), proposal)
    assert not TOTPDevice.objects.filter(user=coach).exists()
    off = StaffEvent.objects.get(subject=coach, action=Action.TWO_STEP_OFF)
    assert off.actor == supervisor


def test_the_admin_who_proposed_it_cannot_confirm_it(client_for, admin, other_admin, coach):
    TOTPDevice.objects.create(user=coach, name="phone", confirmed=True)
    client_for(admin).post(reverse("staff:two_step_off", args=[coach.pk]), {"confirmed": "yes"})
    proposal = AccountChangeRequest.objects.get(subject=coach, kind="two_step_off")
    assert _decide(client_for(admin), proposal).status_code == 404
    assert _decide(client_for(other_admin), proposal).status_code == 404
    assert TOTPDevice.objects.filter(user=coach).exists()


def test_an_admins_two_step_login_is_turned_off_by_another_admin_at_once(client_for, admin, other_admin):
    TOTPDevice.objects.create(user=other_admin, name="phone", confirmed=True)
    client_for(admin).post(reverse("staff:two_step_off", args=[other_admin.pk]), {"confirmed": "yes"})
    assert not TOTPDevice.objects.filter(user=other_admin).exists()
