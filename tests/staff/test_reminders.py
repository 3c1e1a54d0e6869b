"""Training reminders: 60, 30 and 7 days before expiry to the person, and when it lapses to her supervisor and
the admins. Each is sent once."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from recovery_program.audit import Actor
from recovery_program.celery import app
from staff.models import TrainingKind, TrainingReminder
from staff.services import program_setup, training_record_add
from supervision.services import supervision_assign
from tests.factories import send_outbox
from workspace.tasks import send_training_reminders

START = datetime.datetime(2027, 1, 4, 7, 5, tzinfo=datetime.UTC)


@pytest.fixture
def expiring_record(program, admin, coach, supervisor):
    program_setup(program=program)
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
    )
    kind = TrainingKind.objects.get(program=program, name="CPR and first aid")
    return training_record_add(
        actor=Actor(admin, None),
        user=coach,
        fields={
            "kind": kind,
            "completed_on": datetime.date(2025, 3, 5),
            "hours": 4,
            "provider": "",
            "expires_on": START.date() + datetime.timedelta(days=60),
        },
    )


def _run_on(day_offset: int) -> list:
    mail.outbox.clear()
    with time_machine.travel(START + datetime.timedelta(days=day_offset), tick=False):
        send_training_reminders.apply()
        send_outbox()
    return list(mail.outbox)


@pytest.mark.django_db
def test_the_reminder_schedule(expiring_record, coach, supervisor, admin):
    sent = _run_on(0)
    assert [(m.to, m.subject) for m in sent] == [([coach.email], "Your CPR and first aid expires on Mar 5, 2027")]
    assert _run_on(0) == []  # the same day again: nothing more
    assert _run_on(1) == []
    assert [m.to for m in _run_on(30)] == [[coach.email]]
    assert _run_on(31) == []
    assert [m.to for m in _run_on(53)] == [[coach.email]]
    assert _run_on(59) == []
    lapsed = _run_on(61)
    assert sorted(m.to for m in lapsed) == sorted([[supervisor.email], [admin.email]])  # one e-mail each
    assert _run_on(62) == []
    assert list(TrainingReminder.objects.order_by("created_at").values_list("step", flat=True)) == [
        "60",
        "30",
        "7",
        "lapsed",
    ]


@pytest.mark.django_db
def test_a_late_first_run_sends_only_the_nearest_reminder(expiring_record, coach):
    assert len(_run_on(55)) == 1
    assert TrainingReminder.objects.get().step == "7"


@pytest.mark.django_db
def test_a_renewed_training_gets_no_reminder_for_the_old_record(expiring_record, admin, coach):
    training_record_add(
        actor=Actor(admin, None),
        user=coach,
        fields={
            "kind": expiring_record.kind,
            "completed_on": START.date(),
            "hours": 4,
            "provider": "",
            "expires_on": START.date() + datetime.timedelta(days=730),
        },
    )
    assert _run_on(0) == []


@pytest.mark.django_db
def test_reminders_say_nothing_clinical(expiring_record, patient):
    (message,) = _run_on(0)
    assert patient.legal_name not in message.body
    assert "/staff/me/training/" in message.body


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=30) as worker:
        yield worker


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_on_a_real_worker_running_the_job_twice_sends_once(celery_worker, expiring_record, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    expiring_record.expires_on = timezone.localdate() + datetime.timedelta(days=20)
    expiring_record.save()
    first = send_training_reminders.apply_async(ignore_result=False).get(timeout=30)
    second = send_training_reminders.apply_async(ignore_result=False).get(timeout=30)
    assert (first, second) == (1, 0)
    reminder = TrainingReminder.objects.get()
    assert reminder.step == "30"
    assert reminder.sent_at is not None


@pytest.mark.django_db
def test_planning_runs_the_same_queries_for_one_or_many_people(
    expiring_record, admin, program, django_assert_max_num_queries
):
    from staff.services import training_reminders_plan
    from tests.factories import UserFactory

    for user in UserFactory.create_batch(15, program=program, role="coach"):
        training_record_add(
            actor=Actor(admin, None),
            user=user,
            fields={
                "kind": expiring_record.kind,
                "completed_on": datetime.date(2025, 3, 5),
                "hours": 4,
                "provider": "",
                "expires_on": START.date() + datetime.timedelta(days=20),
            },
        )
    with time_machine.travel(START, tick=False), django_assert_max_num_queries(4):
        pending = training_reminders_plan(program=program, today=START.date())
    assert len(pending) == 16
