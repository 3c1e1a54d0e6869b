"""Supervision's part of a staff member's page (a staff page, which does not import supervision)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from recovery_program.audit import Actor
from supervision.services import supervision_assign

pytestmark = pytest.mark.django_db


def _staff_page(client, member) -> str:
    return client.get(reverse("staff:detail", args=[member.pk])).content.decode()


def test_a_coachs_page_names_her_supervisor_with_a_link_to_change_it(client_for, admin, coach, supervisor):
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 5)
    )
    page = _staff_page(client_for(admin), coach)
    assert f"<dt>Supervisor</dt><dd>{supervisor.get_full_name()}" in page
    assert reverse("supervision:coach_supervisor", args=[coach.pk]) in page


def test_a_coach_with_no_supervisor_yet_says_so(client_for, admin, coach):
    assert "<dt>Supervisor</dt><dd>None yet" in _staff_page(client_for(admin), coach)


def test_a_supervisors_own_page_has_no_supervisor(client_for, admin, supervisor):
    assert "<dt>Supervisor</dt>" not in _staff_page(client_for(admin), supervisor)
