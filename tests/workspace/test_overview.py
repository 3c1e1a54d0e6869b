"""The supervisors' overview of their coaches, and the admins' program figures: who sees them, what they count."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.models import ProgramStatus
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from staff.models import TrainingKind, TrainingRecord, TrainingRequirement
from staff.roles import Role
from supervision.models import ActionItem, SupervisionSession
from supervision.services import supervision_assign
from tests.factories import PatientFactory, log_encounter, on_caseload_of, share_concern
from workspace.overview import coach_overview, program_figures, waited

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# Wednesday 2027-03-03, 10:00 in New York. This week starts Monday 2027-03-01 at midnight in New York.
NOW = datetime.datetime(2027, 3, 3, 10, 0, tzinfo=NY)
TODAY = datetime.date(2027, 3, 3)


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment of March 2027 (or late February for days <= 0) in New York."""
    return datetime.datetime.combine(
        datetime.date(2027, 3, 1) + datetime.timedelta(days=day - 1), datetime.time(hour, minute), tzinfo=NY
    )


@pytest.fixture
def world(program, admin, coach, other_coach, supervisor, patient, other_patient):
    """`coach` is supervised by `supervisor`; `other_coach` by nobody. Known counts around the week boundary."""
    with time_machine.travel(NOW, tick=False):
        supervision_assign(
            actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
        )
        quiet = PatientFactory(program=program, legal_name="Quiet Marigold", clinical_provider=admin_free(supervisor))
        on_caseload_of(quiet, coach)  # never seen: "no contact"
        left = PatientFactory(program=program, legal_name="Gone Heather", clinical_provider=supervisor)
        on_caseload_of(left, coach)
        left.status = ProgramStatus.GRADUATED
        left.save(update_fields=["status"])
        # This week: Monday 00:10 and Wednesday 09:00. Last week: Monday 00:30 and Sunday 23:59. Before: not counted.
        for moment in (_at(1, 0, 10), _at(3, 9), _at(-6, 0, 30), _at(0, 23, 59), _at(-7, 23, 59)):
            log_encounter(coach, [patient], occurred_at=moment)
        log_encounter(other_coach, [other_patient], occurred_at=_at(2, 12))
        share_concern(coach, patient)  # routine, open
        SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=datetime.date(2027, 2, 24))
        session = SupervisionSession.objects.create(
            coach=other_coach, supervisor=supervisor, held_on=datetime.date(2027, 3, 1)
        )
        ActionItem.objects.create(session=session, what="Call", owner=other_coach, due_on=datetime.date(2027, 3, 2))
        ActionItem.objects.create(session=session, what="Later", owner=other_coach, due_on=datetime.date(2027, 3, 3))
        kind = TrainingKind.objects.create(program=program, name="Ethics", validity_months=24)
        TrainingRequirement.objects.create(program=program, role=Role.COACH, kind=kind)
        TrainingRecord.objects.create(user=other_coach, kind=kind, completed_on=TODAY, recorded_by=admin)
    return {"quiet": quiet}


def admin_free(supervisor):
    """A second supervisor as the clinical provider, so that "my patients" leaves her out."""
    from tests.factories import UserFactory

    return UserFactory(program=supervisor.program, role=Role.SUPERVISOR, username="super_c")


def _rows(viewer, coaches, *, mine=False, now=NOW):
    with time_machine.travel(now, tick=False):
        overview = coach_overview(viewer, coaches, mine=mine, now=timezone.now())
    return {row.coach.username: row for row in overview.rows}


def test_figures_count_each_coachs_week_in_the_programs_zone(world, supervisor, coach, other_coach):
    rows = _rows(supervisor, [coach, other_coach])
    mine = rows["coach_a"]
    assert mine.caseload == 2  # Rosalind and the quiet one; the graduate is not active
    assert (mine.encounters_this_week, mine.encounters_last_week) == (2, 2)
    assert mine.no_contact == 1
    assert mine.no_contact_never == 1
    assert mine.concerns_open == 1
    assert mine.urgent_waiting == 0
    assert mine.supervision_held_this_week is False
    assert mine.last_supervision == datetime.date(2027, 2, 24)
    assert mine.training.status == "out"  # Ethics is not on record
    assert mine.sees_training is True
    other = rows["coach_b"]
    assert (other.caseload, other.encounters_this_week, other.encounters_last_week) == (1, 1, 0)
    assert other.supervision_held_this_week is True
    assert other.action_items_overdue == 1  # due yesterday; the one due today is not overdue yet
    assert other.training.status == "compliant"
    assert other.sees_training is False  # she is not her supervisee: the training page would be a 404


def test_my_patients_counts_only_women_whose_clinical_provider_she_is(world, supervisor, coach):
    row = _rows(supervisor, [coach], mine=True)["coach_a"]
    assert row.caseload == 1  # the quiet one's clinical provider is someone else
    assert row.no_contact == 0
    assert (row.encounters_this_week, row.concerns_open) == (2, 1)


