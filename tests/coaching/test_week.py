"""Her week: appointments she goes to with a woman, next-contact reminders, and logging an appointment in one tap."""

from __future__ import annotations

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, transaction
from django.urls import reverse

from coaching import services
from coaching.models import Appointment, AppointmentStatus, Encounter, Reminder, ReminderStatus
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from staff.models import Program
from supervision.services import supervision_assign
from tests.factories import PatientFactory, UserFactory, on_caseload_of

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# A Friday in New York, two days before the clocks go forward (Sunday March 14, 2027, 2 a.m.).
FRIDAY = datetime.datetime(2027, 3, 12, 9, 0, tzinfo=NEW_YORK)


@pytest.fixture
def friday(program):
    Program.objects.filter(pk=program.pk).update(time_zone="America/New_York")
    with time_machine.travel(FRIDAY, tick=False):
        yield FRIDAY


def _add(coach, patient, *, when=None, kind="court", **fields) -> Appointment:
    return services.appointment_add(
        actor=Actor(coach, None),
        patient=patient,
        fields={"starts_at": when or FRIDAY + datetime.timedelta(days=1), "kind": kind} | fields,
    )


def _remind(coach, patient, due_on, what="Call her") -> Reminder:
    return services.reminder_add(
        actor=Actor(coach, None), patient=patient, fields={"due_on": due_on, "due_time": None, "what": what}
    )


def _log_form(appointment, key=None) -> dict:
    return {
        "patients": [appointment.patient_id],
        "kind": "court",
        "started": "pick",
        "date": "2027-03-12",
        "start_time": "08:00",
        "duration_minutes": "90",
        "summary": "Sat with her through the hearing; it was moved to April.",
        FIELD: str(key or uuid.uuid4()),
    }


# The rules


def test_an_appointment_is_done_only_with_the_encounter_that_logged_it(friday, coach, patient):
    appointment = _add(coach, patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.DONE)


def test_an_appointment_is_never_deleted(friday, coach, patient):
    appointment = _add(coach, patient)
    with pytest.raises(ProgrammingError), transaction.atomic():
        appointment.delete()


def test_a_reminder_is_never_deleted_and_a_closed_one_has_a_date(friday, coach, patient):
    reminder = _remind(coach, patient, datetime.date(2027, 3, 15))
    with pytest.raises(ProgrammingError), transaction.atomic():
        reminder.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.DONE)


def test_an_appointment_never_names_a_woman_of_another_program(friday, coach, patient, outside_patient):
    appointment = _add(coach, patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(patient=outside_patient)


def test_only_a_woman_of_her_caseload(friday, coach, other_patient):
    with pytest.raises(ValidationError, match="caseload"):
        _add(coach, other_patient)
    with pytest.raises(ValidationError, match="caseload"):
        _remind(coach, other_patient, datetime.date(2027, 3, 15))


def test_not_in_the_past(friday, coach, patient):
    with pytest.raises(ValidationError, match="past"):
        _add(coach, patient, when=FRIDAY - datetime.timedelta(days=2))
    with pytest.raises(ValidationError, match="today"):
        _remind(coach, patient, datetime.date(2027, 3, 11))


def test_cancelled_or_missed_only_while_planned_and_never_done_by_hand(friday, coach, patient):
    appointment = _add(coach, patient)
    with pytest.raises(ValidationError, match="logging"):
        services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.DONE)
    services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.CANCELLED)
    with pytest.raises(ValidationError, match="no longer planned"):
        services.appointment_close(actor=Actor(coach, None), appointment=appointment, status=AppointmentStatus.NO_SHOW)


def test_a_reminder_closes_once(friday, coach, patient):
    reminder = _remind(coach, patient, datetime.date(2027, 3, 15))
    services.reminder_close(actor=Actor(coach, None), reminder=reminder, status=ReminderStatus.DONE)
    reminder.refresh_from_db()
    assert reminder.closed_at is not None
    with pytest.raises(ValidationError, match="already closed"):
        services.reminder_close(actor=Actor(coach, None), reminder=reminder, status=ReminderStatus.DISMISSED)


# Logging it in one tap


def test_log_it_opens_the_encounter_form_with_her_the_kind_and_the_time(client_for, friday, coach, patient):
    appointment = _add(coach, patient, when=datetime.datetime(2027, 3, 12, 8, 0, tzinfo=NEW_YORK), kind="dental")
    page = client_for(coach).get(reverse("coaching:encounter_new") + f"?appointment={appointment.pk}")
    form = page.context["form"]
    assert form.initial["patients"] == [patient.pk]
    assert form.initial["kind"] == "medical"
    assert (form.initial["date"], form.initial["start_time"]) == (datetime.date(2027, 3, 12), datetime.time(8, 0))
    assert "Saving marks it done" in page.content.decode()


