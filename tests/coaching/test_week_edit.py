"""Changing her week: moving or correcting a planned appointment, moving an open reminder or saying better what it
is. By the rules of adding them, version-checked, with history; hers alone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from coaching import services
from coaching.models import Appointment, AppointmentStatus, Reminder, ReminderStatus
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.versioning import EditConflict
from staff.models import Program
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# A Friday in New York, two days before the clocks go forward (Sunday March 14, 2027, 2 a.m.).
FRIDAY = datetime.datetime(2027, 3, 12, 9, 0, tzinfo=NEW_YORK)
SATURDAY_TEN = FRIDAY + datetime.timedelta(days=1, hours=1)


@pytest.fixture
def friday(program):
    Program.objects.filter(pk=program.pk).update(time_zone="America/New_York")
    with time_machine.travel(FRIDAY, tick=False):
        yield FRIDAY


@pytest.fixture
def appointment(friday, coach, patient):
    return services.appointment_add(
        actor=Actor(coach, None),
        patient=patient,
        fields={"starts_at": SATURDAY_TEN, "kind": "court", "place": "County courthouse", "note": ""},
    )


@pytest.fixture
def reminder(friday, coach, patient):
    return services.reminder_add(
        actor=Actor(coach, None),
        patient=patient,
        fields={"due_on": datetime.date(2027, 3, 15), "due_time": None, "what": "Call her"},
    )


def _moved(appointment, **fields):
    return {
        "starts_at": SATURDAY_TEN,
        "kind": appointment.kind,
        "place": appointment.place,
        "note": appointment.note,
    } | fields


def _change(coach, appointment, version=None, **fields):
    return services.appointment_change(
        actor=Actor(coach, None),
        appointment=appointment,
        fields=_moved(appointment, **fields),
        version=version or appointment.version,
    )


def _reminder_form(reminder, **fields) -> dict:
    return {
        "what": reminder.what,
        "reminder_day": "2027-03-15",
        "reminder_time": "",
        "version": str(reminder.version),
    } | fields


def _appointment_form(appointment, **fields) -> dict:
    return {
        "kind": appointment.kind,
        "appointment_day": "2027-03-13",
        "appointment_time": "10:00",
        "place": appointment.place,
        "note": appointment.note,
        "version": str(appointment.version),
    } | fields


# The rules


def test_she_moves_a_planned_appointment_and_its_history_is_kept(appointment, coach):
    _change(
        coach, appointment, starts_at=SATURDAY_TEN + datetime.timedelta(days=2), place="Family court", kind="housing"
    )
    appointment.refresh_from_db()
    assert (appointment.place, appointment.kind, appointment.version) == ("Family court", "housing", 2)
    assert [event.place for event in appointment.events.order_by("pgh_id")] == ["County courthouse", "Family court"]


def test_an_appointment_no_longer_planned_is_not_changed(appointment, coach):
    services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.CANCELLED)
    appointment.refresh_from_db()
    with pytest.raises(ValidationError, match="no longer planned"):
        _change(coach, appointment, place="Family court")
    appointment.refresh_from_db()
    assert appointment.place == "County courthouse"


def test_an_appointment_is_not_moved_more_than_a_day_into_the_past(appointment, coach):
    with pytest.raises(ValidationError, match="past"):
        _change(coach, appointment, starts_at=FRIDAY - datetime.timedelta(days=2))
    _change(coach, appointment, starts_at=FRIDAY - datetime.timedelta(hours=3))  # this morning: a day's grace


def test_only_her_own(appointment, reminder, coach, other_coach):
    with pytest.raises(ValidationError, match="Only the coach"):
        _change(other_coach, appointment, place="Family court")
    with pytest.raises(ValidationError, match="Only the coach"):
        services.reminder_change(
            actor=Actor(other_coach, None),
            reminder=reminder,
            fields={"due_on": reminder.due_on, "due_time": None, "what": "Text her"},
            version=reminder.version,
        )


def test_a_second_editor_is_told_what_changed(appointment, coach):
    opened_at = appointment.version
    _change(coach, appointment, place="Family court")
    appointment.refresh_from_db()
    with pytest.raises(EditConflict, match="Family court"):
        _change(coach, appointment, version=opened_at, place="The clinic")


def test_she_moves_an_open_reminder_and_says_better_what_it_is(reminder, coach):
    services.reminder_change(
        actor=Actor(coach, None),
        reminder=reminder,
        fields={"due_on": datetime.date(2027, 3, 16), "due_time": datetime.time(9, 30), "what": "Text her"},
        version=reminder.version,
    )
    reminder.refresh_from_db()
    assert (reminder.due_on, reminder.due_time, reminder.what) == (
        datetime.date(2027, 3, 16),
        datetime.time(9, 30),
        "Text her",
    )
    assert reminder.events.count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"due_on": datetime.date(2027, 3, 11)}, "today"), ({"what": "   "}, "Write what")],
)
def test_a_reminder_change_keeps_the_rules_of_setting_one(reminder, coach, fields, message):
    with pytest.raises(ValidationError, match=message):
        services.reminder_change(
            actor=Actor(coach, None),
            reminder=reminder,
            fields={"due_on": reminder.due_on, "due_time": None, "what": "Call her"} | fields,
            version=reminder.version,
        )


def test_a_closed_reminder_is_not_changed(reminder, coach):
    services.reminder_close(actor=Actor(coach, None), reminder=reminder, status=ReminderStatus.DONE)
    reminder.refresh_from_db()
    with pytest.raises(ValidationError, match="already closed"):
        services.reminder_change(
            actor=Actor(coach, None),
            reminder=reminder,
            fields={"due_on": reminder.due_on, "due_time": None, "what": "Text her"},
            version=reminder.version,
        )


# The pages


def test_the_week_page_offers_change_for_planned_and_open_only(client_for, appointment, reminder, coach):
    page = client_for(coach).get(reverse("coaching:week")).content.decode()
    assert reverse("coaching:appointment_edit", args=[appointment.pk]) in page
    assert reverse("coaching:reminder_edit", args=[reminder.pk]) in page
    services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.CANCELLED)
    page = client_for(coach).get(reverse("coaching:week")).content.decode()
    assert reverse("coaching:appointment_edit", args=[appointment.pk]) not in page


def test_she_moves_it_across_the_clocks_going_forward_in_the_program_zone(client_for, appointment, coach):
    client = client_for(coach)
    url = reverse("coaching:appointment_edit", args=[appointment.pk])
    assert client.get(url).context["form"].initial["appointment_time"] == datetime.time(10, 0)
    response = client.post(url, _appointment_form(appointment, appointment_day="2027-03-15", appointment_time="10:00"))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime.datetime(2027, 3, 15, 10, 0, tzinfo=NEW_YORK)
    assert AccessLog.objects.filter(user=coach, record_id=str(appointment.pk), action="change").exists()
    assert AccessLog.objects.filter(user=coach, record_id=str(appointment.pk), action="view").exists()


def test_a_time_the_clocks_skip_is_refused_next_to_the_field_and_her_text_kept(client_for, appointment, coach):
    url = reverse("coaching:appointment_edit", args=[appointment.pk])
    data = _appointment_form(appointment, appointment_day="2027-03-14", appointment_time="02:30", note="Bring ID")
    response = client_for(coach).post(url, data)
    assert response.status_code == 200
    assert "appointment_time" in response.context["form"].errors
    assert "Bring ID" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.version == 1


def test_a_stale_form_shows_the_conflict_above_it(client_for, appointment, coach):
    _change(coach, appointment, place="Family court")
    url = reverse("coaching:appointment_edit", args=[appointment.pk])
    response = client_for(coach).post(url, _appointment_form(appointment, place="The clinic", version="1"))
    assert response.status_code == 200
    assert "Family court" in str(response.context["form"].non_field_errors())
    appointment.refresh_from_db()
    assert appointment.place == "Family court"


def test_a_closed_one_is_refused_on_the_page(client_for, appointment, reminder, coach):
    services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.NO_SHOW)
    services.reminder_close(actor=Actor(coach, None), reminder=reminder, status=ReminderStatus.DISMISSED)
    client = client_for(coach)
    response = client.post(reverse("coaching:appointment_edit", args=[appointment.pk]), _appointment_form(appointment))
    assert "no longer planned" in response.content.decode()
    response = client.post(reverse("coaching:reminder_edit", args=[reminder.pk]), _reminder_form(reminder, what="Text"))
    assert "already closed" in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.what == "Call her"


def test_she_changes_a_reminder_on_its_page(client_for, reminder, coach):
    url = reverse("coaching:reminder_edit", args=[reminder.pk])
    response = client_for(coach).post(url, _reminder_form(reminder, what="Text her", reminder_time="09:30"))
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.what, reminder.due_time) == ("Text her", datetime.time(9, 30))


@pytest.mark.parametrize("who", ["supervisor", "other_coach", "admin", "outside_supervisor"])
def test_nobody_else_changes_them(client_for, appointment, reminder, who, request):
    client = client_for(request.getfixturevalue(who))
    for url, data in [
        (reverse("coaching:appointment_edit", args=[appointment.pk]), _appointment_form(appointment, place="X")),
        (reverse("coaching:reminder_edit", args=[reminder.pk]), _reminder_form(reminder, what="X")),
    ]:
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).version == 1
    assert Reminder.objects.get(pk=reminder.pk).version == 1


def test_a_coach_of_another_program_gets_a_404(client_for, appointment, outside_supervisor):
    outsider = UserFactory(program=outside_supervisor.program, role="coach")
    assert client_for(outsider).get(reverse("coaching:appointment_edit", args=[appointment.pk])).status_code == 404
