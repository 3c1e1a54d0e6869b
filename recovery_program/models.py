"""What every app shares: the access log of clinical records."""

from __future__ import annotations

import functools
import hashlib
import json
import uuid

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy, pgettext_lazy


class AccessAction(models.TextChoices):
    VIEW = "view", gettext_lazy("Viewed")
    CREATE = "create", gettext_lazy("Created")
    CHANGE = "change", gettext_lazy("Changed")
    EXPORT = "export", gettext_lazy("Exported")


# What a row's record_type names (stored in English, as the code writes it), in the reader's language.
RECORD_TYPES = {
    "access log": pgettext_lazy("kind of record read", "access log"),
    "accounting of disclosures": pgettext_lazy("kind of record read", "accounting of disclosures"),
    "agenda form": pgettext_lazy("kind of record read", "agenda form"),
    "BARC-10": pgettext_lazy("kind of record read", "BARC-10"),
    "break-glass access": pgettext_lazy("kind of record read", "break-glass access"),
    "break-glass review": pgettext_lazy("kind of record read", "break-glass review"),
    "clinical actions": pgettext_lazy("kind of record read", "clinical actions"),
    "clinical provider": pgettext_lazy("kind of record read", "clinical provider"),
    "coach overview": pgettext_lazy("kind of record read", "coach overview"),
    "concern": pgettext_lazy("kind of record read", "concern"),
    "concern form": pgettext_lazy("kind of record read", "concern form"),
    "concern list": pgettext_lazy("kind of record read", "concern list"),
    "consent": pgettext_lazy("kind of record read", "consent"),
    "cover": pgettext_lazy("kind of record read", "cover"),
    "CPS report": pgettext_lazy("kind of record read", "CPS report"),
    "discharge": pgettext_lazy("kind of record read", "discharge"),
    "disclosure": pgettext_lazy("kind of record read", "disclosure"),
    "draft": pgettext_lazy("kind of record read", "draft"),
    "dual relationship": pgettext_lazy("kind of record read", "dual relationship"),
    "encounter": pgettext_lazy("kind of record read", "encounter"),
    "encounter form": pgettext_lazy("kind of record read", "encounter form"),
    "encounter list": pgettext_lazy("kind of record read", "encounter list"),
    "export": pgettext_lazy("kind of record read", "export"),
    "grant interview": pgettext_lazy("kind of record read", "grant interview"),
    "grant interviews": pgettext_lazy("kind of record read", "grant interviews"),
    "home: her patients": pgettext_lazy("kind of record read", "home: her patients"),
    "home: interviews due": pgettext_lazy("kind of record read", "home: interviews due"),
    "home: my week": pgettext_lazy("kind of record read", "home: my week"),
    "home: steps due": pgettext_lazy("kind of record read", "home: steps due"),
    "interviews due": pgettext_lazy("kind of record read", "interviews due"),
    "list": pgettext_lazy("kind of record read", "list"),
    "page": pgettext_lazy("kind of record read", "page"),
    "patient list": pgettext_lazy("kind of record read", "patient list"),
    "pregnancy": pgettext_lazy("kind of record read", "pregnancy"),
    "private check-in": pgettext_lazy("kind of record read", "private check-in"),
    "program report": pgettext_lazy("kind of record read", "program report"),
    "recovery plan": pgettext_lazy("kind of record read", "recovery plan"),
    "recovery plan history": pgettext_lazy("kind of record read", "recovery plan history"),
    "referral": pgettext_lazy("kind of record read", "referral"),
    "safety plan": pgettext_lazy("kind of record read", "safety plan"),
    "safety plan history": pgettext_lazy("kind of record read", "safety plan history"),
    "service agreement": pgettext_lazy("kind of record read", "service agreement"),
    "signed consent": pgettext_lazy("kind of record read", "signed consent"),
    "supervision queue": pgettext_lazy("kind of record read", "supervision queue"),
    "supervision session": pgettext_lazy("kind of record read", "supervision session"),
    "supervision session form": pgettext_lazy("kind of record read", "supervision session form"),
    "week": pgettext_lazy("kind of record read", "week"),
    "week form": pgettext_lazy("kind of record read", "week form"),
}


@functools.cache
def _models_by_english_name() -> dict[str, type[models.Model]]:
    """Each model by the English name `log_access` stores for it (built once: an access-log page asks per row)."""
    from django.apps import apps

    return {model._meta.verbose_name_raw: model for model in apps.get_models()}


