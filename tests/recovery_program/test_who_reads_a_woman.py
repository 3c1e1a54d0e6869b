"""The role matrix: who reads a woman's record, by every path the permission layer knows: her coach, a coach
covering her coach (on its days, ended early, over), the new and the old coach after a transfer, supervisors (the
whole program, or only their own with break-glass for an hour), admins and another program. Her record's pages
agree for each reader: all open, or all a 404 that carries nothing of what was written about her."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.services import assignment_transfer, cover_end, cover_give
from recovery_program.audit import Actor
from supervision.services import break_glass_open, supervision_assign
from tests.factories import UserFactory, add_shift, log_encounter, make_safety_plan, take_barc10

pytestmark = pytest.mark.django_db

MARK = "MATRIX-MARK-7Q"


@pytest.fixture
def her(coach, supervisor, patient):
    """Rosalind, on Mara's caseload, with an encounter and a safety plan that carry the marker."""
    log_encounter(coach, [patient], summary=f"{MARK} talked about her week.")
    make_safety_plan(coach, patient, what_helps=f"{MARK} walks with the baby")
    take_barc10(coach, patient)
    return patient


def _reads(client, patient) -> bool:
    """True when every page of her record opens; False when each is a 404 without her text."""
    pages = [
        reverse("patients:detail", args=[patient.pk]),
        reverse("coaching:encounter_list") + f"?patient={patient.pk}",
        reverse("coaching:safety_plan", args=[patient.pk]),
        reverse("coaching:barc10", args=[patient.pk]),
    ]
    statuses = {}
    for url in pages:
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code == 404:
            assert MARK not in response.content.decode(), url
            assert patient.legal_name not in response.content.decode(), url
    assert set(statuses.values()) in ({200}, {404}), statuses
    return set(statuses.values()) == {200}


def _today():
    return timezone.localdate()


def test_her_coach_and_her_programs_supervisors_read_her_record(client_for, her, coach, supervisor):
    assert _reads(client_for(coach), her)
    assert _reads(client_for(supervisor), her)


def test_another_coach_an_admin_and_another_programs_supervisor_do_not(
    client_for, her, other_coach, admin, outside_supervisor
):
    for reader in (other_coach, admin, outside_supervisor):
        assert not _reads(client_for(reader), her), reader


def test_a_coach_covering_her_coach_reads_her_on_the_covers_days_only(client_for, her, coach, other_coach, supervisor):
    cover_give(actor=Actor(supervisor, None), covering=other_coach, covered=coach, starts_on=_today(), ends_on=_today())
    assert _reads(client_for(other_coach), her)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2), tick=False):
        assert not _reads(client_for(other_coach), her)  # logged in again: a session ends after 30 idle minutes


def test_a_cover_ended_early_stops_at_once(client_for, her, coach, other_coach, supervisor):
    cover = cover_give(
        actor=Actor(supervisor, None),
        covering=other_coach,
        covered=coach,
        starts_on=_today(),
        ends_on=_today() + datetime.timedelta(days=5),
    )
    cover_end(actor=Actor(supervisor, None), cover=cover)
    assert not _reads(client_for(other_coach), her)


def test_after_a_transfer_the_new_coach_reads_her_and_the_old_one_no_longer(
    client_for, her, coach, other_coach, supervisor
):
    assignment_transfer(
        actor=Actor(supervisor, None), patient=her, coach=other_coach, handoff_note="Mara's caseload is full."
    )
    assert _reads(client_for(other_coach), her)
    assert not _reads(client_for(coach), her)


@pytest.fixture
def own_reach(program, admin, coach, supervisor):
    """The program keeps each supervisor to her own: Iris supervises Mara; Ada supervises nobody."""
    program.supervisors_see_all = False
    program.save(update_fields=["supervisors_see_all"])
    supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=_today())
    return UserFactory(username="super_c", first_name="Ada", last_name="Moss", program=program, role="supervisor")


def test_a_supervisor_kept_to_her_own_reads_another_coachs_woman_only_by_break_glass_and_for_an_hour(
    client_for, her, supervisor, own_reach
):
    ada = own_reach
    assert _reads(client_for(supervisor), her)  # Mara's supervisor
    client = client_for(ada)
    assert not _reads(client, her)

    now = timezone.now()
    add_shift(her.program, ada, supervisor, now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=8))
    break_glass_open(actor=Actor(ada, None), patient=her, reason="She called in danger; nobody answers.", now=now)
    assert _reads(client, her)
    with time_machine.travel(now + datetime.timedelta(minutes=61), tick=False):
        assert not _reads(client_for(ada), her)  # logged in again: a session ends after 30 idle minutes