@pytest.mark.parametrize(
    ("now", "this_week", "last_week"),
    [
        # Sunday 23:59 in New York: the encounter a minute ago is still this week's.
        (datetime.datetime(2027, 3, 7, 23, 59, tzinfo=NY), 1, 0),
        # Monday 00:01: a new week; it is last week's now.
        (datetime.datetime(2027, 3, 8, 0, 1, tzinfo=NY), 0, 1),
    ],
)
def test_the_week_turns_at_midnight_on_monday_in_new_york(supervisor, coach, patient, admin, now, this_week, last_week):
    with time_machine.travel(datetime.datetime(2027, 3, 7, 23, 58, tzinfo=NY), tick=False):
        supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=TODAY)
        log_encounter(coach, [patient], occurred_at=timezone.now())
    row = _rows(supervisor, [coach], now=now)["coach_a"]
    assert (row.encounters_this_week, row.encounters_last_week) == (this_week, last_week)


def test_an_urgent_concern_nobody_acknowledged_shows_how_long_it_has_waited(client_for, supervisor, coach, patient):
    with time_machine.travel(NOW, tick=False):
        share_concern(coach, patient, urgency="urgent_now")
    with time_machine.travel(NOW + datetime.timedelta(minutes=42), tick=False):
        response = client_for(supervisor).get(reverse("overview"), {"coach": coach.pk})
    assert response.status_code == 200
    assert "1 urgent, waiting 42 min" in response.content.decode()


def test_waited_says_it_in_plain_words():
    start = datetime.datetime(2027, 3, 3, 10, 0, tzinfo=datetime.UTC)
    assert waited(start, start + datetime.timedelta(minutes=42)) == "42 min"
    assert waited(start, start + datetime.timedelta(minutes=185)) == "3 h 5 min"
    assert waited(start, start + datetime.timedelta(days=2, hours=1)) == "2 days"


def test_supervisor_sees_her_coaches_by_default_and_every_coach_on_asking(client_for, world, supervisor):
    client = client_for(supervisor)
    page = client.get(reverse("overview")).content.decode()
    assert "Mara Quill" in page
    assert "Nell Rowe" not in page
    page = client.get(reverse("overview"), {"all": "1"}).content.decode()
    assert "Mara Quill" in page
    assert "Nell Rowe" in page


def test_the_overview_names_no_woman_and_logs_the_read(client_for, world, supervisor, patient):
    since = AccessLog.objects.count()
    page = client_for(supervisor).get(reverse("overview"), {"all": "1"}).content.decode()
    assert patient.legal_name not in page
    assert "Quiet Marigold" not in page
    logged = AccessLog.objects.order_by("pk")[since:]
    assert [(row.user_id, row.record_type, row.patient_id) for row in logged] == [
        (supervisor.pk, "coach overview", None)
    ]


def test_each_figure_links_to_the_list_behind_it(client_for, world, supervisor, coach):
    with time_machine.travel(NOW, tick=False):
        page = client_for(supervisor).get(reverse("overview")).content.decode()
        mine = client_for(supervisor).get(reverse("overview"), {"mine": "1"}).content.decode()
    for link in (
        f"{reverse('patients:list')}?coach={coach.pk}&amp;status=active",
        f"{reverse('coaching:encounter_list')}?coach={coach.pk}&amp;week=2027-03-01",
        f"{reverse('coaching:encounter_list')}?coach={coach.pk}&amp;week=2027-02-22",
        f"{reverse('coaching:concern_list')}?coach={coach.pk}",
        reverse("supervision:queue", args=[coach.pk]),
        reverse("staff:training", args=[coach.pk]),
    ):
        assert f'href="{link}"' in page
    for link in (
        f"{reverse('patients:list')}?coach={coach.pk}&amp;status=active&amp;mine=on",
        f"{reverse('coaching:encounter_list')}?coach={coach.pk}&amp;week=2027-03-01&amp;mine=1",
        f"{reverse('coaching:concern_list')}?coach={coach.pk}&amp;mine=1",
    ):
        assert f'href="{link}"' in mine


def test_the_lists_behind_the_figures_hold_the_same_numbers(client_for, world, supervisor, coach):
    """The encounter list's week and the "my patients" filters of the three lists count what the overview counts."""
    with time_machine.travel(NOW, tick=False):
        client = client_for(supervisor)
        lists = {
            "this week": client.get(reverse("coaching:encounter_list"), {"coach": coach.pk, "week": "2027-03-01"}),
            # Any day of a week stands for its week; Sunday 23:59 belongs to the week before Monday.
            "last week": client.get(reverse("coaching:encounter_list"), {"coach": coach.pk, "week": "2027-02-28"}),
            "garbage": client.get(reverse("coaching:encounter_list"), {"coach": coach.pk, "week": "9999-12-31"}),
            "mine": client.get(reverse("coaching:encounter_list"), {"coach": coach.pk, "mine": "1"}),
            "patients": client.get(reverse("patients:list"), {"coach": coach.pk, "status": "active"}),
            "my patients": client.get(reverse("patients:list"), {"coach": coach.pk, "status": "active", "mine": "on"}),
            "concerns": client.get(reverse("coaching:concern_list"), {"coach": coach.pk, "mine": "1"}),
        }
    assert {name: response.status_code for name, response in lists.items()} == dict.fromkeys(lists, 200)
    counts = {name: len(response.context["page"]) for name, response in lists.items()}
    assert counts == {
        "this week": 2,
        "last week": 2,
        "garbage": 5,
        "mine": 5,
        "patients": 2,
        "my patients": 1,
        "concerns": 1,
    }


