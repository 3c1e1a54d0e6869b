from __future__ import annotations

import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, F, Func, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from patients.models import ProgramFromParent, SameProgram, no_delete
from recovery_program.versioning import VersionField, bump_version

# A coach may change her own encounter for this long; after that a correction is an addendum.
EDIT_WINDOW = datetime.timedelta(hours=72)

# What a coach hands out in one encounter: more than this is almost always a mistyped number.
NALOXONE_MAX = 20
TEST_STRIPS_MAX = 200


class EncounterKind(models.TextChoices):
    GROUP = "group", _("Group treatment session")
    COMMUNITY = "community", _("One-on-one in the community (coffee, a walk)")
    PHONE = "phone", _("Phone call or text")
    TWELVE_STEP = "twelve_step", _("Went with her to a twelve-step meeting")
    FAMILY_RESOURCE = "family_resource", _("Went with her to the Family Resource Center")
    MEDICAL = "medical", _("Went with her to a medical or dental visit")
    COURT = "court", _("Went with her to a court appointment")
    OUTREACH = "outreach", _("Tried to reach her, no contact")
    WARM_HANDOFF = "warm_handoff", _("Warm handoff: met her with another coach")
    OTHER = "other", _("Something else")


class Resource(models.Model):
    """Something a coach can share: a twelve-step meeting, a local service. Each program keeps its own list."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Twelve-step or recovery meeting")
        SERVICE = "service", _("Local service")

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    is_active = models.BooleanField(default=True, help_text=_("Retired resources stay on old encounters."))

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="resource_unique_name_per_program")]

    def __str__(self) -> str:
        return self.name


# The encounter's time, and whether it reached her, copied onto each of its women's rows (EncounterPatient), so that
# "her first contact after a day" and "contacts per month" read one index instead of joining every encounter of
# hers. Whoever writes (raw SQL included), the copy is the encounter's: set on every insert and update of the row,
# and again on its rows whenever the encounter's time, kind or entered-in-error mark changes.
REACHED_HER = f"(e.entered_in_error_at IS NULL AND e.kind <> '{EncounterKind.OUTREACH.value}')"
copy_from_encounter = pgtrigger.Trigger(
    name="copy_from_encounter",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    func=f"""
        SELECT e.occurred_at, {REACHED_HER} INTO NEW.occurred_at, NEW.reached
        FROM coaching_encounter e WHERE e.id = NEW.encounter_id;
        RETURN NEW;
    """,  # noqa: S608 (constant SQL)
)
# Setting the time fires copy_from_encounter on each row, which reads the kind and the error mark afresh too.
copy_to_women = pgtrigger.Trigger(
    name="copy_to_women",
    when=pgtrigger.After,
    operation=pgtrigger.Update,
    condition=pgtrigger.AnyChange("occurred_at", "kind", "entered_in_error_at"),
    func="""
        UPDATE coaching_encounterpatient SET occurred_at = NEW.occurred_at WHERE encounter_id = NEW.id;
        RETURN NULL;
    """,
)


@pghistory.track()
class Encounter(models.Model):
    """What a coach did with one or more patients of her caseload."""

    # Indexed by encounter_program_when, which begins with it: a column of its own would draw the planner to read
    # a whole program's encounters in table order when a date range was asked.
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+", db_index=False)
    # Indexed by encounter_coach_when, for the same reason (twelve weeks of a program's coaches: 357 ms through a
    # column of its own, 77 ms through the two-column index).
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters", db_index=False
    )
    kind = models.CharField(max_length=20, choices=EncounterKind.choices)
    # A warm handoff: the other coach who met her too; the encounter is in that coach's records for her as well.
    other_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoff_encounters",
        verbose_name=_("the other coach present"),
    )
    occurred_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveSmallIntegerField(_("how long (minutes)"))
    place = models.CharField(max_length=200, blank=True)
    patients = models.ManyToManyField("patients.Patient", through="EncounterPatient", related_name="encounters")
    # Shared by every woman on it: in each one's record. For a group, about the group as a whole, no names.
    summary = models.TextField(_("what happened"), blank=True)
    # A group encounter's text from before each woman had her own note: it may name any of them, so only
    # supervisors read it (migration 0008).
    note_before_per_woman = models.TextField(_("note written before notes were per woman"), blank=True)
    resources = models.ManyToManyField(Resource, blank=True, related_name="+", through="EncounterResource")
    resources_other = models.CharField(_("other resources shared"), max_length=500, blank=True)
    naloxone_kits = models.PositiveSmallIntegerField(_("naloxone kits handed out"), default=0)
    test_strips = models.PositiveSmallIntegerField(_("fentanyl test strips handed out"), default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.CharField(max_length=500, blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["coach", "-occurred_at"], name="encounter_coach_when"),
            # The last one she logged (the log form starts from its kind and length).
            models.Index(fields=["coach", "-created_at"], name="encounter_coach_logged"),
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
        triggers = [no_delete, SameProgram("program", "coach", "other_coach"), bump_version, copy_to_women]

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


# The copies are the encounter's (its own history has them): the woman's row keeps history of who was there.
@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent(), exclude=["occurred_at", "reached"])
class EncounterPatient(ProgramFromParent):
    """A patient present at an encounter. Changing who was there within the edit window is kept in the history."""

    # Indexed by encounterpatient_program_at, which begins with it (see Encounter.program).
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+", db_index=False)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT)
    # Copies of the encounter's, kept by the database (copy_from_encounter, copy_to_women): never set them.
    occurred_at = models.DateTimeField(editable=False)
    # The encounter reached her: not an attempt with no contact, not entered in error.
    reached = models.BooleanField(editable=False, default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["encounter", "patient"], name="encounter_patient_once")]
        indexes = [
            models.Index(fields=["patient", "encounter"], name="encounterpatient_patient"),
            # Her last encounter (no contact in N days), her first contact after a day (reports).
            models.Index(fields=["patient", "occurred_at"], include=["reached"], name="encounterpatient_patient_at"),
            # A program's rows, and its contacts per month (read from the index alone).
            models.Index(
                fields=["program", "occurred_at"],
                include=["patient", "encounter", "reached"],
                name="encounterpatient_program_at",
            ),
        ]
        triggers = [SameProgram("program", "encounter", "patient"), copy_from_encounter]

    program_from = "encounter"

    def __str__(self) -> str:
        return f"Patient {self.patient_id} at encounter {self.encounter_id}"


def last_encounter_of(patient: OuterRef) -> Subquery:
    """When her last encounter happened (any kind, by any coach, entered in error included, as "no contact in N
    days" has always counted), for an annotation of women: one read of encounterpatient_patient_at each."""
    latest = EncounterPatient.objects.filter(patient=patient).order_by("-occurred_at").values("occurred_at")[:1]
    return Subquery(latest, output_field=models.DateTimeField())


def start_of_day(day, zone: datetime.tzinfo) -> Func:
    """The moment a date (an expression) begins in the program's zone (PostgreSQL's timezone(zone, day::timestamp)),
    so that a comparison with an encounter's time reads an index on it (and a late evening is not the next day)."""
    midnight = Func(day, template="(%(expressions)s)::timestamp", output_field=models.DateTimeField())
    return Func(Value(str(zone)), midnight, function="timezone", output_field=models.DateTimeField())


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
    text = models.TextField(_("her own note"), blank=True)
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
    RETURN_TO_USE = "return_to_use", _("Return to use, or signs of it")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence")
    CHILD_SAFETY = "child_safety", _("A child's safety")
    MENTAL_HEALTH = "mental_health", _("Mental health or suicide risk")
    BASIC_NEEDS = "basic_needs", _("Housing or basic needs")
    DISCONNECTED = "disconnected", _("Disconnected from treatment")
    PATIENT_REQUEST = "patient_request", _("Something she wants the care team to know")
    BOUNDARY = "boundary", _("A boundary question of my own")
    OTHER = "other", _("Something else")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine: next weekly supervision")
    WITHIN_24_HOURS = "within_24h", _("Within 24 hours")
    URGENT_NOW = "urgent_now", _("Urgent: a supervisor must act now")


URGENCY_RANK = Case(
    When(urgency=Urgency.URGENT_NOW, then=Value(0)),
    When(urgency=Urgency.WITHIN_24_HOURS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class ConcernStatus(models.TextChoices):
    SHARED = "shared", _("Shared")
    SEEN = "seen", _("Seen by a supervisor")
    IN_REVIEW = "in_review", _("In review")
    CLOSED = "closed", _("Closed")


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
    category = models.CharField(_("what it is about"), max_length=24, choices=ConcernCategory.choices)
    description = models.TextField(_("what you saw or heard"))
    urgency = models.CharField(_("how soon"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
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
            # The queue and the home pages' counts read the open ones: a few hundred of a program's many thousands.
            models.Index(
                fields=["program", "created_at"], condition=~Q(status=ConcernStatus.CLOSED), name="concern_open"
            ),
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
        moment = timezone.localtime(self.acknowledged_at)
        when = date_format(moment, "g:i a" if moment.date() == timezone.localdate() else "M j, g:i a")
        if self.acknowledged_by_id == user.pk:
            said = gettext("You have it since %(when)s") % {"when": when}
        else:
            said = gettext("%(name)s has it since %(when)s") % {"name": self.acknowledged_by, "when": when}
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
        ENCOUNTER = "encounter", _("Encounter")
        CONCERN = "concern", _("Concern")
        SESSION = "session", _("Supervision session")
        REFERRAL = "referral", _("Referral")
        CPS_REPORT = "cps_report", _("CPS report")
        COMMUNICATION = "communication", _("Note of what she was told")
        DISCLOSURE = "disclosure", _("Disclosure")

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

    LEAVING_CARE = "leaving_care", _("Leaving residential care, detox or the hospital")
    RELEASED = "released", _("Coming home from jail or prison")
    AFTER_RELAPSE = "after_relapse", _("After a return to use")
    POSTPARTUM = "postpartum", _("The year after the baby is born")
    USING_ALONE = "using_alone", _("Using alone")


class NaloxoneAtHand(models.TextChoices):
    YES = "yes", _("Yes, she has it")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not asked yet")


# How many people and places a plan lists.
PLAN_CONTACTS_MAX = 6


@pghistory.track()
class SafetyPlan(models.Model):
    """Her own safety plan, made and kept current with her coach: one per woman, changed in place, every version
    kept by pghistory. Never deleted."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="safety_plan")
    warning_signs = models.TextField(_("warning signs she notices"), blank=True)
    what_helps = models.TextField(_("what she says helps"), blank=True)
    # [{"name": "Dana, my sponsor", "phone": "603-555-0100"}, …]: who and where she can call.
    contacts = models.JSONField(_("people and places she can call"), default=list, blank=True)
    naloxone = models.CharField(
        _("does she have naloxone (Narcan)?"),
        max_length=8,
        choices=NaloxoneAtHand.choices,
        default=NaloxoneAtHand.UNKNOWN,
    )
    risk_moments = ArrayField(models.CharField(max_length=16, choices=RiskMoment.choices), default=list, blank=True)
    safety_at_home = models.BooleanField(_("safety at home is part of her plan"), default=False)
    safety_at_home_plan = models.TextField(_("her plan if she is not safe at home"), blank=True)
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


class AppointmentKind(models.TextChoices):
    """Where a coach goes with her: each becomes the matching kind of encounter once logged (`ENCOUNTER_KIND`)."""

    COURT = "court", _("Court")
    DENTAL = "dental", _("Dental visit")
    MEDICAL = "medical", _("Medical or prenatal visit")
    FAMILY_RESOURCE = "family_resource", _("Family Resource Center")
    TWELVE_STEP = "twelve_step", _("Her first twelve-step meeting")
    HOUSING = "housing", _("Housing")
    OTHER = "other", _("Something else")

    @property
    def encounter_kind(self) -> str:
        return {
            "court": EncounterKind.COURT,
            "dental": EncounterKind.MEDICAL,
            "medical": EncounterKind.MEDICAL,
            "family_resource": EncounterKind.FAMILY_RESOURCE,
            "twelve_step": EncounterKind.TWELVE_STEP,
        }.get(self.value, EncounterKind.OTHER)


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("She did not come")


@pghistory.track()
class Appointment(models.Model):
    """An appointment a coach will go to with a woman of her caseload. Never deleted: cancelled instead. Done only
    through the encounter that logged it (`coaching.services.encounter_log`)."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("where to"), max_length=20, choices=AppointmentKind.choices)
    place = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.PLANNED)
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = VersionField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["coach", "starts_at"], name="appointment_coach_when"),
            models.Index(fields=["program", "starts_at"], name="appointment_program_when"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=AppointmentStatus.DONE, encounter__isnull=False)
                | (~Q(status=AppointmentStatus.DONE) & Q(encounter__isnull=True)),
                name="appointment_done_with_its_encounter",
            ),
            models.CheckConstraint(condition=Q(status__in=AppointmentStatus.values), name="appointment_status_known"),
            models.CheckConstraint(condition=Q(kind__in=AppointmentKind.values), name="appointment_kind_known"),
        ]
        permissions = [("keep_week", "Can keep her own week: appointments and reminders")]
        triggers = [no_delete, SameProgram("program", "patient", "coach", "encounter", "created_by"), bump_version]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {timezone.localtime(self.starts_at):%Y-%m-%d}"

    @property
    def is_planned(self) -> bool:
        return self.status == AppointmentStatus.PLANNED


class ReminderStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


@pghistory.track()
class Reminder(models.Model):
    """A next contact she means to make ("call Thursday"). Never deleted: done or dismissed instead."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("day"))
    due_time = models.TimeField(_("time"), null=True, blank=True)
    what = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = VersionField()

    class Meta:
        ordering = ["due_on", "due_time", "id"]
        indexes = [models.Index(fields=["coach", "status", "due_on"], name="reminder_coach_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ReminderStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=ReminderStatus.OPEN) & Q(closed_at__isnull=False)),
                name="reminder_closed_has_a_date",
            ),
            models.CheckConstraint(condition=Q(status__in=ReminderStatus.values), name="reminder_status_known"),
            models.CheckConstraint(condition=~Q(what=""), name="reminder_says_what"),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "coach", "created_by"), bump_version]

    def __str__(self) -> str:
        return f"Reminder for {self.due_on:%Y-%m-%d}"


class GoalArea(models.TextChoices):
    """The parts of her life a recovery goal is about, in the program's own words."""

    HOUSING = "housing", _("Housing")
    CHILDREN = "children", _("Custody and her children")
    WORK = "work", _("Work or school")
    PARENTING = "parenting", _("Parenting")
    HEALTH = "health", _("Health")
    RECOVERY = "recovery", _("Recovery")
    OTHER = "other", _("Something else")


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Working on it")
    REACHED = "reached", _("Reached")
    SET_ASIDE = "set_aside", _("Set aside")


class StepStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    NOT_NEEDED = "not_needed", _("Not needed")


# A few goals at a time: more than this and none of them gets done (the database holds it too).
ACTIVE_GOALS_MAX = 8
# Steps one goal may hold, whatever their state: a longer list is a second goal.
GOAL_STEPS_MAX = 15

# The database's side of ACTIVE_GOALS_MAX: whoever writes, a ninth goal she is working on is refused.
_few_active_goals = pgtrigger.Trigger(
    name="few_active_goals",
    when=pgtrigger.Before,
    operation=pgtrigger.Insert | pgtrigger.Update,
    condition=pgtrigger.Q(new__status="active"),
    func=f"""
        IF (SELECT count(*) FROM coaching_recoverygoal
            WHERE patient_id = NEW.patient_id AND status = 'active' AND id <> NEW.id) >= {ACTIVE_GOALS_MAX} THEN
            RAISE EXCEPTION 'a woman works on at most {ACTIVE_GOALS_MAX} goals at a time'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'recoverygoal_few_active';
        END IF;
        RETURN NEW;
    """,  # noqa: S608 (the table and the limit are the code's own, never input)
)


@pghistory.track()
class RecoveryGoal(models.Model):
    """One goal of her recovery plan, in her own words, with the steps toward it. Never deleted: a goal she no
    longer works on is reached or set aside (on a date, by someone); pghistory keeps every change."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="recovery_goals")
    area = models.CharField(_("what it is about"), max_length=16, choices=GoalArea.choices)
    in_her_words = models.TextField(_("her goal, in her words"))
    target_on = models.DateField(_("when she hopes to get there"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    closed_on = models.DateField(_("reached or set aside on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = VersionField()

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="recoverygoal_patient_status")]
        constraints = [
            models.CheckConstraint(condition=Q(area__in=GoalArea.values), name="recoverygoal_area_known"),
            models.CheckConstraint(condition=Q(status__in=GoalStatus.values), name="recoverygoal_status_known"),
            models.CheckConstraint(condition=~Q(in_her_words=""), name="recoverygoal_written"),
            # Working on it: no date or person closing it; reached or set aside: both.
            models.CheckConstraint(
                condition=Q(status=GoalStatus.ACTIVE, closed_on__isnull=True, closed_by__isnull=True)
                | (~Q(status=GoalStatus.ACTIVE) & Q(closed_on__isnull=False, closed_by__isnull=False)),
                name="recoverygoal_closed_when_and_by_whom",
            ),
        ]
        triggers = [
            no_delete,
            SameProgram("program", "patient", "closed_by", "created_by"),
            bump_version,
            _few_active_goals,
        ]

    def __str__(self) -> str:
        return f"Recovery goal {self.pk} of patient {self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.status == GoalStatus.ACTIVE

    def progress(self) -> tuple[int, int]:
        """(steps done, steps that count): a step marked not needed counts for neither. Uses the prefetched
        steps."""
        steps = [step for step in self.steps.all() if step.status != StepStatus.NOT_NEEDED]
        return sum(step.status == StepStatus.DONE for step in steps), len(steps)

    def next_step(self) -> GoalStep | None:
        """The first open step, by due date (undated last), then by order. Uses the prefetched steps."""
        open_steps = [step for step in self.steps.all() if step.status == StepStatus.OPEN]
        return min(open_steps, key=lambda s: (s.due_on is None, s.due_on or datetime.date.min, s.order), default=None)


@pghistory.track()
class GoalStep(models.Model):
    """One step toward a goal: what she will do, by when. Ticked done (on a date, by someone) or marked not needed,
    never deleted."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(RecoveryGoal, on_delete=models.PROTECT, related_name="steps")
    what = models.CharField(_("the step"), max_length=200)
    due_on = models.DateField(_("by when"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.OPEN)
    # When it was ticked done or marked not needed, and by whom.
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order"]
        indexes = [models.Index(fields=["status", "due_on"], name="goalstep_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["goal", "order"], name="goalstep_one_place_per_goal"),
            models.CheckConstraint(condition=Q(status__in=StepStatus.values), name="goalstep_status_known"),
            models.CheckConstraint(condition=~Q(what=""), name="goalstep_written"),
            # Open: not ticked; done or not needed: the date and who.
            models.CheckConstraint(
                condition=Q(status=StepStatus.OPEN, done_on__isnull=True, done_by__isnull=True)
                | (~Q(status=StepStatus.OPEN) & Q(done_on__isnull=False, done_by__isnull=False)),
                name="goalstep_done_when_and_by_whom",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "goal", "done_by", "created_by")]

    def __str__(self) -> str:
        return f"Step {self.pk} of goal {self.goal_id}"


# BARC-10 (Brief Assessment of Recovery Capital; Vilsaint et al., 2017): ten statements she answers from 1 (strongly
# disagree) to 6 (strongly agree), scored as their sum, 10 to 60. Higher is more recovery capital.
BARC10_STATEMENTS = (
    gettext_noop("There are more important things to me in life than using substances."),
    gettext_noop("In general I am happy with my life."),
    gettext_noop("I have enough energy to complete the tasks I set myself."),
    gettext_noop("I am proud of the community I live in and feel part of it."),
    gettext_noop("I get lots of support from friends."),
    gettext_noop("I regard my life as challenging and fulfilling without the need for using drugs or alcohol."),
    gettext_noop("My living space has helped to drive my recovery journey."),
    gettext_noop("I take full responsibility for my actions."),
    gettext_noop("I am happy dealing with a range of professional people."),
    gettext_noop("I am making good progress on my recovery journey."),
)
BARC10_SCALE = (
    (1, _("Strongly disagree")),
    (2, _("Disagree")),
    (3, _("Somewhat disagree")),
    (4, _("Somewhat agree")),
    (5, _("Agree")),
    (6, _("Strongly agree")),
)
BARC10_ITEMS = tuple(f"item_{n}" for n in range(1, 11))
# How often she takes it while she is in the program, and how late it may be before her supervisor hears of it.
BARC10_EVERY = datetime.timedelta(days=90)
BARC10_OVERDUE_AFTER = datetime.timedelta(days=14)
# The one who entered it may correct a mistyped answer for this long (history kept); after that it stands.
BARC10_CORRECTION_WINDOW = datetime.timedelta(hours=72)


class Barc10Occasion(models.TextChoices):
    INTAKE = "intake", _("At intake")
    NINETY_DAY = "90_day", _("90-day check-in")
    DISCHARGE = "discharge", _("At discharge")
    OTHER = "other", _("Another time")


def _barc10_item(number: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(_(BARC10_STATEMENTS[number - 1]), choices=BARC10_SCALE)


@pghistory.track()
class Barc10(models.Model):
    """One BARC-10 she answered with her coach (or a supervisor) on a day: never deleted; a mistyped answer is
    corrected by whoever entered it within `BARC10_CORRECTION_WINDOW`, every version kept by pghistory."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(_("the day she answered it"))
    occasion = models.CharField(_("when in her course"), max_length=12, choices=Barc10Occasion.choices)
    item_1 = _barc10_item(1)
    item_2 = _barc10_item(2)
    item_3 = _barc10_item(3)
    item_4 = _barc10_item(4)
    item_5 = _barc10_item(5)
    item_6 = _barc10_item(6)
    item_7 = _barc10_item(7)
    item_8 = _barc10_item(8)
    item_9 = _barc10_item(9)
    item_10 = _barc10_item(10)
    # Stored for reports and the trend; the database holds it equal to the sum of the answers.
    total = models.PositiveSmallIntegerField(_("total, 10 to 60"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = VersionField()

    class Meta:
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["patient", "-taken_on"], name="barc10_patient_taken_on")]
        constraints = [
            *(
                models.CheckConstraint(condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 6}), name=f"barc10_{name}_1_6")
                for name in BARC10_ITEMS
            ),
            models.CheckConstraint(
                condition=Q(total=sum((F(name) for name in BARC10_ITEMS[1:]), F(BARC10_ITEMS[0]))),
                name="barc10_total_is_the_sum",
            ),
            models.CheckConstraint(condition=Q(total__gte=10, total__lte=60), name="barc10_total_10_60"),
            models.CheckConstraint(condition=Q(occasion__in=Barc10Occasion.values), name="barc10_occasion_known"),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "entered_by"), bump_version]

    def __str__(self) -> str:
        return f"BARC-10 of patient {self.patient_id} on {self.taken_on}"

    def answers(self) -> list[tuple[str, int, str]]:
        """Each statement, her answer and its words."""
        scale = dict(BARC10_SCALE)
        return [
            (gettext(statement), getattr(self, name), scale[getattr(self, name)])
            for statement, name in zip(BARC10_STATEMENTS, BARC10_ITEMS, strict=True)
        ]

    def correctable_by(self, user, now: datetime.datetime | None = None) -> bool:
        """Whoever entered it, within the window after entering it."""
        return self.entered_by_id == user.pk and (now or timezone.now()) < self.created_at + BARC10_CORRECTION_WINDOW
