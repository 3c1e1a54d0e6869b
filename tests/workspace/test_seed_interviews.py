"""The demo program shows the grant's interviews at each status."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from patients import permissions
from patients.interviews import FollowUpStatus
from patients.models import Patient
from staff.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_women_at_every_status():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 (closed with the process)
    supervisor = User.objects.get(username="supervisor1")
    with timezone.override(supervisor.program.zone):
        statuses = {
            episode.status
            for patient in Patient.objects.order_by("pk")
            for episode in permissions.interviews_for(supervisor, patient)[:1]
        }
        discharge_due = any(
            episode.discharge_due
            for patient in Patient.objects.filter(status="discharged")
            for episode in permissions.interviews_for(supervisor, patient)
        )
        due = list(permissions.interviews_due_for(supervisor))
    wanted = {FollowUpStatus.NO_INTAKE, FollowUpStatus.NOT_YET_DUE, FollowUpStatus.OVERDUE, FollowUpStatus.DONE}
    wanted |= {FollowUpStatus.DECLINED, FollowUpStatus.UNREACHABLE, FollowUpStatus.MISSED}
    assert wanted <= statuses, statuses
    assert discharge_due
    assert due
