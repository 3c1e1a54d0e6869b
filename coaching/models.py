from __future__ import annotations

import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, F, Func, IntegerField, Q, Value, When
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone
from django.utils.formats import date_format

from patients.models import ProgramFromParent, SameProgram, no_delete
from recovery_program.versioning import VersionField, bump_version

# A coach may change her own encounter for this long; after that a correction is an addendum.
EDIT_WINDOW = datetime.timedelta(hours=72)

# What a coach hands out in one encounter: more than this is almost always a mistyped number.
NALOXONE_MAX = 20
TEST_STRIPS_MAX = 200


class EncounterKind(models.TextChoices):
    GROUP = "group", "Group treatment session"
    COMMUNITY = "community", "One-on-one in the community (coffee, a walk)"
    PHONE = "phone", "Phone call or text"
    TWELVE_STEP = "twelve_step", "Went with her to a twelve-step meeting"
    FAMILY_RESOURCE = "family_resource", "Went with her to the Family Resource Center"
    MEDICAL = "medical", "Went with her to a medical or dental visit"
    COURT = "court", "Went with her to a court appointment"
    OUTREACH = "outreach", "Tried to reach her, no contact"
    WARM_HANDOFF = "warm_handoff", "Warm handoff: met her with another coach"
    OTHER = "other", "Something else"


class Resource(models.Model):
    """Something a coach can share: a twelve-step meeting, a local service. Each program keeps its own list."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Twelve-step or recovery meeting"
        SERVICE = "service", "Local service"

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    is_active = models.BooleanField(default=True, help_text="Retired resources stay on old encounters.")

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="resource_unique_name_per_program")]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Encounter(models.Model):
    """What a coach did with one or more patients of her caseload."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters")
    kind = models.CharField(max_length=20, choices=EncounterKind.choices)
    # A warm handoff: the other coach who met her too; the encounter is in that coach's records for her as well.
    other_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoff_encounters",
        verbose_name="the other coach present",
    )
    occurred_at = models.DateTimeField("when")
    duration_minutes = models.PositiveSmallIntegerField("how long (minutes)")
    place = models.CharField(max_length=200, blank=True)
    patients = models.ManyToManyField("patients.Patient", through="EncounterPatient", related_name="encounters")
    # Shared by every woman on it: in each one's record. For a group, about the group as a whole, no names.
    summary = models.TextField("what happened", blank=True)
    # A group encounter's text from before each woman had her own note: it may name any of them, so only
    # supervisors read it (migration 0008).
    note_before_per_woman = models.TextField("note written before notes were per woman", blank=True)
    resources = models.ManyToManyField(Resource, blank=True, related_name="+", through="EncounterResource")
    resources_other = models.CharField("other resources shared", max_length=500, blank=True)
    naloxone_kits = models.PositiveSmallIntegerField("naloxone kits handed out", default=0)
    test_strips = models.PositiveSmallIntegerField("fentanyl test strips handed out", default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.CharField(max_length=500, blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["coach", "-occurred_at"], name="encounter_coach_when"),
            models.Index(fields=["program", "-occurred_at"], name="encounter_program_when"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=1), name="encounter_has_a_duration"),
            models.CheckConstraint(
                condition=Q(naloxone_kits__gte=0, naloxone_kits__lte=NALOXONE_MAX)
                & Q(test_strips__gte=0, test_strips__lte=TEST_STRIPS_MAX),
                name="encounter_naloxone_and_strips_sensible",
            ),
            # Logged after it happened (a phone's clock may run a little ahead), and within the year before.
            models.CheckConstraint(
                condition=Q(occurred_at__lte=F("created_at") + datetime.timedelta(minutes=10))
                & Q(occurred_at__gte=F("created_at") - datetime.timedelta(days=366)),
                name="encounter_happened_before_logging",
            ),
            # Only a warm handoff names another coach, and it always does (coaching.services._check_encounter).
            models.CheckConstraint(
                condition=Q(kind="warm_handoff", other_coach__isnull=False)
                | (~Q(kind="warm_handoff") & Q(other_coach__isnull=True)),
                name="encounter_warm_handoff_names_other_coach",
            ),
            models.CheckConstraint(condition=~Q(other_coach=F("coach")), name="encounter_other_coach_is_someone_else"),
        ]
        permissions = [("log_encounters", "Can log her own encounters with patients of her caseload")]
        triggers = [no_delete, SameProgram("program", "coach", "other_coach"), bump_version]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {timezone.localtime(self.occurred_at):%Y-%m-%d}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    def edit_window_open(self, now: datetime.datetime | None = None) -> bool:
        """Still within the 72 hours in which its coach may change it, and not marked entered in error."""
        now = now or timezone.now()
        return not self.is_entered_in_error and now < self.created_at + EDIT_WINDOW

    @property
    def edit_window_closes_at(self) -> datetime.datetime:
        return self.created_at + EDIT_WINDOW


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class EncounterPatient(ProgramFromParent):
    """A patient present at an encounter. Changing who was there within the edit window is kept in the history."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["encounter", "patient"], name="encounter_patient_once")]
        indexes = [models.Index(fields=["patient", "encounter"], name="encounterpatient_patient")]
        triggers = [SameProgram("program", "encounter", "patient")]

    program_from = "encounter"

    def __str__(self) -> str:
        return f"Patient {self.patient_id} at encounter {self.encounter_id}"


class EncounterResource(ProgramFromParent):
    """A resource shared at an encounter (the table Django made for the plain many-to-many field, kept with its
    rows, now with the program beside them)."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT)

    program_from = "encounter"

    class Meta:
        db_table = "coaching_encounter_resources"
        unique_together = [("encounter", "resource")]
        triggers = [SameProgram("program", "encounter", "resource")]

    def __str__(self) -> str:
        return f"Resource {self.resource_id} at encounter {self.encounter_id}"


