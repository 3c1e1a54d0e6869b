"""A change waiting for a second person does not outlive the account it is about, or its proposer's: deactivating
either withdraws it, with history, and one whose person or proposer is inactive cannot be approved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from recovery_program.audit import Actor
from staff.models import AccountChangeRequest, StaffEvent, User
from staff.roles import Role
from staff.services import account_change_decide, role_change_propose, staff_update
from tests.factories import UserFactory
from workspace.services import account_change_approve, staff_deactivate

pytestmark = pytest.mark.django_db

Status = AccountChangeRequest.Status


@pytest.fixture
def other_admin(program):
    return UserFactory(username="admin_b", first_name="Ada", last_name="Reyes", program=program, role=Role.ADMIN)


def _role(member):
    return User.objects.get(pk=member.pk).role


def test_deactivating_her_withdraws_the_change_proposed_about_her_with_history(admin, coach, supervisor):
    proposal = role_change_propose(actor=Actor(admin, None), user=coach, role=Role.SUPERVISOR)
    # The proposer herself deactivates her: withdrawn, not "decided" by the person who proposed it.
    staff_deactivate(actor=Actor(admin, None), user=coach)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decided_at) == (Status.WITHDRAWN, None, timezone.now())
    event = StaffEvent.objects.get(action=StaffEvent.Action.CHANGE_WITHDRAWN)
    assert (event.actor, event.subject) == (admin, coach)
    assert event.description == "Coach → Supervisor, proposed by Lee Pryor: withdrawn, as her account was deactivated"
    assert _role(coach) == Role.COACH


def test_deactivating_the_proposer_withdraws_what_she_proposed(client_for, admin, other_admin, coach, supervisor):
    address_change = staff_update(
        actor=Actor(admin, None), user=coach, fields={"email": "mara.new@example.org"}
    )  # a clinical user's address waits for a supervisor
    assert address_change.email != "mara.new@example.org"
    proposal = AccountChangeRequest.objects.get(subject=coach, kind=AccountChangeRequest.Kind.EMAIL)
    staff_deactivate(actor=Actor(other_admin, None), user=admin)
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    event = StaffEvent.objects.get(action=StaffEvent.Action.CHANGE_WITHDRAWN)
    assert (event.actor, event.subject) == (other_admin, coach)
    assert "withdrawn, as Lee Pryor's account (the proposer) was deactivated" in event.description
    page = client_for(supervisor).get(reverse("staff:list")).content.decode()
    assert "Changes waiting for your approval" not in page
    assert User.objects.get(pk=coach.pk).email == coach.email


def test_deactivation_leaves_other_peoples_proposals_waiting(admin, other_admin, coach, other_coach, supervisor):
    proposal = role_change_propose(actor=Actor(admin, None), user=other_coach, role=Role.SUPERVISOR)
    staff_deactivate(actor=Actor(admin, None), user=coach)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


@pytest.mark.parametrize("gone", ["subject", "proposer"])
def test_a_proposal_whose_person_or_proposer_is_inactive_cannot_be_approved(client_for, gone, admin, coach, supervisor):
    proposal = role_change_propose(actor=Actor(admin, None), user=coach, role=Role.SUPERVISOR)
    # Deactivated without the service (an operator in the database, or before proposals were withdrawn).
    User.objects.filter(pk=(coach if gone == "subject" else admin).pk).update(is_active=False)
    with pytest.raises(ValidationError, match="account is deactivated, so this proposal cannot be approved"):
        account_change_approve(actor=Actor(supervisor, None), request=proposal)

    response = client_for(supervisor).post(
        reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"}, follow=True
    )
    name = "Mara Quill" if gone == "subject" else "Lee Pryor"
    assert f"{name}&#x27;s account is deactivated, so this proposal cannot be approved" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert _role(coach) == Role.COACH
    # Declining it is still possible, and closes it.
    account_change_decide(actor=Actor(supervisor, None), request=proposal, approve=False)
    proposal.refresh_from_db()
    assert proposal.status == Status.DECLINED


def test_no_change_is_proposed_for_a_deactivated_account(admin, coach, other_admin):
    staff_deactivate(actor=Actor(other_admin, None), user=coach)
    with pytest.raises(ValidationError, match="reactivate it before proposing a change"):
        role_change_propose(actor=Actor(admin, None), user=User.objects.get(pk=coach.pk), role=Role.SUPERVISOR)
