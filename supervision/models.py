from __future__ import annotations

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models import ProgramFromParent, SameProgram, no_delete
from recovery_program.versioning import VersionField, bump_version


@pghistory.track()
class SupervisionAssignment(ProgramFromParent):
    """Who supervises a coach: one primary supervisor at a time, dated, with the history kept."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_by")
    program_from = "coach"
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
        triggers = [no_delete, SameProgram("program", "coach")]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.coach} from {self.started_on}"


# The rota, checked in the database under a per-program lock (so two writes at once cannot both pass): two
# shifts never overlap, and the time between consecutive shifts lies within office hours, by the rule of
# staff.models.Program.after_hours_within (a test holds the two equal). A removed shift (removed_at set) is no
# longer on the rota: removing it, or moving it, checks the gaps it leaves between the shifts around where it was
# and where it is now. Each refusal names its rule as the error's constraint, which supervision.services reads to
# say what is wrong.
ROTA_NO_OVERLAP = "rota_shifts_never_overlap"
ROTA_AFTER_HOURS_COVERED = "rota_after_hours_covered"
ROTA_RULES = pgtrigger.Trigger(
    name="rota_rules",
    operation=pgtrigger.Insert | pgtrigger.Update,
    when=pgtrigger.Before,
    declare=[
        ("program", "staff_program%ROWTYPE"),
        ("gap_start", "timestamptz"),
        ("gap_end", "timestamptz"),
        ("window_start", "timestamptz"),
        ("window_end", "timestamptz"),
        ("first_local", "timestamp"),
        ("last_local", "timestamp"),
    ],
    # The f-string inserts only the constraint names defined above, never input.
    func=f"""
        PERFORM pg_advisory_xact_lock(hashtext('oncall'), NEW.program_id::int);
        IF NEW.removed_at IS NULL AND EXISTS (
            SELECT 1 FROM supervision_oncallshift s
            WHERE s.program_id = NEW.program_id AND s.id IS DISTINCT FROM NEW.id AND s.removed_at IS NULL
              AND tstzrange(s.starts_at, s.ends_at) && tstzrange(NEW.starts_at, NEW.ends_at)
        ) THEN
            RAISE EXCEPTION 'on-call shifts overlap'
                USING ERRCODE = 'exclusion_violation', CONSTRAINT = '{ROTA_NO_OVERLAP}';
        END IF;
        SELECT * INTO program FROM staff_program WHERE id = NEW.program_id;
        window_start := NEW.starts_at;
        window_end := NEW.ends_at;
        IF TG_OP = 'UPDATE' THEN
            window_start := least(window_start, OLD.starts_at);
            window_end := greatest(window_end, OLD.ends_at);
        END IF;
        -- Each gap between consecutive shifts from the one before the window to the one after it.
        FOR gap_start, gap_end IN
            WITH live AS (
                SELECT s.starts_at, s.ends_at FROM supervision_oncallshift s
                WHERE s.program_id = NEW.program_id AND s.id IS DISTINCT FROM NEW.id AND s.removed_at IS NULL
                UNION ALL SELECT NEW.starts_at, NEW.ends_at WHERE NEW.removed_at IS NULL
            ), near AS (
                SELECT * FROM live
                WHERE ends_at >= coalesce((SELECT max(ends_at) FROM live WHERE ends_at <= window_start), '-infinity')
                  AND starts_at <= coalesce((SELECT min(starts_at) FROM live WHERE starts_at >= window_end), 'infinity')
            )
            SELECT lag(near.ends_at) OVER (ORDER BY near.starts_at), near.starts_at FROM near
        LOOP
            CONTINUE WHEN gap_start IS NULL OR gap_start >= gap_end;
            -- Uncovered unless the gap lies inside one day's office hours, on one clock (no change of offset).
            first_local := gap_start AT TIME ZONE program.time_zone;
            last_local := (gap_end - interval '1 microsecond') AT TIME ZONE program.time_zone;
            IF NOT (
                first_local::date = last_local::date
                AND first_local - (gap_start AT TIME ZONE 'UTC')
                    = last_local - ((gap_end - interval '1 microsecond') AT TIME ZONE 'UTC')
                AND position(((extract(isodow FROM first_local))::int - 1)::text IN program.office_days) > 0
                AND first_local::time >= program.office_opens AND first_local::time < program.office_closes
                AND last_local::time >= program.office_opens AND last_local::time < program.office_closes
            ) THEN
                RAISE EXCEPTION 'on-call rota leaves after-hours time uncovered'
                    USING ERRCODE = 'check_violation', CONSTRAINT = '{ROTA_AFTER_HOURS_COVERED}';
            END IF;
        END LOOP;
        RETURN NEW;
    """,  # noqa: S608
)


class LiveManager(models.Manager):
    """Rows not removed: what the rota is now (a removed row stays, with its history)."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