def record_type_label(stored: str) -> str:
    """The kind of record a row names, in the reader's language; the stored words when they are not known."""
    if stored in RECORD_TYPES:
        return RECORD_TYPES[stored]
    kind, _colon, detail = stored.partition(": ")
    if detail and kind in RECORD_TYPES:
        return f"{RECORD_TYPES[kind]}: {detail}"
    model = _models_by_english_name().get(stored)
    return str(model._meta.verbose_name) if model is not None else stored


class AccessLogQuerySet(models.QuerySet):
    def about(self, patient_id: int) -> AccessLogQuerySet:
        """Rows about this woman: hers alone (`patient`), or a list or a record that named her (`patient_ids`).

        Each half has its index (accesslog_patient_at, the GIN accesslog_patient_ids); Postgres ORs the two.
        """
        return self.filter(models.Q(patient_id=patient_id) | models.Q(patient_ids__contains=[patient_id]))

    def touched_by(self, user_id: int, since, until) -> AccessLogQuerySet:
        """What this account touched in [since, until), newest first: an index-only scan of accesslog_user_at."""
        return self.filter(user_id=user_id, at__gte=since, at__lt=until).order_by("-at").only(*TOUCHED_COLUMNS)


# What "what did this account touch" reads: the covering index accesslog_user_at holds every one of them.
TOUCHED_COLUMNS = ("id", "at", "user", "action", "patient", "patient_ids", "record_type", "record_id")


class AccessLog(models.Model):
    """One row for every read, create, change or export of a clinical record.

    A page or a record about several women (a list, a group session) is one row whose `patient_ids` names
    each of them; `AccessLog.objects.about(patient_id)` finds both kinds. Append-only: a database trigger
    refuses UPDATE and DELETE, whoever asks, raw SQL included. Rows carry ids and the kind of record, never
    its content.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, related_name="+")
    record_type = models.CharField(
        max_length=64, help_text=gettext_lazy("What was touched, e.g. patient, consent, caseload.")
    )
    record_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    # No foreign key can hold an array's elements; a patient is never deleted (no_delete), so the ids stay good.
    patient_ids = ArrayField(
        models.IntegerField(),
        null=True,
        help_text=gettext_lazy("Every woman a list or a record about several women showed."),
    )

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="accesslog_patient_at"),
            GinIndex(fields=["patient_ids"], name="accesslog_patient_ids"),
            # Covering: an account's year is read from the index alone (docs/performance.md, "The access log").
            models.Index(
                fields=["user", "-at"],
                include=["id", "action", "patient", "patient_ids", "record_type", "record_id"],
                name="accesslog_user_at",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.record_type} {self.record_id} by user {self.user_id}"

    def record_type_display(self) -> str:
        return record_type_label(self.record_type)


class AccessLogSeal(models.Model):
    """A link of the hash chain over the access log: one per access-log row, written after its commit.

    `hash` is sha256 of the previous seal's hash and the row's canonical form (`version`, `sequence` and every
    column of the row; `recovery_program.access_log_chain`), so a row changed or removed later, or a seal
    changed or removed, breaks the chain where it happened: `manage.py verify_access_log` names it. The
    sealer (a beat task) writes seals in batches; logging stays one plain INSERT. Who and when are copied
    from the row, so a changed row can still be told as it was. Append-only like the log, and the app's
    database role may only add and read seals (`database_roles.grant_app_role`).
    """

    sequence = models.BigIntegerField(primary_key=True)
    # No foreign-key constraint: sealing never locks or writes the logged row, and a row removed by someone
    # who could set the triggers aside is what verify_access_log reports, not something to prevent here.
    access_log = models.OneToOneField(AccessLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    version = models.PositiveSmallIntegerField()
    logged_at = models.DateTimeField()
    logged_by = models.BigIntegerField(help_text=gettext_lazy("The user id of the row, as it was when sealed."))
    hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["sequence"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Seal {self.sequence} of access-log row {self.access_log_id}"


class AccessLogSealer(models.Model):
    """Where the sealer stands (one row): below which ids every row is sealed, so it never rereads the log.

    `sealed_through`: every access-log row with an id up to it is sealed. It never passes `settled_through`:
    every transaction that took an id up to that has ended, so no row below it can still appear. A
    transaction that took a lower id and commits late is therefore sealed late, never missed.
    `pending_*` is the next checkpoint on its way to settling (see `access_log_chain.settle`).
    Losing or forging this row costs time, not evidence: verify_access_log reads the log itself.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sealed_through = models.BigIntegerField(default=0)
    settled_through = models.BigIntegerField(default=0)
    pending_through = models.BigIntegerField(null=True)
    pending_at = models.DateTimeField(null=True)
    pending_fence = models.BigIntegerField(
        null=True, help_text=gettext_lazy("A transaction id taken after pending_at.")
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="access_log_sealer_one_row")]

    def __str__(self) -> str:
        return f"Access log sealed through {self.sealed_through}"