@pghistory.track()
class EncounterNote(ProgramFromParent):
    """What the coach wrote about one woman at an encounter: in her record only, never in another woman's.

    Never deleted: a woman taken off the encounter keeps her row, shown nowhere while she is off it."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="notes")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    text = models.TextField("her own note", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "patient"], name="encounternote_one_per_woman"),
        ]
        indexes = [models.Index(fields=["patient", "encounter"], name="encounternote_patient")]
        triggers = [no_delete, SameProgram("program", "encounter", "patient")]

    program_from = "encounter"

    def __str__(self) -> str:
        return f"Note on patient {self.patient_id} at encounter {self.encounter_id}"


class Addendum(ProgramFromParent):
    """A dated, signed correction or addition under an encounter. Written once: never changed, never removed."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"
        triggers = [
            pgtrigger.Protect(name="written_once", operation=pgtrigger.Update | pgtrigger.Delete),
            SameProgram("program", "encounter"),
        ]

    program_from = "encounter"

    def __str__(self) -> str:
        return f"Addendum of {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class ConcernCategory(models.TextChoices):
    RETURN_TO_USE = "return_to_use", "Return to use, or signs of it"
    DOMESTIC_VIOLENCE = "domestic_violence", "Domestic violence"
    CHILD_SAFETY = "child_safety", "A child's safety"
    MENTAL_HEALTH = "mental_health", "Mental health or suicide risk"
    BASIC_NEEDS = "basic_needs", "Housing or basic needs"
    DISCONNECTED = "disconnected", "Disconnected from treatment"
    PATIENT_REQUEST = "patient_request", "Something she wants the care team to know"
    BOUNDARY = "boundary", "A boundary question of my own"
    OTHER = "other", "Something else"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine: next weekly supervision"
    WITHIN_24_HOURS = "within_24h", "Within 24 hours"
    URGENT_NOW = "urgent_now", "Urgent: a supervisor must act now"


