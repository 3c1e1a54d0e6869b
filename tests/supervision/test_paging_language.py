"""A page reaches a supervisor in her language: "a concern needs you", a link, nothing clinical."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from recovery_program.models import OutboundMessage
from staff.services import language_set
from tests.factories import add_shift, share_concern
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db


def test_a_supervisor_who_reads_spanish_is_paged_in_spanish(
    coach, patient, program, supervisor, backup_supervisor, django_capture_on_commit_callbacks, celery_eager
):
    language_set(user=supervisor, code="es")
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS - datetime.timedelta(hours=6), AFTER_HOURS)
    with (
        time_machine.travel(AFTER_HOURS - datetime.timedelta(hours=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        concern = share_concern(coach, patient, urgency="urgent_now")

    texts = {message.to: message for message in OutboundMessage.objects.all()}
    to_her = texts[supervisor.phone].body
    assert to_her.startswith("Una inquietud te necesita ahora.")
    assert "/supervision/pages/" in to_her
    assert patient.legal_name not in to_her
    assert concern.description not in to_her
    assert texts[supervisor.email].subject.startswith("Una inquietud")
