"""A program's time zone is the one clock of its people: what they type is read in it, what they see is shown in
it, and "today" (in forms and in the daily and weekly jobs) is its date. The database keeps UTC.

`program` is in New York (the server's zone); `other_program` is moved to Los Angeles, three hours behind.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import DataError, transaction
from django.test import Client
from django.urls import reverse

from coaching.models import Encounter, EncounterKind
from recovery_program.audit import Actor
from referrals.models import CPSReport
from staff.models import Program, TrainingKind, TrainingReminder
from staff.roles import Role
from staff.services import program_setup, training_record_add
from supervision.models import MissedSessionNotice, OnCallShift
from supervision.services import supervision_assign
from supervision.tasks import notify_missed_sessions
from tests.factories import UserFactory, on_caseload_of, send_outbox
from workspace.tasks import send_training_reminders

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Monday 2027-03-08 at 06:00 UTC: 1 a.m. on Monday in New York, still 10 p.m. on Sunday in Los Angeles.
NEW_WEEK_IN_NEW_YORK_ONLY = datetime.datetime(2027, 3, 8, 6, 0, tzinfo=UTC)


@pytest.fixture
def pacific(other_program):
    other_program.time_zone = "America/Los_Angeles"
    other_program.save()
    return other_program


@pytest.fixture
def pacific_coach(pacific, outside_patient):
    """A coach in Los Angeles, with `outside_patient` on her caseload."""
    coach = UserFactory(username="coach_x", first_name="Pia", last_name="Lund", program=pacific, role=Role.COACH)
    on_caseload_of(outside_patient, coach)
    return coach


@pytest.fixture
def pacific_backup(pacific):
    return UserFactory(username="super_y", first_name="Ada", last_name="Moss", program=pacific, role=Role.SUPERVISOR)


@pytest.fixture
def backup(program):
    return UserFactory(username="super_b", first_name="June", last_name="Okafor", program=program, role="supervisor")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@time_machine.travel(datetime.datetime(2027, 3, 2, 12, 0, tzinfo=UTC), tick=False)
def test_an_encounter_at_five_past_midnight_is_that_time_where_each_coach_works(
    coach, patient, pacific_coach, outside_patient
):
    for who, whom in ((coach, patient), (pacific_coach, outside_patient)):
        response = _as(who).post(
            reverse("coaching:encounter_new"),
            {
                "kind": EncounterKind.COMMUNITY,
                "date": "2027-03-02",
                "start_time": "00:05",
                "duration_minutes": "30",
                "place": "",
                "patients": [whom.pk],
                "summary": "A late call after a hard day.",
                "resources_other": "",
            },
        )
        assert response.status_code == 302
    east, west = Encounter.objects.get(coach=coach), Encounter.objects.get(coach=pacific_coach)

    assert east.occurred_at == datetime.datetime(2027, 3, 2, 5, 5, tzinfo=UTC)
    assert west.occurred_at == datetime.datetime(2027, 3, 2, 8, 5, tzinfo=UTC)
    for who, encounter in ((coach, east), (pacific_coach, west)):
        page = _as(who).get(reverse("coaching:encounter_detail", args=[encounter.pk])).content.decode()
        assert "Tue Mar 2, 2027, 12:05 a.m." in page


@time_machine.travel(datetime.datetime(2027, 3, 2, 20, 0, tzinfo=UTC), tick=False)
def test_a_report_to_child_protection_made_at_half_past_nine_reads_so_in_each_program(
    supervisor, patient, outside_supervisor, outside_patient, pacific
):
    for who, whom in ((supervisor, patient), (outside_supervisor, outside_patient)):
        response = _as(who).post(
            reverse("referrals:cps_report_new", args=[whom.pk]),
            {
                "date": "2027-03-02",
                "time": "09:30",
                "agency": "Child protective services",
                "made_by": who.pk,
                "reference_number": "",
                "what_was_reported": "Infant left alone overnight, per the mother.",
                "follow_up": "",
            },
        )
        assert response.status_code == 302
    east, west = CPSReport.objects.get(patient=patient), CPSReport.objects.get(patient=outside_patient)

    assert west.made_at - east.made_at == datetime.timedelta(hours=3)
    assert east.made_at == datetime.datetime(2027, 3, 2, 14, 30, tzinfo=UTC)
    for who, report in ((supervisor, east), (outside_supervisor, west)):
        page = _as(who).get(reverse("referrals:cps_report_detail", args=[report.pk])).content.decode()
        assert "Mar 2, 2027, 9:30 a.m." in page


@time_machine.travel(datetime.datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False)
def test_an_on_call_shift_from_five_to_nine_is_each_programs_evening_and_morning(
    supervisor, backup, outside_supervisor, pacific_backup
):
    for who, other in ((supervisor, backup), (outside_supervisor, pacific_backup)):
        response = _as(who).post(
            reverse("supervision:rota"),
            {"starts_at": "2027-03-02T17:00", "ends_at": "2027-03-03T09:00", "primary": who.pk, "backup": other.pk},
        )
        assert response.status_code == 302
    east, west = OnCallShift.objects.get(primary=supervisor), OnCallShift.objects.get(primary=outside_supervisor)

    assert (east.starts_at, east.ends_at) == (
        datetime.datetime(2027, 3, 2, 22, 0, tzinfo=UTC),
        datetime.datetime(2027, 3, 3, 14, 0, tzinfo=UTC),
    )
    assert (west.starts_at - east.starts_at, west.ends_at - east.ends_at) == (datetime.timedelta(hours=3),) * 2
    for who in (supervisor, outside_supervisor):
        page = _as(who).get(reverse("supervision:rota")).content.decode()
        assert "Tue Mar 2, 5:00 p.m." in page
        assert "Wed Mar 3, 9:00 a.m." in page


@time_machine.travel(NEW_WEEK_IN_NEW_YORK_ONLY, tick=False)
def test_the_encounter_form_offers_today_where_she_works(coach, patient, pacific_coach):
    east = _as(coach).get(reverse("coaching:encounter_new")).context["form"].initial
    west = _as(pacific_coach).get(reverse("coaching:encounter_new")).context["form"].initial
    assert (east["date"], west["date"]) == (datetime.date(2027, 3, 8), datetime.date(2027, 3, 7))
    # When it started is asked, and worked out when she saves: never the moment the form was opened.
    assert "start_time" not in east
    assert "started" not in east


@time_machine.travel(NEW_WEEK_IN_NEW_YORK_ONLY, tick=False)
def test_monday_is_not_yet_today_in_los_angeles(supervisor, coach, outside_supervisor, pacific_coach):
    def record_a_session_on_monday(who, with_coach):
        return _as(who).post(
            reverse("supervision:session_new", args=[with_coach.pk]),
            {"held_on": "2027-03-08", "minutes": "60", "status": "held"}
            | {f"{prefix}-{count}_FORMS": "0" for prefix in ("case", "action") for count in ("TOTAL", "INITIAL")},
        )

    assert record_a_session_on_monday(supervisor, coach).status_code == 302
    refused = record_a_session_on_monday(outside_supervisor, pacific_coach)
    assert "A session cannot be recorded for a future date." in refused.content.decode()


@time_machine.travel(NEW_WEEK_IN_NEW_YORK_ONLY, tick=False)
def test_the_monday_notice_is_about_each_programs_own_last_week(
    admin, supervisor, coach, outside_supervisor, pacific_coach
):
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 5)
    )
    supervision_assign(
        actor=Actor(outside_supervisor, None),
        coach=pacific_coach,
        supervisor=outside_supervisor,
        started_on=datetime.date(2026, 1, 5),
    )
    assert notify_missed_sessions.apply().get() == 2
    weeks = dict(MissedSessionNotice.objects.values_list("coach__username", "week_starting"))
    # Monday in New York: last week is the one just ended. Still Sunday in Los Angeles: that week is not over.
    assert weeks == {"coach_a": datetime.date(2027, 3, 1), "coach_x": datetime.date(2027, 2, 22)}


@time_machine.travel(NEW_WEEK_IN_NEW_YORK_ONLY, tick=False)
def test_training_reminders_count_the_days_left_from_each_programs_today(admin, coach, pacific_coach, pacific):
    for program, who in ((admin.program, coach), (pacific, pacific_coach)):
        program_setup(program=program)
        training_record_add(
            actor=Actor(admin, None),
            user=who,
            fields={
                "kind": TrainingKind.objects.get(program=program, name="CPR and first aid"),
                "completed_on": datetime.date(2025, 3, 15),
                "hours": 4,
                "provider": "",
                "expires_on": datetime.date(2027, 3, 15),
            },
        )
    assert send_training_reminders.apply().get() == 2
    steps = dict(TrainingReminder.objects.values_list("record__user__username", "step"))
    # Seven days left in New York (Monday the 8th); eight in Los Angeles (still Sunday the 7th).
    assert steps == {"coach_a": TrainingReminder.Step.DAYS_7, "coach_x": TrainingReminder.Step.DAYS_30}
    assert send_outbox() == 2
    assert len(mail.outbox) == 2


@time_machine.travel(datetime.datetime(2026, 3, 8, 17, 0, tzinfo=UTC), tick=False)
def test_a_time_the_clocks_skip_is_refused_next_to_the_field(coach, patient):
    response = _as(coach).post(
        reverse("coaching:encounter_new"),
        {
            "kind": EncounterKind.COMMUNITY,
            "date": "2026-03-08",
            "start_time": "02:30",
            "duration_minutes": "30",
            "patients": [patient.pk],
            "summary": "Kept words.",
        },
    )
    form = response.context["form"]
    assert form.errors["start_time"] == ["There is no 02:30 on Mar 8: the clocks skipped that hour. Check the time."]
    assert "Kept words." in response.content.decode()
    assert not Encounter.objects.exists()


def test_admins_see_and_set_the_programs_time_zone(client_for, admin, program):
    client = client_for(admin)
    assert 'value="America/New_York"' in client.get(reverse("staff:program")).content.decode()
    response = client.post(reverse("staff:program"), _settings(time_zone="America/Chicago"))
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.time_zone == "America/Chicago"


@pytest.mark.parametrize("typed", ["Central", "America/Nowhere", "../../etc/passwd", ""])
def test_a_time_zone_that_does_not_exist_is_refused_next_to_the_field(client_for, admin, program, typed):
    response = client_for(admin).post(reverse("staff:program"), _settings(time_zone=typed))
    form = response.context["form"]
    assert list(form.errors) == ["time_zone"]
    assert Program.objects.get(pk=program.pk).time_zone == "America/New_York"


def test_the_zone_names_a_time_zone_we_know(program):
    from django.core.exceptions import ValidationError

    program.time_zone = "Europe/Atlantis"
    with pytest.raises(ValidationError, match="not a time-zone name we know"):
        program.full_clean()


def _settings(**overrides) -> dict:
    return {
        "time_zone": "America/New_York",
        "office_opens": "09:00",
        "office_closes": "17:00",
        "office_days": ["0", "1", "2", "3", "4"],
        "escalation_minutes": "15",
        "no_contact_days": "14",
        "caseload_cap": "15",
    } | overrides


def test_the_database_refuses_a_time_zone_it_does_not_know(pacific):
    # Every page of the program reads its clock from this name: a typo written past the form (raw SQL, a
    # script) would break them all, so the database refuses it.
    with pytest.raises(DataError, match="time zone"), transaction.atomic():
        Program.objects.filter(pk=pacific.pk).update(time_zone="America/Los_Angles")
    with pytest.raises(DataError, match="time zone"), transaction.atomic():
        Program.objects.create(name="Mistyped", time_zone="Pacific Time")
    pacific.refresh_from_db()
    assert pacific.time_zone == "America/Los_Angeles"