@pghistory.track()
class OnCallShift(models.Model):
    """Who answers after hours: a primary supervisor, and a backup if the primary does not acknowledge.

    Removed, never deleted: `removed_at` takes it off the rota (`OnCallShift.live`); pghistory keeps each change."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="oncall_shifts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    primary = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    backup = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["program", "starts_at"], name="shift_program_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_it_starts"),
            models.CheckConstraint(condition=~Q(primary=models.F("backup")), name="shift_backup_is_someone_else"),
        ]
        triggers = [ROTA_RULES, SameProgram("program", "primary", "backup"), no_delete]

    def __str__(self) -> str:
        return f"On call {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


# A cover lies inside its shift and never overlaps another cover of the same shift, whoever writes it.
COVER_INSIDE_SHIFT = "cover_inside_its_shift"
COVER_NO_OVERLAP = "covers_never_overlap"
COVER_RULES = pgtrigger.Trigger(
    name="cover_rules",
    operation=pgtrigger.Insert | pgtrigger.Update,
    when=pgtrigger.Before,
    func=f"""
        IF NEW.removed_at IS NOT NULL THEN
            RETURN NEW;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('cover'), NEW.shift_id::int);
        IF NOT EXISTS (
            SELECT 1 FROM supervision_oncallshift s
            WHERE s.id = NEW.shift_id AND s.starts_at <= NEW.starts_at AND NEW.ends_at <= s.ends_at
        ) THEN
            RAISE EXCEPTION 'a cover lies outside its shift'
                USING ERRCODE = 'check_violation', CONSTRAINT = '{COVER_INSIDE_SHIFT}';
        END IF;
        IF EXISTS (
            SELECT 1 FROM supervision_shiftcover c
            WHERE c.shift_id = NEW.shift_id AND c.id IS DISTINCT FROM NEW.id AND c.removed_at IS NULL
              AND tstzrange(c.starts_at, c.ends_at) && tstzrange(NEW.starts_at, NEW.ends_at)
        ) THEN
            RAISE EXCEPTION 'covers overlap'
                USING ERRCODE = 'exclusion_violation', CONSTRAINT = '{COVER_NO_OVERLAP}';
        END IF;
        RETURN NEW;
    """,  # noqa: S608
)


@pghistory.track()
class ShiftCover(ProgramFromParent):
    """A one-off substitute for part of a shift: from `starts_at` to `ends_at` the substitute is the primary."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(OnCallShift, on_delete=models.PROTECT, related_name="covers")
    program_from = "shift"
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    substitute = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="cover_ends_after_it_starts"),
        ]
        triggers = [COVER_RULES, SameProgram("program", "shift", "substitute"), no_delete]

    def __str__(self) -> str:
        return f"Cover {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


class UnavailableReason(models.TextChoices):
    SICK = "sick", _("Sick")
    LEAVE = "leave", _("On leave")
    OTHER = "other", _("Away for another reason")