def test_saving_the_encounter_marks_the_appointment_done_and_links_it_and_a_retry_saves_once(
    client_for, friday, coach, patient
):
    appointment = _add(coach, patient, when=datetime.datetime(2027, 3, 12, 8, 0, tzinfo=NEW_YORK))
    client = client_for(coach)
    url = reverse("coaching:encounter_new") + f"?appointment={appointment.pk}"
    key = uuid.uuid4()
    first = client.post(url, _log_form(appointment, key))
    again = client.post(url, _log_form(appointment, key))
    assert first.status_code == again.status_code == 302
    encounter = Encounter.objects.get(coach=coach)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.encounter) == (AppointmentStatus.DONE, encounter)
    assert again["Location"] == first["Location"]


def test_an_appointment_logged_already_is_not_logged_twice(client_for, friday, coach, patient):
    appointment = _add(coach, patient, when=datetime.datetime(2027, 3, 12, 8, 0, tzinfo=NEW_YORK))
    client = client_for(coach)
    url = reverse("coaching:encounter_new") + f"?appointment={appointment.pk}"
    client.post(url, _log_form(appointment))
    refused = client.post(url, _log_form(appointment))  # another key: Back, and Save again
    assert refused.status_code == 200
    assert "no longer planned" in refused.content.decode()
    assert Encounter.objects.filter(coach=coach).count() == 1
    assert client.get(url).status_code == 302


def test_the_woman_of_the_appointment_must_be_on_its_encounter(client_for, friday, coach, patient):
    second = PatientFactory(program=coach.program, legal_name="Wren Ashby", clinical_provider=patient.clinical_provider)
    on_caseload_of(second, coach)
    appointment = _add(coach, patient, when=datetime.datetime(2027, 3, 12, 8, 0, tzinfo=NEW_YORK))
    url = reverse("coaching:encounter_new") + f"?appointment={appointment.pk}"
    refused = client_for(coach).post(url, _log_form(appointment) | {"patients": [second.pk]})
    assert "must be on the encounter" in refused.content.decode()
    assert not Encounter.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PLANNED


def test_another_coach_cannot_log_her_appointment(client_for, friday, coach, other_coach, patient):
    appointment = _add(coach, patient)
    url = reverse("coaching:encounter_new") + f"?appointment={appointment.pk}"
    assert client_for(other_coach).get(url).status_code == 404


# Her week, in the program's zone


def test_her_week_groups_by_day_in_the_program_zone_across_the_clocks_going_forward(client_for, friday, coach, patient):
    client = client_for(coach)
    client.post(
        reverse("coaching:appointment_new"),
        {
            "patient": patient.pk,
            "kind": "medical",
            "appointment_day": "2027-03-14",
            "appointment_time": "10:00",
            "place": "Clinic",
        },
    )
    appointment = Appointment.objects.get()
    # 10 a.m. on the Sunday the clocks went forward is 14:00 UTC (EDT), not 15:00 (EST).
    assert appointment.starts_at == datetime.datetime(2027, 3, 14, 14, 0, tzinfo=datetime.UTC)
    _add(coach, patient, when=datetime.datetime(2027, 3, 14, 23, 30, tzinfo=NEW_YORK), kind="housing")
    _remind(coach, patient, datetime.date(2027, 3, 15), what="Call about the lease")
    week = client.get(reverse("coaching:week")).context["week"]
    sunday = week.days[2]
    assert sunday.day == datetime.date(2027, 3, 14)
    assert [a.kind for a in sunday.appointments] == ["medical", "housing"]
    assert [r.what for r in week.days[3].reminders] == ["Call about the lease"]
    assert "10:00 a.m." in client.get(reverse("coaching:week")).content.decode()


def test_a_time_the_clocks_skip_is_refused_next_to_the_field(client_for, friday, coach, patient):
    refused = client_for(coach).post(
        reverse("coaching:appointment_new"),
        {"patient": patient.pk, "kind": "court", "appointment_day": "2027-03-14", "appointment_time": "02:30"},
    )
    assert "the clocks skipped that hour" in refused.content.decode()
    assert not Appointment.objects.exists()


def test_overdue_reminders_stay_on_her_home_page(client_for, friday, coach, patient):
    reminder = _remind(coach, patient, datetime.date(2027, 3, 13), what="Text her about the ride")
    with time_machine.travel(FRIDAY + datetime.timedelta(days=3), tick=False):
        client = client_for(coach)
        page = client.get(reverse("home"))
        assert [r.pk for r in page.context["my_week"].overdue] == [reminder.pk]
        assert "Overdue reminders" in page.content.decode()
        client.post(reverse("coaching:reminder_close", args=[reminder.pk, "done"]))
        assert not client.get(reverse("home")).context["my_week"].overdue


def test_previous_and_next_week(client_for, friday, coach, patient):
    _add(coach, patient, when=datetime.datetime(2027, 3, 22, 9, 0, tzinfo=NEW_YORK))
    client = client_for(coach)
    assert not any(day.appointments for day in client.get(reverse("coaching:week")).context["week"].days)
    later = client.get(reverse("coaching:week") + "?from=2027-03-19").context["week"]
    assert [len(day.appointments) for day in later.days] == [0, 0, 0, 1, 0, 0, 0]
    assert client.get(reverse("coaching:week") + "?from=garbage").status_code == 200