URGENCY_RANK = Case(
    When(urgency=Urgency.URGENT_NOW, then=Value(0)),
    When(urgency=Urgency.WITHIN_24_HOURS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class ConcernStatus(models.TextChoices):
    SHARED = "shared", "Shared"
    SEEN = "seen", "Seen by a supervisor"
    IN_REVIEW = "in_review", "In review"
    CLOSED = "closed", "Closed"


class ConcernQuerySet(models.QuerySet):
    def open(self) -> ConcernQuerySet:
        return self.exclude(status=ConcernStatus.CLOSED)

    def queue_order(self) -> ConcernQuerySet:
        """Most urgent first, then oldest first."""
        return self.annotate(urgency_rank=URGENCY_RANK).order_by("urgency_rank", "created_at", "id")

    def with_new_notes(self) -> ConcernQuerySet:
        """Each concern's `new_notes`: supervisors' notes its coach has not opened it to read yet."""
        return self.annotate(
            new_notes=models.Count("notes", filter=models.Q(notes__seen_by_coach__isnull=True), distinct=True)
        )


@pghistory.track()
class Concern(models.Model):
    """Something a coach shares with her supervisor about a patient. Decisions and actions belong to supervisors."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="concerns")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_shared")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="concerns")
    category = models.CharField("what it is about", max_length=24, choices=ConcernCategory.choices)
    description = models.TextField("what you saw or heard")
    urgency = models.CharField("how soon", max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    status = models.CharField(max_length=16, choices=ConcernStatus.choices, default=ConcernStatus.SHARED)

    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(max_length=500, blank=True)
    version = VersionField()

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "status", "created_at"], name="concern_program_queue"),
            models.Index(fields=["coach", "-created_at"], name="concern_coach_when"),
            models.Index(fields=["patient", "-created_at"], name="concern_patient_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ConcernStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=ConcernStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="concern_closed_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(status=ConcernStatus.SHARED) | Q(acknowledged_at__isnull=False),
                name="concern_seen_before_anything_else",
            ),
        ]
        permissions = [("share_concerns", "Can share concerns about her caseload with her supervisor")]
        triggers = [no_delete, SameProgram("program", "patient", "coach", "encounter"), bump_version]

    def __str__(self) -> str:
        return f"Concern {self.pk}: {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.status != ConcernStatus.CLOSED

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT_NOW and self.is_open

    def who_has_it(self, user) -> str:
        """What a supervisor who says "I have it" is told when someone else had it first (two at once, a stale
        page): "Iris Vance has it since 2:14 a.m.", in the active (the program's) time zone."""
        if self.acknowledged_at is None:
            return ""
        who = "You have" if self.acknowledged_by_id == user.pk else f"{self.acknowledged_by} has"
        moment = timezone.localtime(self.acknowledged_at)
        when = date_format(moment, "g:i a" if moment.date() == timezone.localdate() else "M j, g:i a")
        said = f"{who} it since {when}"
        return said if said.endswith(".") else f"{said}."  # "2:14 a.m." ends the sentence already


class ConcernNote(ProgramFromParent):
    """A supervisor's note to the coach who shared the concern. She sees these; written once."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = [
            pgtrigger.Protect(name="written_once", operation=pgtrigger.Update | pgtrigger.Delete),
            SameProgram("program", "concern"),
        ]

    program_from = "concern"

    def __str__(self) -> str:
        return f"Note of {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"


class ConcernNoteSeen(ProgramFromParent):
    """When the coach who shared the concern first opened it after this note was written: until then the note
    is new to her, and her home page and concern list say so. (A note is written once, so the mark is its own row.)"""

    note = models.OneToOneField(ConcernNote, on_delete=models.PROTECT, primary_key=True, related_name="seen_by_coach")
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        triggers = [
            pgtrigger.Protect(name="written_once", operation=pgtrigger.Update | pgtrigger.Delete),
            SameProgram("program", "note"),
        ]

    program_from = "note"

    def __str__(self) -> str:
        return f"Seen {timezone.localtime(self.seen_at):%Y-%m-%d %H:%M}"


class Draft(ProgramFromParent):
    """What she is typing in a long form, saved as she goes, so a dropped connection or an ended session loses nothing.

    A working copy, not a record: it is removed once the record is saved, and at her deactivation. One per user,
    form and `key` (what the form is about: the encounter she is changing, the coach of a session, the patient of
    a clinical record; empty for a new encounter or concern). Apps above coaching keep theirs here too, through
    `coaching.services.draft_save`.
    """

    class Form(models.TextChoices):
        ENCOUNTER = "encounter", "Encounter"
        CONCERN = "concern", "Concern"
        SESSION = "session", "Supervision session"
        REFERRAL = "referral", "Referral"
        CPS_REPORT = "cps_report", "CPS report"
        COMMUNICATION = "communication", "Note of what she was told"
        DISCLOSURE = "disclosure", "Disclosure"

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    form = models.CharField(max_length=16, choices=Form.choices)
    key = models.CharField(max_length=20, blank=True, default="")
    # The form's page, where "Continue it" leads.
    page = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    # When its access-log rows were last written, and the patients they named (see services.draft_save).
    logged_at = models.DateTimeField(null=True, blank=True)
    logged_patients = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "form", "key"], name="one_draft_per_form_and_key")]
        triggers = [SameProgram("program", "user")]

    program_from = "user"

    def __str__(self) -> str:
        return f"{self.get_form_display()} draft"


class RiskMoment(models.TextChoices):
    """Times when the risk of an overdose is highest, because tolerance has dropped or life has turned over."""

    LEAVING_CARE = "leaving_care", "Leaving residential care, detox or the hospital"
    RELEASED = "released", "Coming home from jail or prison"
    AFTER_RELAPSE = "after_relapse", "After a return to use"
    POSTPARTUM = "postpartum", "The year after the baby is born"
    USING_ALONE = "using_alone", "Using alone"


class NaloxoneAtHand(models.TextChoices):
    YES = "yes", "Yes, she has it"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not asked yet"


# How many people and places a plan lists.
PLAN_CONTACTS_MAX = 6


@pghistory.track()
class SafetyPlan(models.Model):
    """Her own safety plan, made and kept current with her coach: one per woman, changed in place, every version
    kept by pghistory. Never deleted."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="safety_plan")
    warning_signs = models.TextField("warning signs she notices", blank=True)
    what_helps = models.TextField("what she says helps", blank=True)
    # [{"name": "Dana, my sponsor", "phone": "603-555-0100"}, …]: who and where she can call.
    contacts = models.JSONField("people and places she can call", default=list, blank=True)
    naloxone = models.CharField(
        "does she have naloxone (Narcan)?", max_length=8, choices=NaloxoneAtHand.choices, default=NaloxoneAtHand.UNKNOWN
    )
    risk_moments = ArrayField(models.CharField(max_length=16, choices=RiskMoment.choices), default=list, blank=True)
    safety_at_home = models.BooleanField("safety at home is part of her plan", default=False)
    safety_at_home_plan = models.TextField("her plan if she is not safe at home", blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = VersionField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="safetyplan_reviewed_when_and_by_whom",
            ),
            models.CheckConstraint(
                condition=Q(risk_moments__contained_by=RiskMoment.values), name="safetyplan_risk_moments_known"
            ),
            models.CheckConstraint(condition=Q(naloxone__in=NaloxoneAtHand.values), name="safetyplan_naloxone_known"),
            # A plan for safety at home is written only when she said it is part of her plan.
            models.CheckConstraint(
                condition=Q(safety_at_home=True) | Q(safety_at_home_plan=""),
                name="safetyplan_home_plan_only_when_wanted",
            ),
            models.CheckConstraint(
                condition=Exact(Func(F("contacts"), function="jsonb_typeof", output_field=models.CharField()), "array"),
                name="safetyplan_contacts_a_list",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    Func(F("contacts"), function="jsonb_array_length", output_field=IntegerField()), PLAN_CONTACTS_MAX
                ),
                name="safetyplan_contacts_few",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "reviewed_by", "created_by"), bump_version]

    def __str__(self) -> str:
        return f"Safety plan of patient {self.patient_id}"

    @staticmethod
    def moments_that_apply(patient) -> list[str]:
        """What a new plan starts with ticked, from her record: the year after a birth, a stay in a higher level of
        care she will leave. She and her coach keep or untick them."""
        moments = []
        if patient.open_stay is not None:
            moments.append(RiskMoment.LEAVING_CARE.value)
        if patient.current_pregnancy_status == "postpartum":
            moments.append(RiskMoment.POSTPARTUM.value)
        return moments

    def risk_moment_labels(self) -> list[str]:
        return [RiskMoment(code).label for code in self.risk_moments if code in RiskMoment.values]

    def days_since_review(self, today: datetime.date | None = None) -> int | None:
        """Whole days since it was last gone over with her, by the program's calendar (None: never)."""
        if self.reviewed_at is None:
            return None
        return ((today or timezone.localdate()) - timezone.localdate(self.reviewed_at)).days
