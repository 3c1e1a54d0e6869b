from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pghistory
import pgtrigger
from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from recovery_program.storage import private_storage
from recovery_program.versioning import VersionField, bump_version

# How long after a delivery a mother counts as postpartum (the year Medicaid's postpartum coverage spans).
POSTPARTUM_DAYS = 365

# Clinical records are never hard-deleted, whoever asks: the database refuses.
no_delete = pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)

quote_name = connection.ops.quote_name

# The name a same_program refusal carries (the error's constraint name).
SAME_PROGRAM = "same_program"


class SameProgram(pgtrigger.Trigger):
    """Refuses a row that names records of more than one program, whoever writes it (raw SQL included).

    Each path leads from the row to something with a program: "program" itself, "patient", "coach", or a chain of
    foreign keys such as "session__coach". A reference left empty is left out.
    """

    when = pgtrigger.Before
    operation = pgtrigger.Insert | pgtrigger.Update

    def __init__(self, *paths: str) -> None:
        self.paths = paths
        super().__init__(name=SAME_PROGRAM)

    def get_func(self, model: type[models.Model]) -> str:
        programs = ", ".join(f"({_program_of(model, path)})" for path in self.paths)  # one row per path
        # Built from the models' own table and column names (quoted), never from input.
        return f"""
            IF (SELECT count(DISTINCT program_id) FROM (VALUES {programs}) AS named (program_id)) > 1 THEN
                RAISE EXCEPTION 'a row of % names records of more than one program', TG_TABLE_NAME
                    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{SAME_PROGRAM}';
            END IF;
            RETURN NEW;
        """  # noqa: S608


def _program_of(model: type[models.Model], path: str) -> str:
    """SQL for the id of the program that `path` leads to from the trigger's NEW row."""
    first, *rest = path.split("__")
    value = f"NEW.{quote_name(model._meta.get_field(first).column)}"
    model = model._meta.get_field(first).related_model
    for name in rest:
        value, model = _column_of(model, name, value), model._meta.get_field(name).related_model
    if model._meta.label != "staff.Program":
        value = _column_of(model, "program", value)
    return value


def _column_of(model: type[models.Model], name: str, row_id: str) -> str:
    """SQL for the column of field `name` in the row of `model` whose id is `row_id`."""
    table, pk = quote_name(model._meta.db_table), quote_name(model._meta.pk.column)
    column = quote_name(model._meta.get_field(name).column)
    return f"(SELECT {column} FROM {table} WHERE {pk} = {row_id})"  # noqa: S608 (model metadata, never input)


class ProgramFromParent(models.Model):
    """A clinical row that carries its program's id itself, copied from its parent when first saved.

    Every clinical table has `program_id`, so that the tables can later be distributed by program (docs/scaling.md)
    with each row beside its patient's. `program_from` names the parent as SameProgram does ("patient",
    "session__coach"); the model's SameProgram trigger also lists "program", so the copy never disagrees with the
    parent. Bulk inserts, which skip save(), pass the program themselves.
    """

    program_from: ClassVar[str]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.program_id is None:  # type: ignore[attr-defined]
            self.program_id = self.parent_program_id()
        super().save(*args, **kwargs)

    def parent_program_id(self) -> int:
        parent: Any = self
        for name in self.program_from.split("__"):
            parent = getattr(parent, name)
        return parent.pk if parent._meta.label == "staff.Program" else parent.program_id


class ProgramStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCONNECTED = "disconnected", _("Disconnected from treatment")
    DISCHARGED = "discharged", _("Discharged")
    GRADUATED = "graduated", _("Graduated")


class PregnancyStatus(models.TextChoices):
    PREGNANT = "pregnant", _("Pregnant")
    POSTPARTUM = "postpartum", _("Postpartum")
    PARENTING = "parenting", _("Parenting")


class PatientQuerySet(models.QuerySet):
    def without_coach(self) -> PatientQuerySet:
        """Those with no open coach assignment: never assigned, or every assignment ended."""
        return self.filter(
            ~models.Exists(CoachAssignment.objects.filter(patient=models.OuterRef("pk"), ended_on__isnull=True))
        )

    def in_higher_care(self) -> PatientQuerySet:
        return self.filter(models.Exists(HigherCareStay.objects.filter(patient=models.OuterRef("pk"), ended_on=None)))

    def not_in_higher_care(self) -> PatientQuerySet:
        return self.exclude(models.Exists(HigherCareStay.objects.filter(patient=models.OuterRef("pk"), ended_on=None)))

    def with_course(self) -> PatientQuerySet:
        """Prefetches her open stay in a higher level of care as `open_stays`: one query for a whole page."""
        return self.prefetch_related(
            models.Prefetch("higher_care_stays", queryset=HigherCareStay.objects.open(), to_attr="open_stays"),
        )

    def in_program_during(self, starts_on: datetime.date, ends_on: datetime.date) -> PatientQuerySet:
        """Those enrolled by the period's last day and not discharged before its first (an episode of care ending
        before it, with none after)."""
        episodes = Episode.objects.filter(patient=models.OuterRef("pk"))
        overlapping = episodes.filter(started_on__lte=ends_on).filter(
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=starts_on)
        )
        return self.filter(enrollment_date__lte=ends_on).filter(~models.Exists(episodes) | models.Exists(overlapping))

    def with_coach_during(self, coach_id: int, starts_on: datetime.date, ends_on: datetime.date) -> PatientQuerySet:
        """Those on this coach's caseload at some time in the period."""
        return self.filter(
            models.Exists(
                CoachAssignment.objects.filter(
                    patient=models.OuterRef("pk"), coach_id=coach_id, started_on__lte=ends_on
                ).filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=starts_on))
            )
        )

    def with_current_coach(self) -> PatientQuerySet:
        """Prefetches the open assignment (with its coach) as `open_assignments`: one query for a whole page."""
        return self.prefetch_related(
            models.Prefetch(
                "assignments",
                queryset=CoachAssignment.objects.filter(ended_on__isnull=True).select_related("coach"),
                to_attr="open_assignments",
            )
        )