def test_reading_a_week_writes_the_access_log(client_for, friday, coach, patient, supervisor):
    _add(coach, patient)
    client_for(supervisor).get(reverse("coaching:coach_week", args=[coach.pk]))
    assert AccessLog.objects.filter(user=supervisor, patient=patient, record_type="week").exists()


# Who sees whose week


def test_a_coach_sees_only_her_own_week(client_for, friday, coach, other_coach, patient):
    _add(coach, patient, note="Bring the court letter")
    client = client_for(other_coach)
    assert client.get(reverse("coaching:coach_week", args=[coach.pk])).status_code == 404
    assert client.get(reverse("coaching:week") + f"?coach={coach.pk}").status_code == 404
    assert "court letter" not in client.get(reverse("coaching:week")).content.decode()
    assert "court letter" in client_for(coach).get(reverse("coaching:week")).content.decode()


def test_her_supervisor_reads_her_week_and_changes_nothing(client_for, friday, coach, patient, supervisor):
    appointment = _add(coach, patient, note="Bring the court letter")
    client = client_for(supervisor)
    assert "court letter" in client.get(reverse("coaching:coach_week", args=[coach.pk])).content.decode()
    page = client.get(reverse("coaching:week") + f"?coach={coach.pk}")
    assert "court letter" in page.content.decode()
    assert "Log it" not in page.content.decode()
    assert client.get(reverse("coaching:week")).context["week"] is None  # she picks a coach first
    close = reverse("coaching:appointment_close", args=[appointment.pk, "cancelled"])
    assert client.post(close).status_code == 404
    assert client.get(reverse("coaching:appointment_new")).status_code == 404


def test_where_supervisors_keep_to_their_own_only_her_coaches(client_for, friday, coach, patient, supervisor, admin):
    Program.objects.filter(pk=coach.program_id).update(supervisors_see_all=False)
    _add(coach, patient)
    other_supervisor = UserFactory(program=coach.program, role="supervisor")
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2027, 1, 1)
    )
    url = reverse("coaching:coach_week", args=[coach.pk])
    assert client_for(supervisor).get(url).status_code == 200
    assert client_for(other_supervisor).get(url).status_code == 404
    assert coach not in client_for(other_supervisor).get(reverse("coaching:week")).context["coaches"]


@pytest.mark.parametrize("who", ["admin", "outside_supervisor"])
def test_admins_and_other_programs_never(client_for, friday, coach, patient, who, request):
    _add(coach, patient)
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("coaching:coach_week", args=[coach.pk])).status_code == 404
    assert client.get(reverse("coaching:week") + f"?coach={coach.pk}").status_code == 404


def test_admins_have_no_week_page(client_for, admin):
    assert client_for(admin).get(reverse("coaching:week")).status_code == 404


def test_anonymous_goes_to_log_in(client):
    assert client.get(reverse("coaching:week")).status_code == 302


def test_another_coach_cannot_close_her_appointment_or_reminder(client_for, friday, coach, other_coach, patient):
    appointment = _add(coach, patient)
    reminder = _remind(coach, patient, datetime.date(2027, 3, 15))
    client = client_for(other_coach)
    assert client.post(reverse("coaching:appointment_close", args=[appointment.pk, "cancelled"])).status_code == 404
    assert client.post(reverse("coaching:reminder_close", args=[reminder.pk, "done"])).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PLANNED


def test_a_forged_patient_is_a_404(client_for, friday, coach, other_patient):
    response = client_for(coach).post(
        reverse("coaching:appointment_new"),
        {"patient": other_patient.pk, "kind": "court", "appointment_day": "2027-03-15", "appointment_time": "10:00"},
    )
    assert response.status_code == 404


# A constant number of queries


def test_the_week_and_home_pages_run_a_fixed_number_of_queries(
    client_for, friday, coach, patient, supervisor, django_assert_max_num_queries
):
    client = client_for(coach)
    sup = client_for(supervisor)  # noqa: F841 (logs in the shared client as the supervisor last: see below)
    counts = []
    for n in (1, 6):
        for i in range(n):
            _add(coach, patient, when=FRIDAY + datetime.timedelta(days=1, hours=i))
            _remind(coach, patient, datetime.date(2027, 3, 13), what=f"Call {i}")
        client = client_for(coach)
        with django_assert_max_num_queries(60) as home:
            client.get(reverse("home"))
        with django_assert_max_num_queries(30) as week:
            client.get(reverse("coaching:week"))
        client = client_for(supervisor)
        with django_assert_max_num_queries(30) as theirs:
            client.get(reverse("coaching:coach_week", args=[coach.pk]))
        counts.append((len(home.captured_queries), len(week.captured_queries), len(theirs.captured_queries)))
    assert counts[0] == counts[1]
