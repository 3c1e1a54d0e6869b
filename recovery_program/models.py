"""What every app shares: the access log of clinical records."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"


class AccessLog(models.Model):
    """One row for every read, create, change or export of a clinical record.

    Append-only: a database trigger refuses UPDATE and DELETE, whoever asks,
    raw SQL included. Rows carry ids and the kind of record, never its content.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, related_name="+")
    record_type = models.CharField(max_length=64, help_text="What was touched, e.g. patient, consent, caseload.")
    record_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="accesslog_patient_at")]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.record_type} {self.record_id} by user {self.user_id}"


class OutboundMessage(models.Model):
    """Messages the app sent through the outbox backends (development, tests, closed networks).

    `key` makes delivery idempotent: the same page delivered twice is stored once.
    """

    channel = models.CharField(max_length=8)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="outbound_message_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}"


class Heartbeat(models.Model):
    """When a background process last proved it runs: `/healthz` answers 503 once one is stale.

    `scheduler`: Celery beat, written by its scheduler as it ticks (recovery_program.celery.HeartbeatScheduler).
    `worker`: a worker ran the `heartbeat` task that beat enqueues each minute.
    """

    name = models.CharField(max_length=16, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Submission(models.Model):
    """A create form's one-time key, stored with what the first submission made (`recovery_program.once`).

    Unique per key and user: the same form sent twice gets the first answer; another user's key is
    never hers. A refused submission leaves no row; `once.forget_old_submissions` clears old ones.
    """

    key = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    result_url = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "user"], name="submission_once_per_key_and_user")]

    def __str__(self) -> str:
        return f"submission {self.key} by user {self.user_id}"