# Checked when she is named (a later deactivation or change of role leaves the name, and paging passes her over).
PROVIDER_IS_A_SUPERVISOR = pgtrigger.Trigger(
    name="clinical_provider_is_an_active_supervisor",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.UpdateOf("clinical_provider_id"),
    func="""
        IF NEW."clinical_provider_id" IS NULL
           OR (TG_OP = 'UPDATE' AND NEW."clinical_provider_id" IS NOT DISTINCT FROM OLD."clinical_provider_id") THEN
            RETURN NEW;
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM "staff_user" u
            JOIN "staff_user_groups" ug ON ug."user_id" = u."id"
            JOIN "auth_group" g ON g."id" = ug."group_id"
            WHERE u."id" = NEW."clinical_provider_id" AND u."is_active" AND g."name" = 'supervisor'
        ) THEN
            RAISE EXCEPTION 'a clinical provider is an active supervisor of the program'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'patient_clinical_provider_is_an_active_supervisor';
        END IF;
        RETURN NEW;
    """,
)

# Her due and delivery dates are her current pregnancy's (the latest due date), once she has one: older code, her
# status, the weekly queue and the downloads read them here. The database keeps them: every insert and update of
# her row takes them from her pregnancies (named to run before bump_version, so a change counts as one), and every
# pregnancy recorded or corrected touches her row. With no pregnancy recorded, what was entered stays.
AS_HER_PREGNANCY_SAYS = pgtrigger.Trigger(
    name="as_her_pregnancy_says",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    declare=[("current", "record")],
    func="""
        SELECT due_date, delivery_date INTO current FROM patients_pregnancy
            WHERE patient_id = NEW.id ORDER BY due_date DESC, id DESC LIMIT 1;
        IF FOUND THEN
            NEW.due_date := current.due_date;
            NEW.delivery_date := current.delivery_date;
        END IF;
        RETURN NEW;
    """,
)
PREGNANCY_TO_PATIENT = pgtrigger.Trigger(
    name="pregnancy_to_patient",
    when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        UPDATE patients_patient SET due_date = due_date WHERE id = NEW.patient_id;  -- as_her_pregnancy_says sets it
        RETURN NULL;
    """,
)


@pghistory.track()
class Patient(models.Model):
    """A woman enrolled in the program. Everything here is clinical and protected."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="patients")

    legal_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True, help_text=_("What she likes to be called."))
    date_of_birth = models.DateField()
    phone = models.CharField(max_length=32, blank=True)
    ok_to_leave_message = models.BooleanField(
        _("OK to leave a voice message"), default=False, help_text=_("Her phone may be shared with a partner.")
    )
    ok_to_text = models.BooleanField(_("OK to send a text"), default=False)
    safe_contact_notes = models.TextField(
        blank=True, help_text=_("When and how it is safe to reach her, and what not to say if someone else answers.")
    )
    preferred_language = models.CharField(max_length=64, default="English")

    due_date = models.DateField(_("estimated due date"), null=True, blank=True)
    delivery_date = models.DateField(null=True, blank=True, help_text=_("Her most recent delivery."))

    enrollment_date = models.DateField()
    status = models.CharField(max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.ACTIVE)
    clinical_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provider_for",
        help_text=_(
            "The clinician of the program who knows her (a supervisor, for example her group therapist or "
            "prescriber): named on her concerns and referrals, and asked first about an urgent concern in office hours."
        ),
    )

    created_at = models.DateTimeField(auto_now_add=True)
    # Set from the enroll form, so that a form sent twice enrolls her once.
    enrollment_token = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    version = VersionField()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name", "id"]
        indexes = [
            models.Index(fields=["program", "status", "legal_name"], name="patient_program_status_name"),
            models.Index(fields=["program", "legal_name"], name="patient_program_name"),
            models.Index(fields=["program", "due_date"], name="patient_program_due"),
            models.Index(fields=["program", "delivery_date"], name="patient_program_delivery"),
        ]
        permissions = [
            ("view_caseload", "Can see her own caseload"),
            ("change_patient_contact", "Can change a patient's contact details"),
            ("assign_coach", "Can assign and reassign a patient's coach"),
            ("change_patient_status", "Can change a patient's program status"),
            ("view_access_log", "Can see who looked at a patient's record"),
            ("export_patients", "Can export the patients she can see"),
            ("view_patient_counts", "Can see counts of patients, without names"),
        ]
        triggers = [
            no_delete,
            SameProgram("program", "clinical_provider"),
            PROVIDER_IS_A_SUPERVISOR,
            AS_HER_PREGNANCY_SAYS,
            bump_version,
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.legal_name:
            return f"{self.preferred_name} ({self.legal_name})"
        return self.legal_name

    @property
    def open_stay(self) -> HigherCareStay | None:
        """Her stay in a higher level of care now, if any (from the list's prefetch when there is one)."""
        if hasattr(self, "open_stays"):
            return self.open_stays[0] if self.open_stays else None
        return self.higher_care_stays.filter(ended_on__isnull=True).first()

    @property
    def has_left_the_program(self) -> bool:
        """Discharged or graduated: nothing new is logged about her."""
        return self.status in DISCHARGE_STATUSES

    def pregnancy_status(self, today: datetime.date | None = None) -> PregnancyStatus:
        """Derived from the dates, never typed: pregnant until a delivery after the due date's pregnancy began,
        postpartum for a year after a delivery, parenting after that."""
        today = today or timezone.localdate()
        pregnancy_began = self.due_date - datetime.timedelta(weeks=42) if self.due_date else None
        if self.due_date and (self.delivery_date is None or self.delivery_date < pregnancy_began):
            return PregnancyStatus.PREGNANT
        if self.delivery_date and (today - self.delivery_date).days <= POSTPARTUM_DAYS:
            return PregnancyStatus.POSTPARTUM
        return PregnancyStatus.PARENTING

    @property
    def current_pregnancy_status(self) -> PregnancyStatus:
        return self.pregnancy_status()


class PatientUserObjectPermission(ProgramFromParent, UserObjectPermissionBase):
    """A coach's permissions on one patient of her caseload (django-guardian, with a real foreign key)."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

    program_from = "content_object"

    class Meta(UserObjectPermissionBase.Meta):
        triggers = [SameProgram("program", "content_object")]

    def __str__(self) -> str:
        return f"Permission {self.permission_id} on patient {self.content_object_id}"


class PatientGroupObjectPermission(ProgramFromParent, GroupObjectPermissionBase):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE)

    program_from = "content_object"

    class Meta(GroupObjectPermissionBase.Meta):
        triggers = [SameProgram("program", "content_object")]

    def __str__(self) -> str:
        return f"Permission {self.permission_id} on patient {self.content_object_id}"


@pghistory.track()
class StatusChange(ProgramFromParent):
    """Each change of a patient's program status, with its date and reason.

    The reason is for the clinical staff; her coach reads it only when the supervisor shares it with her."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="status_changes")
    program_from = "patient"
    status = models.CharField(max_length=16, choices=ProgramStatus.choices)
    changed_on = models.DateField()
    reason = models.TextField(blank=True)
    shared_with_coach = models.BooleanField(_("her coach may read the reason"), default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_on", "-recorded_at"]
        triggers = [no_delete, SameProgram("program", "patient")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} on {self.changed_on}"


@pghistory.track()
class Child(models.Model):
    """One of her children. What her coach needs to go with her (where the child lives, the next court date, the
    visits) is here; custody and child protective services are kept apart, for supervisors (`ChildCustody`)."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True, help_text=_("Leave empty if only the year is known."))
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    lives_with_patient = models.BooleanField(_("lives with her"), default=True)
    next_court_date = models.DateField(_("next court date"), null=True, blank=True)
    visitation = models.TextField(
        _("visits"),
        blank=True,
        max_length=2000,
        help_text=_("When and where she sees the child, if not living with her."),
    )

    class Meta:
        ordering = ["birth_year", "first_name"]
        verbose_name_plural = _("children")
        constraints = [
            models.CheckConstraint(condition=Q(birth_year__gte=1950), name="child_birth_year_plausible"),
            # The year is kept for children recorded before their date of birth was asked, and agrees with it.
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=True) | Q(birth_year=ExtractYear("date_of_birth")),
                name="child_birth_year_is_the_date_of_births",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "patient")]

    def __str__(self) -> str:
        return f"{self.first_name} ({self.birth_year})"


class Custody(models.TextChoices):
    WITH_HER = "with_her", _("With her")
    SHARED = "shared", _("Shared with the other parent")
    OTHER_PARENT = "other_parent", _("With the other parent")
    RELATIVE = "relative", _("With a relative (kinship care)")
    FOSTER = "foster", _("In foster care")
    ENDED = "ended", _("Her parental rights ended")


class CPSInvolvement(models.TextChoices):
    NONE = "none", _("None")
    OPEN = "open", _("Open case")
    CLOSED = "closed", _("Closed case")


@pghistory.track()
class ChildCustody(models.Model):
    """Custody of a child and child protective services' involvement: for supervisors only (the permission layer
    never hands it to a coach). One per child, changed in place; pghistory keeps each version."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    child = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="custody")
    custody = models.CharField(_("custody"), max_length=16, choices=Custody.choices, default=Custody.WITH_HER)
    cps = models.CharField(
        _("child protective services"), max_length=8, choices=CPSInvolvement.choices, default=CPSInvolvement.NONE
    )
    cps_opened_on = models.DateField(_("case opened on"), null=True, blank=True)
    cps_closed_on = models.DateField(_("case closed on"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("child custody")
        constraints = [
            models.CheckConstraint(condition=Q(custody__in=Custody.values), name="childcustody_custody_known"),
            models.CheckConstraint(condition=Q(cps__in=CPSInvolvement.values), name="childcustody_cps_known"),
            # No case: no dates. An open case: opened, not closed. A closed case: both, in order.
            models.CheckConstraint(
                condition=Q(cps=CPSInvolvement.NONE, cps_opened_on__isnull=True, cps_closed_on__isnull=True)
                | Q(cps=CPSInvolvement.OPEN, cps_opened_on__isnull=False, cps_closed_on__isnull=True)
                | Q(
                    cps=CPSInvolvement.CLOSED,
                    cps_opened_on__isnull=False,
                    cps_closed_on__gte=models.F("cps_opened_on"),
                ),
                name="childcustody_cps_dates_fit_the_case",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "child")]

    def __str__(self) -> str:
        return f"Custody of child {self.child_id}"


@pghistory.track()
class CoachAssignment(ProgramFromParent):
    """A coach's care of one patient, from `started_on` until the day before `ended_on` (open while unset).

    While it is open the coach holds object permissions on the patient; ending it
    takes them away (patients.services).
    """

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assignments")
    program_from = "patient"
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)
    # Written by a supervisor, the reason is for the clinical staff unless she shares it with the coaches.
    end_reason_shared_with_coach = models.BooleanField(_("coaches may read the reason"), default=False)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The one who assigned her confirmed that this passes the program's caseload cap (patients.services).
    over_cap = models.BooleanField(_("assigned past the caseload cap"), default=False)
    # A transfer from another coach (patients.services.assignment_transfer): the supervisor's handoff note, and
    # what the old coach told her supervisor for the new one (written by the supervisor after talking with her).
    handoff_note = models.TextField(_("handoff note"), blank=True, max_length=4000)
    previous_coach_note = models.TextField(_("the previous coach's note"), blank=True, max_length=4000)
    # A coach out of compliance with her required training is given a caseload only with a supervisor's override.
    compliance_override_reason = models.CharField(max_length=500, blank=True)
    compliance_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    compliance_override_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_on__isnull=True), name="one_open_assignment_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="assignment_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(previous_coach_note="") | ~Q(handoff_note=""),
                name="assignment_transfer_previous_note_with_handoff",
            ),
            models.CheckConstraint(
                condition=Q(compliance_override_reason="")
                & Q(compliance_override_by__isnull=True, compliance_override_at__isnull=True)
                | (
                    ~Q(compliance_override_reason="")
                    & Q(compliance_override_by__isnull=False, compliance_override_at__isnull=False)
                ),
                name="assignment_compliance_override_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["coach"], condition=Q(ended_on__isnull=True), name="assignment_open_by_coach"),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "coach", "compliance_override_by")]

    def __str__(self) -> str:
        return f"{self.coach} from {self.started_on}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def is_transfer(self) -> bool:
        return bool(self.handoff_note)

    @property
    def compliance_overridden(self) -> bool:
        return bool(self.compliance_override_reason)


class ExpiryEvent(models.TextChoices):
    """What a consent may end at instead of (or as well as) a date: only events the program records."""

    DISCHARGE = "discharge", _("Her discharge from the program")


# What a consent's state code (`Consent.state_on`) says to a person.
CONSENT_STATE_LABELS = {
    "revoked": _("revoked"),
    "ended": _("ended"),
    "expired": _("expired"),
    "not yet in effect": _("not yet in effect"),
    "current": _("current"),
}

# The status changes that are her discharge, for a consent that ends at it: graduating is leaving the program too.
DISCHARGE_STATUSES = frozenset({ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED})


def _day(day: datetime.date) -> str:
    return date_format(day, gettext("M j, Y"))


def recipient_key(name: str) -> str:
    """How recipients are matched: as written, ignoring case and spacing ("granite  house " is "Granite House").
    Nothing looser: a consent names one recipient, and "Granite House" does not cover "Granite House Clinic"."""
    return " ".join(name.split()).casefold()


class ConsentScope(models.TextChoices):
    """What a consent allows (42 CFR 2.31, 2.33 as the 2024 rule has them)."""

    NAMED = "named", _("To the recipient named on it, for the purpose written on it")
    # 42 CFR 2.33(b): one consent for all future uses and disclosures for treatment, payment and health care
    # operations, to providers, health plans and their business associates; each disclosure on it says which.
    TPO = "tpo", _("Treatment, payment and health care operations (one consent for all of them)")


class TPOPurpose(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    PAYMENT = "payment", _("Payment")
    OPERATIONS = "operations", _("Health care operations")


def signed_consent_path(consent: Consent, filename: str) -> str:
    return f"consents/{consent.patient_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ConsentQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> ConsentQuerySet:
        """In force on `on` (today by default): the same rule as `Consent.is_current`."""
        on = on or timezone.localdate()
        return self.filter(
            Q(signed_on__lte=on),
            Q(expires_on__isnull=True) | Q(expires_on__gte=on),
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=on),
            Q(ended_on__isnull=True) | Q(ended_on__gt=on),
        )


@pghistory.track()
class Consent(ProgramFromParent):
    """Her written consent to disclose (42 CFR Part 2): to whom, for what, what may be shared, until when."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    program_from = "patient"
    scope = models.CharField(
        _("what it allows"), max_length=8, choices=ConsentScope.choices, default=ConsentScope.NAMED
    )
    recipient = models.CharField(
        max_length=200,
        help_text=_(
            "The person or organisation that may receive it, e.g. 'Harbor Family Services'; for a consent to "
            "treatment, payment and operations, the recipients as written on it, e.g. 'her treating providers and "
            "plans'."
        ),
    )
    purpose = models.CharField(max_length=300, help_text=_("Why, e.g. 'coordinate residential treatment'."))
    information_scope = models.TextField(_("what may be shared"), help_text=_("As written on the signed form."))
    signed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    # Its length stays as it was when this was free text: the history keeps the words first typed.
    expiry_event = models.CharField(
        _("ends at"),
        max_length=200,
        choices=ExpiryEvent.choices,
        blank=True,
        help_text=_("If it ends when something happens, instead of or as well as on a date."),
    )
    # The day its expiry event happened (set by the service that records the event): not in force from that day.
    ended_on = models.DateField(null=True, blank=True, editable=False)
    revoked_on = models.DateField(null=True, blank=True)
    # The episode of care she signed it in: a woman who comes back starts her new episode with a new consent.
    episode = models.ForeignKey(
        "Episode", on_delete=models.PROTECT, related_name="consents", null=True, blank=True, editable=False
    )
    # The form she signed (a PDF or a photo of it), in the private storage, sent only through a checked view.
    signed_form = models.FileField(
        upload_to=signed_consent_path, storage=private_storage, blank=True, editable=False, db_default=""
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | ~Q(expiry_event=""), name="consent_has_an_expiry"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("signed_on")),
                name="consent_expires_after_signing",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=models.F("signed_on")),
                name="consent_revoked_after_signing",
            ),
            models.CheckConstraint(
                condition=Q(expiry_event__in=["", *ExpiryEvent.values]), name="consent_expiry_event_is_known"
            ),
            models.CheckConstraint(condition=Q(scope__in=ConsentScope.values), name="consent_scope_is_known"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | (~Q(expiry_event="") & Q(ended_on__gte=models.F("signed_on"))),
                name="consent_ends_at_its_event_after_signing",
            ),
            # The target of the disclosure's composite foreign key (consent, patient): a disclosure names a consent
            # of its own patient, or none (referrals migration disclosure_consent_is_the_patients).
            models.UniqueConstraint(fields=["id", "patient"], name="consent_id_patient"),
        ]
        triggers = [no_delete, SameProgram("program", "patient")]

    def __str__(self) -> str:
        return f"Consent to share with {self.recipient}"

    def state_on(self, on: datetime.date | None = None) -> str:
        on = on or timezone.localdate()
        if self.revoked_on and self.revoked_on <= on:
            return "revoked"
        if self.ended_on and self.ended_on <= on:
            return "ended"
        if self.expires_on and self.expires_on < on:
            return "expired"
        if self.signed_on > on:
            return "not yet in effect"
        return "current"

    @property
    def state(self) -> str:
        return self.state_on()

    @property
    def state_label(self) -> str:
        """Its state today in words a person reads (`state` is the code the page and the checks compare)."""
        return str(CONSENT_STATE_LABELS[self.state])

    def is_current(self, on: datetime.date | None = None) -> bool:
        """In force on `on` (today by default): signed, not expired, not revoked, its expiry event not yet come."""
        return self.state_on(on) == "current"

    @property
    def is_tpo(self) -> bool:
        return self.scope == ConsentScope.TPO

    def covers(self, recipient: str, on: datetime.date) -> bool:
        """Whether this consent allows disclosing her information to `recipient` on `on`: it is in force that day
        and names that recipient (matched by `recipient_key`: case and spacing aside, the same words). A consent to
        treatment, payment and operations names a kind of recipient, not one: it covers any provider or plan, and
        each disclosure on it says which of the three it is for (`Disclosure.check_legal_basis`)."""
        if not self.is_current(on):
            return False
        return self.is_tpo or recipient_key(self.recipient) == recipient_key(recipient)

    @property
    def with_whom(self) -> str:
        """Who may receive her information on it, in plain words (the coach's summary, the accounting)."""
        if self.is_tpo:
            return gettext("%(recipient)s (for her treatment, payment and health care operations)") % {
                "recipient": self.recipient
            }
        return self.recipient

    def why_not_current(self, on: datetime.date) -> str:
        """In plain words, why it is not in force on `on` (empty when it is)."""
        state = self.state_on(on)
        if state == "revoked":
            return gettext("This consent was revoked on %(day)s.") % {"day": _day(self.revoked_on)}
        if state == "ended":
            return gettext("This consent ended at %(event)s on %(day)s.") % {
                "event": self.get_expiry_event_display().lower(),
                "day": _day(self.ended_on),
            }
        if state == "expired":
            return gettext("This consent expired on %(day)s.") % {"day": _day(self.expires_on)}
        if state == "not yet in effect":
            return gettext("This consent was signed later, on %(day)s.") % {"day": _day(self.signed_on)}
        return ""

    @property
    def ends(self) -> str:
        """When it ends, as written on it: "on May 1, 2027", "at her discharge from the program", or both."""
        on = gettext("on %(day)s") % {"day": _day(self.expires_on)} if self.expires_on else ""
        at = gettext("at %(event)s") % {"event": self.get_expiry_event_display().lower()} if self.expiry_event else ""
        if on and at:
            return gettext("%(on_day)s, or %(at_event)s (whichever comes first)") % {"on_day": on, "at_event": at}
        return on or at


@pghistory.track()
class BreakGlass(models.Model):
    """A supervisor on call opened a record out of her reach in an emergency: she sees it until `ends_at`.

    The permission layer reads it (patients.permissions.patients_visible_to), so nothing has to end it: at
    `ends_at` the record is out of her reach again. Every access-log row of hers about this woman between
    `opened_at` and `ends_at` is a break-glass read; the database keeps those times, her and the woman fixed
    so that the mark cannot move. Another supervisor reviews it (`reviewed_by`, never the one who opened it).
    """

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    opened_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)
    # Set when the program's supervisors were told (supervision.break_glass): they are told once.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("break-glass access")
        verbose_name_plural = _("break-glass accesses")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("opened_at")), name="break_glass_ends_after"),
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_has_reason"),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("user")),
                name="break_glass_reviewer_is_someone_else",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True, reviewed_at__isnull=True, review_note="")
                | (Q(reviewed_by__isnull=False, reviewed_at__isnull=False) & ~Q(review_note="")),
                name="break_glass_review_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "patient", "ends_at"], name="break_glass_user_patient"),
            models.Index(fields=["program"], condition=Q(reviewed_at__isnull=True), name="break_glass_to_review"),
        ]
        triggers = [
            no_delete,
            SameProgram("program", "patient", "user", "reviewed_by"),
            pgtrigger.ReadOnly(
                name="break_glass_fixed", fields=["program", "patient", "user", "reason", "opened_at", "ends_at"]
            ),
        ]

    def __str__(self) -> str:
        return f"Break-glass by user {self.user_id} at {self.opened_at:%Y-%m-%d %H:%M}"

    def review_due(self) -> datetime.datetime:
        return self.opened_at + BREAK_GLASS_REVIEW_WITHIN

    def is_open(self, now: datetime.datetime) -> bool:
        return self.opened_at <= now < self.ends_at


