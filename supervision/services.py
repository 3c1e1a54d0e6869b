"""Writes about supervision links."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from recovery_program.audit import Actor
from staff.models import User
from supervision.models import SupervisionAssignment


@transaction.atomic
def supervision_assign(
    *, actor: Actor, coach: User, supervisor: User, started_on: datetime.date
) -> SupervisionAssignment:
    """Makes `supervisor` her primary supervisor from `started_on`; the previous link ends that day."""
    User.objects.select_for_update().get(pk=coach.pk)
    current = SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).first()
    if current is not None:
        if current.supervisor_id == supervisor.pk:
            raise ValidationError({"supervisor": f"{supervisor} already supervises her."})
        if started_on < current.started_on:
            raise ValidationError({"started_on": f"Her current supervision began {current.started_on:%b %d, %Y}."})
        current.ended_on = started_on
        current.save(update_fields=["ended_on"])
    return SupervisionAssignment.objects.create(
        coach=coach, supervisor=supervisor, started_on=started_on, assigned_by=actor.user
    )
