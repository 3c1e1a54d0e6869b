from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import no_delete


@pghistory.track()
class SupervisionAssignment(models.Model):
    """Who supervises a coach: one primary supervisor at a time, dated, with the history kept."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_by")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervises")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coach"], condition=Q(ended_on__isnull=True), name="one_primary_supervisor_per_coach"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="supervision_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(
                fields=["supervisor"], condition=Q(ended_on__isnull=True), name="supervision_open_by_supervisor"
            )
        ]
        triggers = [no_delete]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.coach} from {self.started_on}"