# A second supervisor reviews every break-glass access within this time; later, it is overdue.
BREAK_GLASS_REVIEW_WITHIN = datetime.timedelta(hours=72)


@pghistory.track()
class CoverGrant(models.Model):
    """A coach covers another coach's caseload from `starts_on` to `ends_on` (both included), in the program's days.

    The permission layer reads it by date (patients.permissions.patients_visible_to): the cover starts and ends by
    itself, with no task to run and nothing to revoke.
    """

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    covering = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering_during")
    covered = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covered_during")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A supervisor ended it before its last day (patients.services.cover_end): from this moment it covers nothing.
    ended_early_at = models.DateTimeField(null=True, blank=True)
    ended_early_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cover_grant_ends_after_it_starts"
            ),
            models.CheckConstraint(condition=~Q(covering=models.F("covered")), name="cover_is_someone_else"),
            models.CheckConstraint(
                condition=Q(ended_early_at__isnull=True, ended_early_by__isnull=True)
                | Q(ended_early_at__isnull=False, ended_early_by__isnull=False),
                name="cover_grant_ended_early_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["covering", "ends_on"], name="cover_by_covering")]
        triggers = [no_delete, SameProgram("program", "covering", "covered", "created_by", "ended_early_by")]

    def __str__(self) -> str:
        return f"Cover {self.starts_on} to {self.ends_on}"

    def covers(self, on: datetime.date) -> bool:
        return self.ended_early_at is None and self.starts_on <= on <= self.ends_on

    @property
    def ended_early(self) -> bool:
        return self.ended_early_at is not None


# The reasons every program starts with (codes are what the episodes store); each program may rename, add and retire.
DEFAULT_DISCHARGE_REASONS = (
    ("completed", "Completed the program"),
    ("moved", "Moved away"),
    ("stopped_attending", "Stopped attending"),
    ("chose_to_leave", "Chose to leave"),
    ("incarcerated", "Incarcerated"),
    ("died", "Died"),
    ("other", "Other"),
)


@pghistory.track()
class DischargeReason(models.Model):
    """One entry of the list of discharge reasons a program keeps. Retired, never removed: episodes name it."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="discharge_reasons")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="discharge_reason_code_once"),
            models.CheckConstraint(condition=~Q(label=""), name="discharge_reason_has_a_label"),
        ]
        triggers = [no_delete]

    def __str__(self) -> str:
        return self.label


class EpisodeQuerySet(models.QuerySet):
    def open(self) -> EpisodeQuerySet:
        return self.filter(ended_on__isnull=True)


# Her grant interviews, copied onto the episode (`intake_on`, `follow_up_recorded`, `discharge_recorded`) so that
# "interviews due" reads one row per episode instead of three lookups each. The database keeps them: every insert
# and update of an episode takes them afresh from its interviews (so a save from stale memory cannot undo them),
# and every interview recorded or corrected touches its episode.
interviews_onto_episode = pgtrigger.Trigger(
    name="interviews_onto_episode",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        SELECT
            (SELECT g.dated_on FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'intake'),
            EXISTS (SELECT 1 FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'follow_up'),
            EXISTS (SELECT 1 FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'discharge')
        INTO NEW.intake_on, NEW.follow_up_recorded, NEW.discharge_recorded;
        RETURN NEW;
    """,
)
interview_to_episode = pgtrigger.Trigger(
    name="interview_to_episode",
    when=pgtrigger.After,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func="""
        UPDATE patients_episode SET intake_on = NULL WHERE id = NEW.episode_id;  -- interviews_onto_episode sets it
        RETURN NULL;
    """,
)