@pghistory.track()
class Unavailability(ProgramFromParent):
    """Days a supervisor cannot answer (her program's dates, both included): paging passes her over as primary and
    backup, and the rota shows her shifts as needing cover. Only the kind of reason: no health details."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="unavailable")
    program_from = "supervisor"
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    reason = models.CharField(max_length=8, choices=UnavailableReason.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager()
    live = LiveManager()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="unavailable_ends_after_start")
        ]
        indexes = [models.Index(fields=["supervisor", "ends_on"], name="unavailable_by_supervisor")]
        triggers = [no_delete, SameProgram("program", "supervisor")]

    def __str__(self) -> str:
        return f"Unavailable {self.starts_on} to {self.ends_on}"


class PageStep(models.IntegerChoices):
    # Before the first step, in office hours only, when she is someone the first step would not page anyway.
    PROVIDER = 0, _("The woman's clinical provider")
    FIRST = 1, _("Her supervisor or the supervisor on call")
    BACKUP = 2, _("The backup supervisor")
    EVERYONE = 3, _("Every supervisor of the program")


class Page(ProgramFromParent):
    """One message to one supervisor about an urgent concern: an outbox row, written in the same transaction
    as the concern (or the escalation), delivered by a task.

    A sender claims it (sending), sends outside any transaction, then marks it sent; a send that fails puts
    it back to pending until `next_attempt_at`, and after PAGE_MAX_ATTEMPTS it is failed for good. A text's
    provider then says whether it reached the phone (delivered, or failed); an e-mail stops at sent.

    `key` names the page to providers and outboxes: a UUID, unique forever (ids start again after a restore)."""

    # The kind of failure of an e-mail whose sender died while sending it (at most once: not sent again).
    DELIVERY_UNKNOWN = "delivery-unknown"

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")  # handed to the mail server or the text provider; for an e-mail, the last word
        DELIVERED = "delivered", _("Delivered")  # the text provider's receipt: it reached her phone
        FAILED = "failed", _("Could not be delivered")
        # Waiting when the database was backed up, and restored since: a supervisor sends it or drops it.
        HELD = "held", _("Held after a restore")
        DROPPED = "dropped", _("No longer needed")

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT, related_name="pages")
    program_from = "concern"
    step = models.PositiveSmallIntegerField(choices=PageStep.choices)
    # Every supervisor is paged again, round after round, until someone has it (settings.PAGE_EVERYONE_ROUNDS).
    round = models.PositiveSmallIntegerField(default=1)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pages")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # after a failed send; the first is due at once
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)  # from the provider's receipt (texts only)
    # The provider's id of the message last sent for this page (Twilio's "SM..."): its receipts name it.
    provider_sid = models.CharField(max_length=64, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The kind of the last error (an exception's class), never its message: a provider may echo what it was sent.
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "step", "round", "recipient", "channel"], name="page_once_per_step_and_round"
            ),
            models.CheckConstraint(
                condition=Q(round=1) | Q(step=PageStep.EVERYONE, round__gt=1), name="page_rounds_only_for_everyone"
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="page_sent_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(status="delivered", delivered_at__isnull=False, sent_at__isnull=False)
                | (~Q(status="delivered") & Q(delivered_at__isnull=True)),
                name="page_delivered_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(status="failed", failed_at__isnull=False)
                | (~Q(status="failed") & Q(failed_at__isnull=True)),
                name="page_failed_has_a_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False), name="page_sending_is_claimed"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status__in=["pending", "sending"]), name="page_undelivered"
            ),
            models.Index(fields=["concern"], condition=Q(status="failed"), name="page_failed"),
        ]
        triggers = [no_delete, SameProgram("program", "concern")]

    def __str__(self) -> str:
        return f"Page {self.pk} ({self.get_channel_display()}, step {self.step}, round {self.round})"

    @property
    def delivery_unknown(self) -> bool:
        """An e-mail whose sender died while sending it: it may have gone out, and was not sent again."""
        return self.status == self.Status.FAILED and self.last_error == self.DELIVERY_UNKNOWN


class AgendaKind(models.TextChoices):
    TOPIC = "topic", _("Something to talk about")
    CHECK_IN = "check_in", _("A private check-in")
    BOUNDARY = "boundary", _("A boundary question")


class BoundaryTopic(models.TextChoices):
    GIFTS = "gifts", _("Gifts")
    RIDES = "rides", _("Rides")
    SOCIAL_MEDIA = "social_media", _("Social media")
    OUTSIDE = "outside", _("Meeting outside the program")
    MONEY = "money", _("Money")
    RECOVERY_COMMUNITY = "recovery_community", _("Our shared recovery community (meetings, home group)")
    OTHER = "other", _("Something else")


@pghistory.track()
class AgendaItem(ProgramFromParent):
    """Something a coach wants to bring to supervision herself: a topic (about a patient or not), a private
    check-in about how she is doing (never about a patient; only she and the supervisors linked to her read it),
    or a boundary question raised without naming anyone, which a supervisor answers."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agenda_items")
    program_from = "coach"
    kind = models.CharField(max_length=12, choices=AgendaKind.choices, default=AgendaKind.TOPIC)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    boundary_topic = models.CharField(_("what it is about"), max_length=24, choices=BoundaryTopic.choices, blank=True)
    text = models.TextField(_("what you want to talk about"))
    created_at = models.DateTimeField(auto_now_add=True)
    discussed_in = models.ForeignKey(
        "SupervisionSession", on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    answer = models.TextField(_("how it was answered"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="topic") | Q(patient__isnull=True), name="agenda_check_in_and_boundary_name_no_one"
            ),
            models.CheckConstraint(
                condition=Q(kind="boundary") | Q(boundary_topic=""), name="agenda_topic_only_for_boundary"
            ),
            models.CheckConstraint(
                condition=(Q(answer="") & Q(answered_by__isnull=True) & Q(answered_at__isnull=True))
                | (Q(kind="boundary") & ~Q(answer="") & Q(answered_by__isnull=False) & Q(answered_at__isnull=False)),
                name="agenda_answer_is_for_boundary_and_signed",
            ),
        ]
        indexes = [
            models.Index(fields=["coach"], condition=Q(discussed_in__isnull=True), name="agenda_open_by_coach"),
        ]
        triggers = [no_delete, SameProgram("program", "coach", "patient")]

    def __str__(self) -> str:
        return f"Agenda item of {self.created_at:%Y-%m-%d}"

    @property
    def is_check_in(self) -> bool:
        return self.kind == AgendaKind.CHECK_IN