class AccessLogArchive(models.Model):
    """A month of the access log moved out of the database into a compressed file (`manage.py access_log_archive`).

    The file holds the month's rows and their seals; `last_sequence` and `last_hash` are the last seal of a row
    archived, the predecessor of the first row kept, so `verify_access_log` goes on from there and the file can be
    checked on its own. Seals stay in the seal table: rows logged before `before` whose seal names a row no longer
    here were archived, not removed. Append-only.
    """

    month = models.DateField(unique=True, help_text=gettext_lazy("The first day of the month archived."))
    before = models.DateField(help_text=gettext_lazy("The first day after the month archived."))
    file_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    rows = models.BigIntegerField()
    last_sequence = models.BigIntegerField(null=True)
    last_hash = models.BinaryField(max_length=32, null=True)
    archived_at = models.DateTimeField()

    class Meta:
        ordering = ["month"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Access log of {self.month:%Y-%m}, archived"


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


class Outgoing(models.Model):
    """One e-mail that must not be lost (a password link, a notice): the outbox row, written in the transaction of
    the change that causes it, delivered after commit by a task and by the minute sweep (`recovery_program.outbox`).

    `context` holds ids, dates and words that carry no clinical content: what the e-mail says is built from it
    when it is sent (a password link is made then, never stored). At most once: a sender claims the row
    (`sending`, one more attempt) before the call and marks it `sent` after; a row found still `sending` after its
    sender died may or may not have gone out, and is marked `unknown`, never sent again (SMTP cannot tell a
    repeat). `held`: written before a restore of the database; waits for someone to send it or drop it."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting to be sent")
        SENDING = "sending", gettext_lazy("Being sent")
        SENT = "sent", gettext_lazy("Sent")
        FAILED = "failed", gettext_lazy("Could not be sent")
        UNKNOWN = "unknown", gettext_lazy("Perhaps sent: its sender stopped while sending")
        HELD = "held", gettext_lazy("Held after a restore")
        DROPPED = "dropped", gettext_lazy("No longer needed")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Another address than hers, e.g. the one she had before it changed; empty: her address when it is sent.
    address = models.EmailField(blank=True)
    template = models.CharField(max_length=60)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # after a failed send; the first is due at once
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The kind of the last error (an exception's class), never its message.
    last_error = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="sent", sent_at__isnull=False)
                | (~models.Q(status="sent") & models.Q(sent_at__isnull=True)),
                name="outgoing_sent_has_a_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(claimed_at__isnull=False),
                name="outgoing_sending_is_claimed",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(status__in=["pending", "sending"]), name="outgoing_unsent"
            ),
            models.Index(fields=["recipient"], condition=models.Q(status="held"), name="outgoing_held"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail {self.pk} ({self.status})"


class ExportKind(models.TextChoices):
    ENCOUNTERS = "encounters", gettext_lazy("Encounters")
    CONCERNS = "concerns", gettext_lazy("Concerns")
    REFERRALS = "referrals", gettext_lazy("Referrals")
    PATIENTS = "patients", gettext_lazy("Women in the program")
    INTERVIEWS = "interviews", gettext_lazy("The grant's interviews (dates only)")


class ExportFormat(models.TextChoices):
    CSV = "csv", gettext_lazy("CSV (any spreadsheet)")
    XLSX = "xlsx", gettext_lazy("Excel (.xlsx)")


class Export(models.Model):
    """One download of a list (encounters, concerns, referrals, women): who, when, and what she chose.

    The access log has one row per export (not per woman in it), whose `record_id` names this row and a digest of
    its choices (`digest`): the log's hash chain then holds the choices too. De-identified unless `identified`,
    which needs a reason (a CHECK holds it). Append-only: a trigger refuses UPDATE and DELETE.
    """

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    file_format = models.CharField(max_length=8, choices=ExportFormat.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    identified = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(identified=False) | ~models.Q(reason__regex=r"^\s*$"),
                name="export_identified_has_a_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="export_period_ordered"
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="export_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.kind} by user {self.user_id}"

    def digest(self) -> str:
        """A sha256 of her choices (40 hex characters), written into the export's access-log row."""
        choices = [
            self.pk,
            self.user_id,
            self.kind,
            self.file_format,
            self.starts_on.isoformat(),
            self.ends_on.isoformat(),
            self.coach_id,
            self.identified,
            self.reason,
        ]
        return hashlib.sha256(json.dumps(choices).encode()).hexdigest()[:40]