# The copies of her interviews are theirs (their own history has them).
@pghistory.track(exclude=["intake_on", "follow_up_recorded", "discharge_recorded"])
class Episode(models.Model):
    """One dated stretch of her care in the program, from enrollment (or re-enrollment) to discharge.

    A woman has one record and as many episodes as times she enrolled; at most one is open. One started by
    re-enrollment waits for a consent signed for it before she is assigned a coach or anything is logged."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    needs_consent = models.BooleanField(default=False, editable=False)
    discharge_reason = models.ForeignKey(
        DischargeReason, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    summary = models.TextField(_("summary of her time in the program"), blank=True)
    # What was still open at discharge and what the supervisor did with each: [{"kind", "id", "outcome"}].
    open_at_discharge = models.JSONField(default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Copies of her grant interviews in this episode, kept by the database (interviews_onto_episode): never set them.
    intake_on = models.DateField(null=True, editable=False)
    follow_up_recorded = models.BooleanField(default=False, editable=False)
    discharge_recorded = models.BooleanField(default=False, editable=False)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_on__isnull=True), name="one_open_episode_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="episode_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(discharge_reason__isnull=False),
                name="episode_ends_with_a_reason",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "discharge_reason"), interviews_onto_episode]

    def __str__(self) -> str:
        return f"Episode from {self.started_on}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None

    @property
    def carried(self) -> list[dict]:
        return [item for item in self.open_at_discharge if item.get("outcome") == "carried"]


class CareKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential treatment")
    INPATIENT = "inpatient", _("Inpatient care")
    DETOX = "detox", _("Detox (withdrawal management)")
    INCARCERATED = "incarcerated", _("Incarcerated")


class HigherCareStayQuerySet(models.QuerySet):
    def open(self) -> HigherCareStayQuerySet:
        return self.filter(ended_on__isnull=True)


@pghistory.track()
class HigherCareStay(ProgramFromParent):
    """A dated stay in a higher level of care. She stays on her coach's caseload, who may keep visiting and
    logging; the weekly queue shows her with the day she went and when she is expected back."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="higher_care_stays")
    program_from = "patient"
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="higher_care_stays")
    kind = models.CharField(_("where she went"), max_length=16, choices=CareKind.choices)
    started_on = models.DateField(_("went on"))
    expected_return_on = models.DateField(_("expected back"), null=True, blank=True)
    ended_on = models.DateField(_("came back on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = HigherCareStayQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(ended_on__isnull=True), name="one_open_stay_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="stay_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(expected_return_on__isnull=True) | Q(expected_return_on__gte=models.F("started_on")),
                name="stay_expected_back_after_it_starts",
            ),
            models.CheckConstraint(condition=Q(kind__in=CareKind.values), name="stay_kind_is_known"),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "episode")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started_on}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class WithdrawalTreated(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


# When a due date is this near with no Plan of Safe Care, her page says one is due.
SAFE_CARE_DUE_WITHIN = datetime.timedelta(weeks=4)
FULL_TERM_WEEKS = 40


@pghistory.track()
class Pregnancy(models.Model):
    """One pregnancy of hers, from the due date to the delivery and the Plan of Safe Care. Her current one keeps
    `Patient.due_date` and `delivery_date` in step (patients.services.pregnancy_save). Never deleted."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pregnancies")
    due_date = models.DateField(_("estimated due date"))
    prenatal_care = models.BooleanField(_("she has prenatal care"), default=False)
    prenatal_care_where = models.CharField(_("where"), max_length=200, blank=True)
    moud = models.BooleanField(_("she takes medication for opioid use disorder"), default=False)
    delivery_date = models.DateField(null=True, blank=True)
    gestational_weeks = models.PositiveSmallIntegerField(_("weeks of pregnancy at delivery"), null=True, blank=True)
    birth_weight_grams = models.PositiveSmallIntegerField(_("birth weight (grams)"), null=True, blank=True)
    infant_withdrawal = models.CharField(
        _("infant treated for withdrawal"), max_length=8, choices=WithdrawalTreated.choices, blank=True
    )
    safe_care_plan = models.BooleanField(_("a Plan of Safe Care is made"), default=False)
    safe_care_with = models.CharField(_("made with"), max_length=200, blank=True)
    safe_care_on = models.DateField(_("made on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_date", "-id"]
        verbose_name_plural = _("pregnancies")
        indexes = [models.Index(fields=["program", "delivery_date"], name="pregnancy_program_delivery")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(delivery_date__isnull=True), name="pregnancy_one_open_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(prenatal_care=True) | Q(prenatal_care_where=""), name="pregnancy_care_where_only_if_care"
            ),
            models.CheckConstraint(
                condition=Q(gestational_weeks__isnull=True) | Q(gestational_weeks__gte=20, gestational_weeks__lte=45),
                name="pregnancy_gestational_weeks_plausible",
            ),
            models.CheckConstraint(
                condition=Q(birth_weight_grams__isnull=True)
                | Q(birth_weight_grams__gte=300, birth_weight_grams__lte=7000),
                name="pregnancy_birth_weight_plausible",
            ),
            models.CheckConstraint(
                condition=Q(infant_withdrawal="") | Q(infant_withdrawal__in=WithdrawalTreated.values),
                name="pregnancy_infant_withdrawal_known",
            ),
            # What is known of the birth is recorded once she has delivered, never before.
            models.CheckConstraint(
                condition=Q(delivery_date__isnull=False)
                | Q(gestational_weeks__isnull=True, birth_weight_grams__isnull=True, infant_withdrawal=""),
                name="pregnancy_birth_only_once_delivered",
            ),
            # A Plan of Safe Care is made with someone on a day: both, or neither when there is none.
            models.CheckConstraint(
                condition=Q(safe_care_plan=True, safe_care_on__isnull=False) & ~Q(safe_care_with="")
                | Q(safe_care_plan=False, safe_care_on__isnull=True, safe_care_with=""),
                name="pregnancy_safe_care_with_whom_and_when",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "patient"), PREGNANCY_TO_PATIENT]

    def __str__(self) -> str:
        return f"Pregnancy due {self.due_date}"

    @property
    def delivered(self) -> bool:
        return self.delivery_date is not None

    def weeks_pregnant(self, today: datetime.date) -> int:
        """Weeks since her last period, counted back from the due date (40 weeks)."""
        return max(0, FULL_TERM_WEEKS - (self.due_date - today).days // 7)

    def what_is_due(self, today: datetime.date) -> list[str]:
        """What her coach and supervisor should see to next about this pregnancy."""
        if self.safe_care_plan:
            return []
        if not self.delivered and self.due_date - today <= SAFE_CARE_DUE_WITHIN:
            return [gettext("Her due date is near and no Plan of Safe Care is recorded.")]
        if self.delivered and (today - self.delivery_date).days <= POSTPARTUM_DAYS:
            return [gettext("She has delivered and no Plan of Safe Care is recorded.")]
        return []


def where_she_is(patient: Patient, today: datetime.date) -> str:
    """ "Pregnant — 28 weeks", "Postpartum — 3 months" or "Parenting", from her current pregnancy's dates."""
    status = patient.pregnancy_status(today)
    if status == PregnancyStatus.PREGNANT and patient.due_date:
        weeks = Pregnancy(due_date=patient.due_date).weeks_pregnant(today)
        return ngettext("Pregnant — %(weeks)d week", "Pregnant — %(weeks)d weeks", weeks) % {"weeks": weeks}
    if status == PregnancyStatus.POSTPARTUM and patient.delivery_date:
        days = (today - patient.delivery_date).days
        if days < 31:
            weeks = days // 7
            return ngettext("Postpartum — %(weeks)d week", "Postpartum — %(weeks)d weeks", weeks) % {"weeks": weeks}
        months = days * 12 // 365
        return ngettext("Postpartum — %(months)d month", "Postpartum — %(months)d months", months) % {"months": months}
    return str(status.label)


class InterviewKind(models.TextChoices):
    INTAKE = "intake", _("Intake")
    FOLLOW_UP = "follow_up", _("Six-month follow-up")
    DISCHARGE = "discharge", _("Discharge")


class InterviewOutcome(models.TextChoices):
    DONE = "done", _("Done")
    UNREACHABLE = "unreachable", _("Could not be reached")
    DECLINED = "declined", _("Declined")


# The follow-up interview is meant for six months after intake; past this, inside the window, it is overdue.
FOLLOW_UP_TARGET_MONTHS = 6

# Built from the models' own table and column names, never from input (see GrantInterview.Meta.triggers).
_INTERVIEW_RULES = """
        IF NEW.kind <> 'intake' THEN
            SELECT dated_on INTO intake FROM patients_grantinterview
                WHERE episode_id = NEW.episode_id AND kind = 'intake';
            IF intake IS NULL OR NEW.dated_on < intake THEN
                RAISE EXCEPTION 'an interview comes after the intake interview'
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'grant_interview_after_intake';
            END IF;
            IF NEW.kind = 'follow_up' AND NEW.outcome = 'done' AND NOT NEW.outside_window THEN
                SELECT interview_window_starts, interview_window_ends INTO opens, closes FROM staff_program
                    WHERE id = NEW.program_id;
                IF NEW.dated_on < (intake + make_interval(months => opens))::date
                        OR NEW.dated_on > (intake + make_interval(months => closes))::date THEN
                    RAISE EXCEPTION 'a follow-up outside its window is marked so'
                        USING ERRCODE = 'check_violation', CONSTRAINT = 'grant_interview_in_window';
                END IF;
            END IF;
        END IF;
        RETURN NEW;
"""


@pghistory.track()
class GrantInterview(models.Model):
    """One of the grant's interviews of a woman in one episode of her care: at intake, about six months later (the
    follow-up, within the program's window), and at discharge. The answers live in the funder's system; this keeps
    the date and whether it was done, or that she could not be reached or declined (on that date).

    The follow-up window and each woman's status derive from the intake date (patients.interviews). Never deleted;
    which woman, episode and kind it is cannot change."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="grant_interviews")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="grant_interviews")
    kind = models.CharField(max_length=16, choices=InterviewKind.choices)
    outcome = models.CharField(max_length=16, choices=InterviewOutcome.choices, default=InterviewOutcome.DONE)
    dated_on = models.DateField(_("date"))
    # A follow-up done before the window opens or after it closes: kept, and not counted in the follow-up rate.
    outside_window = models.BooleanField(_("done outside the follow-up window"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Her supervisor's latest correction (patients.services.grant_interview_correct); pghistory keeps every
    # earlier one, each with its reason, and what the interview said before.
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_reason = models.TextField(_("why it was corrected"), blank=True, max_length=1000)
    version = VersionField()

    class Meta:
        ordering = ["dated_on", "id"]
        verbose_name = _("grant interview")
        constraints = [
            models.UniqueConstraint(fields=["episode", "kind"], name="grant_interview_one_of_each_kind"),
            models.CheckConstraint(condition=Q(kind__in=InterviewKind.values), name="grant_interview_kind_is_known"),
            models.CheckConstraint(
                condition=Q(outcome__in=InterviewOutcome.values), name="grant_interview_outcome_is_known"
            ),
            # The intake interview starts the clock: it is done, or there is nothing to follow up.
            models.CheckConstraint(
                condition=~Q(kind=InterviewKind.INTAKE) | Q(outcome=InterviewOutcome.DONE),
                name="grant_interview_intake_is_done",
            ),
            models.CheckConstraint(
                condition=Q(outside_window=False) | Q(kind=InterviewKind.FOLLOW_UP, outcome=InterviewOutcome.DONE),
                name="grant_interview_outside_window_is_a_follow_up",
            ),
            # A correction says who made it, when and why; an uncorrected interview says none of it.
            models.CheckConstraint(
                condition=Q(corrected_by__isnull=True, corrected_at__isnull=True, correction_reason="")
                | (Q(corrected_by__isnull=False, corrected_at__isnull=False) & ~Q(correction_reason="")),
                name="grant_interview_correction_is_complete",
            ),
        ]
        indexes = [models.Index(fields=["program", "kind", "dated_on"], name="grant_interview_program_kind")]
        triggers = [
            no_delete,
            SameProgram("program", "patient", "episode", "recorded_by", "corrected_by"),
            bump_version,
            pgtrigger.ReadOnly(name="grant_interview_fixed", fields=["program", "patient", "episode", "kind"]),
            pgtrigger.Trigger(
                name="grant_interview_rules",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                declare=[("intake", "date"), ("opens", "smallint"), ("closes", "smallint")],
                func=_INTERVIEW_RULES,
            ),
            interview_to_episode,
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} interview on {self.dated_on}"

    @property
    def is_done(self) -> bool:
        return self.outcome == InterviewOutcome.DONE
