from __future__ import annotations

import datetime
import uuid
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery_program.storage import private_storage
from staff.roles import Role
from staff.sessions import StaffSession  # noqa: F401  (the session model lives in this app)

# The last moment of a span that ends (excluded) at `end` is `end - LAST_MOMENT`: times are kept to the microsecond.
LAST_MOMENT = datetime.timedelta(microseconds=1)


def server_time_zone() -> str:
    return settings.TIME_ZONE


# Digits, spaces and + ( ) . - only, with 7 to 15 digits: a phone number and nothing more.
ON_CALL_LINE_PATTERN = r"^\+?[0-9 ().-]{7,24}$"


class Program(models.Model):
    """A site or clinic. Every staff member and every patient belongs to exactly one.

    Its time zone is the one clock of its people: their pages take and show times in it, and "today" for them
    (in forms and in the daily and weekly jobs) is its date. The database keeps UTC.
    """

    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(max_length=64, default=server_time_zone, help_text=_("For example America/New_York."))
    office_opens = models.TimeField(default=datetime.time(9, 0))
    office_closes = models.TimeField(default=datetime.time(17, 0))
    office_days = models.CharField(
        max_length=7, default="01234", help_text=_("Weekdays with office hours: 0 is Monday, 6 is Sunday.")
    )
    escalation_minutes = models.PositiveSmallIntegerField(
        default=15, help_text=_("How long an urgent page waits for an acknowledgement before the next one is paged.")
    )
    no_contact_days = models.PositiveSmallIntegerField(
        default=14, help_text=_("A patient with no encounter for this many days comes up in weekly supervision.")
    )
    caseload_cap = models.PositiveSmallIntegerField(
        _("caseload cap"),
        default=15,
        help_text=_("The most women one coach carries. Assigning past it takes a supervisor's confirmation."),
    )
    on_call_line = models.CharField(
        _("on-call line"),
        max_length=32,
        blank=True,
        help_text=_(
            "A phone number that forwards to whoever is on call, for example 603-555-0100. The login and "
            "lockout pages show it, with no name, so that a coach who cannot log in still knows whom to call."
        ),
    )
    supervisors_see_all = models.BooleanField(
        _("supervisors see every woman of the program"),
        default=True,
        help_text=_(
            "When off, a supervisor sees the women on the caseloads of the coaches she supervises, the women "
            "whose clinical provider she is and the women without a coach; the supervisor on call can open another "
            "woman's record in an emergency (break-glass)."
        ),
    )
    break_glass_minutes = models.PositiveSmallIntegerField(
        _("break-glass minutes"),
        default=60,
        help_text=_("How long a record opened in an emergency stays open to the supervisor on call."),
    )
    urgent_acknowledge_minutes = models.PositiveSmallIntegerField(
        _("minutes to acknowledge an urgent concern"),
        default=30,
        help_text=_(
            "The program's target: a supervisor says she has an urgent concern within this many minutes. "
            "The reports count the concerns acknowledged within it."
        ),
    )
    grant_year_starts = models.PositiveSmallIntegerField(
        _("month the grant year starts"),
        default=10,
        help_text=_("1 is January, 10 is October. The reports offer the grant year from the first of this month."),
    )
    # The grant's follow-up interview (patients.GrantInterview): its window in whole months after her intake
    # interview, and the share of women the funder expects to be interviewed within it.
    interview_window_starts = models.PositiveSmallIntegerField(
        _("follow-up window opens (months after intake)"),
        default=5,
        help_text=_("The follow-up interview may be done from this many months after her intake interview."),
    )
    interview_window_ends = models.PositiveSmallIntegerField(
        _("follow-up window closes (months after intake)"),
        default=8,
        help_text=_("After this many months the follow-up interview is missed."),
    )
    interview_target_percent = models.PositiveSmallIntegerField(
        _("follow-up rate target (%)"),
        default=80,
        help_text=_("The funder's target: the share of women interviewed within the window. The reports compare."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(office_closes__gt=models.F("office_opens")), name="program_office_hours_in_order"
            ),
            models.CheckConstraint(condition=models.Q(escalation_minutes__gte=1), name="program_escalation_positive"),
            models.CheckConstraint(
                condition=models.Q(break_glass_minutes__gte=5, break_glass_minutes__lte=720),
                name="program_break_glass_minutes_in_range",
            ),
            models.CheckConstraint(condition=models.Q(caseload_cap__gt=0), name="program_caseload_cap_positive"),
            models.CheckConstraint(
                condition=models.Q(urgent_acknowledge_minutes__gte=1, urgent_acknowledge_minutes__lte=1440),
                name="program_urgent_acknowledge_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(grant_year_starts__gte=1, grant_year_starts__lte=12),
                name="program_grant_year_starts_is_a_month",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    interview_window_starts__lt=models.F("interview_window_ends"), interview_window_ends__lte=24
                ),
                name="program_interview_window_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(interview_target_percent__gte=1, interview_target_percent__lte=100),
                name="program_interview_target_is_a_percent",
            ),
            # Shown to anyone on the login page: a number and nothing else, never a name or a message.
            models.CheckConstraint(
                condition=models.Q(on_call_line="") | models.Q(on_call_line__regex=ON_CALL_LINE_PATTERN),
                name="program_on_call_line_is_a_number",
            ),
        ]
        triggers = [
            # Every page and job of the program reads its clock from this name (and the rota trigger uses it):
            # the database refuses a name it does not know, whoever writes it, raw SQL included.
            pgtrigger.Trigger(
                name="time_zone_is_known",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("time_zone"),
                func="PERFORM now() AT TIME ZONE NEW.time_zone; RETURN NEW;",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.time_zone not in available_timezones():
            raise ValidationError(
                {
                    "time_zone": gettext(
                        "This is not a time-zone name we know. Write it as Region/City, for example America/Chicago."
                    )
                }
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_office_hours(self, moment: datetime.datetime) -> bool:
        """During the program's office hours, a coach reaches her own supervisor; after hours, whoever is on call."""
        local = moment.astimezone(self.zone)
        return str(local.weekday()) in self.office_days and self.office_opens <= local.time() < self.office_closes

    def after_hours_within(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        """Does the time from start to end (end excluded) hold any moment outside office hours?

        It does unless it lies inside one day's office hours: its first and last moments are office hours of the
        same local day, with no clock change between them (across one, it counts as after hours). The on-call
        rota trigger (supervision.models.ROTA_RULES) states the same rule in SQL; a test holds them equal.
        """
        if start >= end:
            return False
        first, last = start.astimezone(self.zone), (end - LAST_MOMENT).astimezone(self.zone)
        return not (
            first.date() == last.date()
            and first.utcoffset() == last.utcoffset()
            and self.is_office_hours(first)
            and self.is_office_hours(last)
        )


class StaffManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(username__iexact=username)


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A staff member: a coach, a supervisor or an admin of one program."""

    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(max_length=32, blank=True, help_text=_("Shown to colleagues who need to reach her."))
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="staff")
    start_date = models.DateField(null=True, blank=True)
    # A code of settings.LANGUAGES ("en", "es"); empty: the browser's. No choices here, so that another language is a
    # catalogue and a settings line, not a migration; staff.services.set_language checks the code.
    language = models.CharField(max_length=10, blank=True, default="")

    objects = StaffManager()

    REQUIRED_FIELDS = ["email", "program"]

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="staff_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="staff_user_email_ci_unique"),
        ]
        permissions = [
            ("view_program_staff", "Can see the staff of her own program"),
            ("manage_staff", "Can manage staff accounts of her own program"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def role(self) -> Role | None:
        """Her role, read from her group (uses prefetched groups when present). For display."""
        names = {group.name for group in self.groups.all()}
        return next((role for role in Role if role.value in names), None)


class TrainingKind(models.Model):
    """A kind of training a program tracks, e.g. CPR and first aid, valid for 24 months."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="training_kinds")
    name = models.CharField(max_length=200)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("How long a completion stays valid. Leave blank if it never expires.")
    )
    counts_as_hours = models.BooleanField(
        _("continuing-education hours"), default=False, help_text=_("Counted by its hours, toward a rolling total.")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="training_kind_unique_per_program")]

    def __str__(self) -> str:
        return self.name


class TrainingRequirement(models.Model):
    """What a role needs: a completed, unexpired kind; or, for hours, so many hours in each rolling period."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="training_requirements")
    role = models.CharField(max_length=16, choices=Role.choices)
    kind = models.ForeignKey(TrainingKind, on_delete=models.PROTECT, related_name="requirements")
    hours = models.PositiveSmallIntegerField(null=True, blank=True)
    period_months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["role", "kind__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "role", "kind"], name="training_requirement_once"),
            models.CheckConstraint(
                condition=models.Q(hours__isnull=True, period_months__isnull=True)
                | models.Q(hours__gt=0, period_months__gt=0),
                name="training_requirement_hours_need_a_period",
            ),
        ]

    def __str__(self) -> str:
        if self.hours:
            return gettext("%(hours)s hours of %(kind)s every %(months)s months") % {
                "hours": self.hours,
                "kind": self.kind,
                "months": self.period_months,
            }
        return str(self.kind)


def certificate_path(record: TrainingRecord, filename: str) -> str:
    return f"certificates/{record.user_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


@pghistory.track()
class TrainingRecord(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="training_records")
    kind = models.ForeignKey(TrainingKind, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    provider = models.CharField(max_length=200, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    certificate = models.FileField(upload_to=certificate_path, storage=private_storage, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [
            models.Index(fields=["user", "kind", "-completed_on"], name="training_user_kind_latest"),
            models.Index(fields=["expires_on"], name="training_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0, hours__lte=100), name="training_hours_0_to_100"),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("completed_on")),
                name="training_expires_after_completion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.completed_on}"


class TrainingReminder(models.Model):
    """One reminder about one record: written before it is sent, marked when sent, never sent twice."""

    class Step(models.TextChoices):
        DAYS_60 = "60", _("60 days before")
        DAYS_30 = "30", _("30 days before")
        DAYS_7 = "7", _("7 days before")
        LAPSED = "lapsed", _("Lapsed")

    record = models.ForeignKey(TrainingRecord, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=8, choices=Step.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "step"], name="training_reminder_once")]

    def __str__(self) -> str:
        return f"{self.get_step_display()} reminder"


class StaffEvent(models.Model):
    """One row for each change to a staff account or to the program's settings: who made it, to whom, when.

    Append-only: a database trigger refuses UPDATE and DELETE, raw SQL included. The description says
    what changed in plain words about staff and settings, never anything about a patient.
    """

    class Action(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("Account created")
        DETAILS_CHANGED = "details_changed", _("Details changed")
        ROLE_CHANGED = "role_changed", _("Role changed")
        DEACTIVATED = "deactivated", _("Deactivated")
        REACTIVATED = "reactivated", _("Reactivated")
        PASSWORD_LINK_SENT = "password_link_sent", _("Password link sent")
        TWO_STEP_OFF = "two_step_off", _("Two-step login turned off")
        CHANGE_PROPOSED = "change_proposed", _("Change proposed, for a second person to approve")
        CHANGE_APPROVED = "change_approved", _("Change approved")
        CHANGE_DECLINED = "change_declined", _("Change declined")
        CHANGE_WITHDRAWN = "change_withdrawn", _("Change withdrawn (an account was deactivated)")
        PROGRAM_SETTINGS_CHANGED = "program_settings_changed", _("Program settings changed")
        TRAINING_SET_UP = "training_set_up", _("Standard training set up")
        TRAINING_KIND_ADDED = "training_kind_added", _("Kind of training added")
        TRAINING_KIND_CHANGED = "training_kind_changed", _("Kind of training changed")
        REQUIREMENT_ADDED = "requirement_added", _("Training requirement added")
        REQUIREMENT_REMOVED = "requirement_removed", _("Training requirement removed")

    at = models.DateTimeField(auto_now_add=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, related_name="+", help_text=_("Empty: the operators, or a command.")
    )
    subject = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=32, choices=Action.choices)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["program", "-at"], name="staffevent_program_at")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by user {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"


class AccountChangeRequest(models.Model):
    """A change that takes two people: one proposes, someone of the other side approves, and it happens only then.

    A clinical role (coach, supervisor): an admin proposes and a supervisor of the program approves, or a
    supervisor proposes and an admin approves. Turning off a clinical user's two-step login, or changing her
    e-mail address: an admin proposes and a supervisor confirms. The database holds that the approver is
    someone else than the proposer, that a decision is dated, and that she has at most one proposal of each
    kind waiting; rows are never deleted. Deactivating the person it is about, or its proposer, withdraws it.
    """

    class Kind(models.TextChoices):
        ROLE = "role", _("Role")
        TWO_STEP_OFF = "two_step_off", _("Two-step login off")
        EMAIL = "email", _("E-mail address")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        # Her account, or the proposer's, was deactivated while it waited: nobody decided it (the staff history
        # says who deactivated whom).
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(User, on_delete=models.PROTECT, related_name="change_requests")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ROLE)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True, help_text=_("The role proposed."))
    email = models.EmailField(_("new e-mail address"), blank=True)
    proposed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    proposed_as = models.CharField(
        max_length=16, choices=Role.choices, help_text=_("The side she proposed from: the approver is of the other.")
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        permissions = [("propose_role_change", "Can propose and approve changes that take two people")]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind"], condition=models.Q(status="pending"), name="one_change_of_a_kind_waiting"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="role") & ~models.Q(role="") | ~models.Q(kind="role") & models.Q(role=""),
                name="change_names_a_role_only_for_a_role",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="email") & ~models.Q(email="") | ~models.Q(kind="email") & models.Q(email=""),
                name="change_names_an_address_only_for_an_address",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("proposed_by")),
                name="account_change_approved_by_another_person",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | models.Q(status="withdrawn", decided_by__isnull=True, decided_at__isnull=False)
                | (
                    models.Q(status__in=["approved", "declined"])
                    & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
                name="change_decision_is_dated_and_signed",
            ),
        ]
        triggers = [pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.subject}: {self.what}, {self.get_status_display().lower()}"

    @property
    def what(self) -> str:
        """What it changes, in words: "supervisor", "two-step login off", "e-mail address new@example.org"."""
        if self.kind == self.Kind.EMAIL:
            return gettext("e-mail address %(email)s") % {"email": self.email}
        return self.get_role_display().lower() if self.kind == self.Kind.ROLE else gettext("two-step login off")

    @property
    def approver_words(self) -> str:
        """Who approves it, in words: someone of the other side."""
        return gettext("a supervisor") if self.proposed_as == Role.ADMIN else gettext("an admin")
