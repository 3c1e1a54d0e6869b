"""Urgent concerns page a supervisor now, escalate when nobody acknowledges, and never page twice."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from recovery_program.audit import Actor
from recovery_program.models import OutboundMessage
from staff.roles import Role
from staff.services import user_set_role
from supervision import paging
from supervision.models import Page, PageStep
from tests.factories import UserFactory, add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS, OFFICE_HOURS
from workspace.services import staff_deactivate

pytestmark = pytest.mark.django_db


@pytest.fixture
def tonight(program, supervisor, backup_supervisor):
    return add_shift(
        program,
        supervisor,
        backup_supervisor,
        AFTER_HOURS - datetime.timedelta(hours=6),
        AFTER_HOURS + datetime.timedelta(hours=8),
    )


def _urgent(coach, patient, at, django_capture_on_commit_callbacks, celery_eager):
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        return share_concern(coach, patient, urgency="urgent_now")


def test_after_hours_an_urgent_concern_pages_the_supervisor_on_call(
    coach, patient, supervisor, other_coach, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    pages = list(Page.objects.filter(concern=concern))
    assert {(p.recipient, p.channel, p.step) for p in pages} == {
        (supervisor, "email", PageStep.FIRST),
        (supervisor, "sms", PageStep.FIRST),
    }
    assert all(p.sent_at for p in pages)
    messages = OutboundMessage.objects.all()
    assert {m.to for m in messages} == {supervisor.email, supervisor.phone}


def test_during_office_hours_it_pages_her_own_supervisor(
    coach, patient, supervised, supervisor, backup_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    add_shift(
        coach.program,
        backup_supervisor,
        supervisor,
        OFFICE_HOURS - datetime.timedelta(hours=1),
        OFFICE_HOURS + datetime.timedelta(hours=1),
    )
    concern = _urgent(coach, patient, OFFICE_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", flat=True)) == {supervisor.pk}


def test_with_nobody_on_call_every_supervisor_is_paged(
    coach, patient, supervisor, backup_supervisor, outside_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", flat=True)) == {supervisor.pk, backup_supervisor.pk}


def test_a_routine_concern_pages_nobody(coach, patient, tonight):
    share_concern(coach, patient, urgency="within_24h")
    assert not Page.objects.exists()


def test_messages_carry_no_clinical_content_only_a_link(
    coach, patient, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    for message in OutboundMessage.objects.all():
        assert message.body.startswith("A concern needs you now.")
        assert patient.legal_name not in message.body
        assert concern.description not in message.body
        assert "/supervision/pages/" in message.body


def test_delivering_the_same_page_twice_sends_one_message(coach, patient, tonight):
    with time_machine.travel(AFTER_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")  # pages written; their delivery not run here
    page = Page.objects.filter(channel="sms").get()
    assert paging.deliver(page.pk) is True
    assert paging.deliver(page.pk) is False
    assert OutboundMessage.objects.filter(key=str(page.key)).count() == 1


def test_unacknowledged_it_escalates_to_the_backup_then_everyone(
    coach, patient, supervisor, backup_supervisor, tonight, program, django_capture_on_commit_callbacks, celery_eager
):
    third = UserFactory(program=program, role="supervisor")
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    with django_capture_on_commit_callbacks(execute=True):
        assert paging.sweep(AFTER_HOURS + datetime.timedelta(minutes=14))["escalated"] == 0
    later = AFTER_HOURS + datetime.timedelta(minutes=15)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        paging.sweep()
    assert set(concern.pages.filter(step=PageStep.BACKUP).values_list("recipient", flat=True)) == {backup_supervisor.pk}
    later = AFTER_HOURS + datetime.timedelta(minutes=31)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        paging.sweep()
    assert set(concern.pages.filter(step=PageStep.EVERYONE).values_list("recipient", flat=True)) == {
        supervisor.pk,
        backup_supervisor.pk,
        third.pk,
    }
    # Every supervisor is paged again only after the program's minutes (tests/supervision/test_on_call.py).
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=45), tick=False):
        assert paging.sweep()["escalated"] == 0


def test_acknowledging_from_the_link_stops_the_escalation(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    page = concern.pages.first()
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=3), tick=False):
        client = client_for(supervisor)
        assert "I have it" in client.get(reverse("supervision:page", args=[page.pk])).content.decode()
        client.post(reverse("supervision:page", args=[page.pk]))
    concern.refresh_from_db()
    assert concern.acknowledged_by == supervisor
    assert concern.acknowledged_at == AFTER_HOURS + datetime.timedelta(minutes=3)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=20), tick=False):
        assert paging.sweep()["escalated"] == 0


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_only_supervisors_of_the_program_open_a_page(request, client_for, coach, patient, tonight, who):
    with time_machine.travel(AFTER_HOURS, tick=False):
        share_concern(coach, patient, urgency="urgent_now")
    page = Page.objects.first()
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("supervision:page", args=[page.pk])).status_code == 404


def test_when_the_broker_is_down_at_commit_the_sweep_delivers_later(
    coach, patient, tonight, django_capture_on_commit_callbacks, monkeypatch, celery_eager
):
    from kombu.exceptions import OperationalError

    from supervision import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_text, "delay", broker_down)
    monkeypatch.setattr(tasks.deliver_email, "delay", broker_down)
    with time_machine.travel(AFTER_HOURS, tick=False), django_capture_on_commit_callbacks(execute=True):
        concern = share_concern(coach, patient, urgency="urgent_now")  # the coach's request still succeeds
    assert concern.pages.filter(sent_at__isnull=True).count() == 2
    monkeypatch.undo()  # the broker is back
    paging.sweep(AFTER_HOURS + datetime.timedelta(minutes=1))
    assert concern.pages.filter(sent_at__isnull=True).count() == 0
    assert OutboundMessage.objects.count() == 2


def test_the_coach_sees_that_a_supervisor_was_paged(
    client_for, coach, patient, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    page = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    # Sent (to the mail server and the text provider), not known to have reached her: no receipt came.
    assert "A page went out to a supervisor at 10:00 p.m., not yet known to have reached her" in page
    assert "reach a supervisor now" in page


def test_the_coach_is_not_told_a_supervisor_was_reached_before_a_page_is_delivered(client_for, coach, patient, tonight):
    with time_machine.travel(AFTER_HOURS, tick=False):
        concern = share_concern(coach, patient, urgency="urgent_now")  # written; its delivery has not run
    page = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    assert "A page to a supervisor is on its way but has not gone out yet." in page
    assert "went out to a supervisor at" not in page
    assert "reach a supervisor now" in page


def test_once_a_supervisor_has_it_the_coach_is_told_so(
    client_for, coach, patient, supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    client_for(supervisor).post(reverse("coaching:concern_acknowledge", args=[concern.pk]))
    page = client_for(coach).get(reverse("coaching:concern_detail", args=[concern.pk])).content.decode()
    assert "A supervisor has it." in page


# People who cannot answer are passed over at once.


def _deactivate(admin, person):
    staff_deactivate(actor=Actor(admin, None), user=person)


def _paged(concern, step):
    return set(concern.pages.filter(step=step).values_list("recipient", flat=True))


@pytest.fixture
def third_supervisor(program):
    return UserFactory(username="super_c", first_name="Ada", last_name="Nwosu", program=program, role="supervisor")


def test_after_hours_a_deactivated_primary_is_not_paged_and_the_backup_is_paged_at_once(
    coach, patient, admin, supervisor, backup_supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    _deactivate(admin, supervisor)
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", "step")) == {(backup_supervisor.pk, PageStep.BACKUP)}
    assert {m.to for m in OutboundMessage.objects.all()} == {backup_supervisor.email, backup_supervisor.phone}


def test_a_primary_who_is_no_longer_a_supervisor_is_not_paged_either(
    coach, patient, supervisor, backup_supervisor, tonight, django_capture_on_commit_callbacks, celery_eager
):
    user_set_role(actor=None, user=supervisor, role=Role.COACH)
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", "step")) == {(backup_supervisor.pk, PageStep.BACKUP)}


def test_then_every_active_supervisor_after_the_escalation_minutes_never_the_deactivated_one(
    coach,
    patient,
    admin,
    supervisor,
    backup_supervisor,
    third_supervisor,
    tonight,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    _deactivate(admin, supervisor)
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    with time_machine.travel(AFTER_HOURS + datetime.timedelta(minutes=14), tick=False):
        assert paging.sweep()["escalated"] == 0
    later = AFTER_HOURS + datetime.timedelta(minutes=15)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        paging.sweep()
    assert _paged(concern, PageStep.EVERYONE) == {backup_supervisor.pk, third_supervisor.pk}
    assert not concern.pages.filter(recipient=supervisor).exists()


def test_with_primary_and_backup_deactivated_every_active_supervisor_is_paged_at_once(
    coach,
    patient,
    admin,
    supervisor,
    backup_supervisor,
    third_supervisor,
    tonight,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    _deactivate(admin, supervisor)
    _deactivate(admin, backup_supervisor)
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", "step")) == {(third_supervisor.pk, PageStep.EVERYONE)}
    assert concern.pages.filter(sent_at__isnull=False).count() == 2  # her e-mail and her text, now


def test_a_backup_deactivated_before_the_escalation_is_passed_over_for_everyone(
    coach,
    patient,
    admin,
    supervisor,
    backup_supervisor,
    third_supervisor,
    tonight,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    concern = _urgent(coach, patient, AFTER_HOURS, django_capture_on_commit_callbacks, celery_eager)
    _deactivate(admin, backup_supervisor)
    later = AFTER_HOURS + datetime.timedelta(minutes=15)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        paging.sweep()
    assert not _paged(concern, PageStep.BACKUP)
    assert _paged(concern, PageStep.EVERYONE) == {supervisor.pk, third_supervisor.pk}


def test_during_office_hours_a_deactivated_own_supervisor_is_passed_over_for_whoever_is_on_call(
    coach,
    patient,
    admin,
    supervised,
    supervisor,
    backup_supervisor,
    third_supervisor,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    add_shift(
        coach.program,
        third_supervisor,
        backup_supervisor,
        OFFICE_HOURS - datetime.timedelta(hours=1),
        OFFICE_HOURS + datetime.timedelta(hours=1),
    )
    _deactivate(admin, supervisor)
    concern = _urgent(coach, patient, OFFICE_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", "step")) == {(third_supervisor.pk, PageStep.FIRST)}


def test_during_office_hours_with_her_supervisor_deactivated_and_nobody_on_call_every_supervisor_is_paged(
    coach, patient, admin, supervised, supervisor, backup_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    _deactivate(admin, supervisor)
    concern = _urgent(coach, patient, OFFICE_HOURS, django_capture_on_commit_callbacks, celery_eager)
    assert set(concern.pages.values_list("recipient", "step")) == {(backup_supervisor.pk, PageStep.EVERYONE)}