class SessionStatus(models.TextChoices):
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


@pghistory.track()
class SupervisionSession(ProgramFromParent):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_sessions")
    program_from = "coach"
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("length (minutes)"), default=60)
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.HELD)
    notes = models.TextField(_("notes for supervisors"), blank=True)
    notes_for_coach = models.TextField(_("notes for the coach"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = VersionField()

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["coach", "-held_on"], name="session_coach_date")]
        triggers = [no_delete, SameProgram("program", "coach"), bump_version]

    def __str__(self) -> str:
        return f"Supervision on {self.held_on} ({self.get_status_display().lower()})"


@pghistory.track()
class CaseReview(ProgramFromParent):
    """A case reviewed in a session: what was discussed and decided. Shared with the coach only when marked."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(SupervisionSession, on_delete=models.PROTECT, related_name="cases")
    program_from = "session"
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    discussion = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    shared_with_coach = models.BooleanField(_("the coach sees this"), default=False)

    class Meta:
        ordering = ["id"]
        triggers = [no_delete, SameProgram("program", "session", "patient")]

    def __str__(self) -> str:
        return f"Case reviewed in session {self.session_id}"


@pghistory.track()
class ActionItem(ProgramFromParent):
    """Something to do after a session; it comes back on the next queue until it is done."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(SupervisionSession, on_delete=models.PROTECT, related_name="action_items")
    program_from = "session"
    what = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        triggers = [no_delete, SameProgram("program", "session")]

    def __str__(self) -> str:
        return self.what


class MissedSessionNotice(ProgramFromParent):
    """The Monday e-mail about a coach whose weekly session did not happen: one per coach and week."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    week_starting = models.DateField()
    program_from = "coach"
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["coach", "week_starting"], name="missed_notice_once")]
        triggers = [SameProgram("program", "coach")]

    def __str__(self) -> str:
        return f"Missed supervision notice for week of {self.week_starting}"


class DebriefKind(models.TextChoices):
    URGENT_CONCERN = "urgent_concern", _("An urgent concern, now closed")
    CPS_REPORT = "cps_report", _("A report to child protective services")


class Debrief(ProgramFromParent):
    """A hard event talked over with the coach in a session: an urgent concern closed, or a CPS report made about
    a woman on her caseload. The queue offers every such event since her last session until one of these marks it
    discussed. `record_id` names the concern or the report (a report lives in referrals, a sibling app)."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debriefs")
    program_from = "coach"
    kind = models.CharField(max_length=16, choices=DebriefKind.choices)
    record_id = models.PositiveBigIntegerField()
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(SupervisionSession, on_delete=models.PROTECT, related_name="debriefs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coach", "kind", "record_id"], name="debrief_once_per_event"),
        ]
        triggers = [no_delete, SameProgram("program", "coach", "patient")]

    def __str__(self) -> str:
        return f"Debrief in session {self.session_id}"


class DualRelationshipKind(models.TextChoices):
    HOME_GROUP = "home_group", _("Same home group or meetings")
    NEIGHBOURHOOD = "neighbourhood", _("Same neighbourhood")
    USING = "using", _("We knew each other from using")
    FAMILY_FRIEND = "family_friend", _("Family or friend")
    OTHER = "other", _("Something else")


class DualRelationshipDecision(models.TextChoices):
    KEEP = "keep", _("Keep her with this coach, with safeguards")
    REASSIGN = "reassign", _("Give her another coach")
    NO_CONCERN = "no_concern", _("No concern")


@pghistory.track()
class DualRelationship(ProgramFromParent):
    """A coach's declaration that she knows a woman assigned to her outside the program, and how a supervisor
    decided to handle it. A record about the patient: her access rules apply."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dual_relationships")
    program_from = "coach"
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("how you know her"), max_length=16, choices=DualRelationshipKind.choices)
    details = models.TextField(_("anything your supervisor should know"), blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=12, choices=DualRelationshipDecision.choices, blank=True)
    decision_notes = models.TextField(_("how it is handled (safeguards)"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(decision="") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (~Q(decision="") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="dual_relationship_decision_is_signed",
            ),
            models.CheckConstraint(
                condition=~Q(decision="keep") | ~Q(decision_notes=""), name="dual_relationship_keep_names_safeguards"
            ),
        ]
        indexes = [models.Index(fields=["patient"], condition=Q(decision=""), name="dual_relationship_pending")]
        triggers = [no_delete, SameProgram("program", "coach", "patient", "decided_by"), bump_version]

    def __str__(self) -> str:
        return f"Dual relationship declared {self.declared_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return not self.decision