def test_a_supervisor_of_another_program_sees_none_of_it(client_for, world, outside_supervisor, coach):
    client = client_for(outside_supervisor)
    page = client.get(reverse("overview"), {"all": "1"}).content.decode()
    assert "Mara Quill" not in page
    assert "Nell Rowe" not in page
    assert client.get(reverse("overview"), {"coach": coach.pk}).status_code == 404


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_coaches_and_admins_get_a_404_on_the_overview(client_for, request, who):
    assert client_for(request.getfixturevalue(who)).get(reverse("overview")).status_code == 404


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_admins_see_the_program_figures(client_for, request, who):
    assert client_for(request.getfixturevalue(who)).get(reverse("program_figures")).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("overview", "program_figures"):
        assert client.get(reverse(name)).status_code == 302


def test_program_figures_count_without_a_womans_name_or_her_records(client_for, world, admin, patient, coach):
    with time_machine.travel(NOW, tick=False):
        response = client_for(admin).get(reverse("program_figures"))
        figures = program_figures(admin, now=timezone.now())
    page = response.content.decode()
    assert response.status_code == 200
    for secret in (patient.legal_name, patient.preferred_name, "Quiet Marigold", "Talked about her week"):
        assert secret not in page
    assert figures.staff_by_role == {"Coaches": 2, "Supervisors": 2, "Admins": 1}
    encounters = {c.username: (weeks[-2:], total) for c, weeks, total in figures.encounters}
    # Weeks of Feb 22 and Mar 1: Feb 21 23:59 belongs to the week before.
    assert encounters["coach_a"] == ([2, 2], 5)
    assert encounters["coach_b"] == ([0, 1], 1)
    supervision = {c.username: counts for c, counts in figures.supervision}
    assert supervision["coach_a"]["held"] == 1
    assert supervision["coach_a"]["weeks_without"] == 11
    # No requirement for supervisors and admins here: only coach_a, with no Ethics on record, is out.
    assert figures.compliance_now == {"compliant": 4, "expiring": 0, "out": 1}


def test_training_compliance_over_the_weeks_counts_records_from_their_day(world, admin, other_coach):
    with time_machine.travel(NOW, tick=False):
        figures = program_figures(admin, now=timezone.now())
    before, now = figures.compliance[-2][1], figures.compliance[-1][1]
    # Her Ethics record is from today: compliant now, not on the Sunday before.
    assert now["out"] == before["out"] - 1


def _grow(size, program, coach, supervisor):
    for _ in range(size):
        woman = PatientFactory(program=program, clinical_provider=supervisor)
        on_caseload_of(woman, coach)
        log_encounter(coach, [woman])
        share_concern(coach, woman, urgency="urgent_now")
        session = SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=timezone.localdate())
        ActionItem.objects.create(session=session, what="Call", owner=coach, due_on=timezone.localdate())


def _measure(client_for, pages, django_assert_max_num_queries) -> dict[str, int]:
    """The queries of each page, each at most 25, after a first request that settles the session."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for user, url in pages.items():
        client = client_for(user)
        client.get(reverse("home"))
        with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"all": "1"}).status_code == 200
        counts[url] = len(queries)
    return counts


def test_both_pages_run_the_same_queries_whatever_the_programs_size(
    client_for, world, program, coach, other_coach, supervisor, admin, django_assert_max_num_queries
):
    pages = {supervisor: reverse("overview"), admin: reverse("program_figures")}
    with time_machine.travel(NOW, tick=False):
        _grow(2, program, coach, supervisor)
        small = _measure(client_for, pages, django_assert_max_num_queries)
        _grow(12, program, other_coach, supervisor)
        large = _measure(client_for, pages, django_assert_max_num_queries)
    assert small == large


def test_naloxone_and_test_strips_handed_out_are_counted_by_week_once_per_encounter(
    client_for, world, supervisor, coach, patient
):
    with time_machine.travel(NOW, tick=False):
        # With two women at once, still one encounter's kits: "my patients" joins on them and must not repeat it.
        log_encounter(coach, [patient, world["quiet"]], occurred_at=_at(2, 9), naloxone_kits=2, test_strips=10)
        log_encounter(coach, [patient], occurred_at=_at(-3, 9), naloxone_kits=1)
        log_encounter(coach, [patient], occurred_at=_at(-9, 9), naloxone_kits=5)  # two weeks ago: not shown
        overview = coach_overview(supervisor, [coach], mine=False, now=timezone.now())
        page = client_for(supervisor).get(reverse("overview")).content.decode()
    assert overview.handed_out == {
        "naloxone_this_week": 2,
        "naloxone_last_week": 1,
        "strips_this_week": 10,
        "strips_last_week": 0,
    }
    assert "2 naloxone kits · 10 fentanyl test strips" in page
