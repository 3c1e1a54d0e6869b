"""Forms for encounters and concerns: they check and tidy input; they do not decide who may do what."""

from __future__ import annotations

import datetime

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coaching.models import (
    BARC10_ITEMS,
    BARC10_SCALE,
    BARC10_STATEMENTS,
    NALOXONE_MAX,
    PLAN_CONTACTS_MAX,
    TEST_STRIPS_MAX,
    AppointmentKind,
    Barc10Occasion,
    ConcernCategory,
    EncounterKind,
    GoalArea,
    NaloxoneAtHand,
    Resource,
    RiskMoment,
    Urgency,
)
from coaching.services import NOTHING_WRITTEN
from recovery_program.forms import (
    PICK,
    STARTED_CHOICES,
    DateInput,
    NoMaxLengthMixin,
    PlainErrors,
    TimeInput,
    long_text,
    started_at,
    typed_moment,
)
from recovery_program.once import OnceFormMixin
from recovery_program.validators import not_in_future
from recovery_program.versioning import VersionedForm
from staff.models import User

# The kinds, short enough to read whole in a pick list on a 320 px phone (the record shows the long name).
KIND_SHORT_LABELS = {
    EncounterKind.GROUP: _("Group treatment session"),
    EncounterKind.COMMUNITY: _("One-on-one in person"),
    EncounterKind.PHONE: _("Phone call or text"),
    EncounterKind.TWELVE_STEP: _("Twelve-step meeting"),
    EncounterKind.FAMILY_RESOURCE: _("Family Resource Center"),
    EncounterKind.MEDICAL: _("Medical or dental visit"),
    EncounterKind.COURT: _("Court appointment"),
    EncounterKind.OUTREACH: _("Tried to reach her"),
    EncounterKind.WARM_HANDOFF: _("Warm handoff"),
    EncounterKind.OTHER: _("Something else"),
}


def note_name(patient_id: int) -> str:
    return f"note_{patient_id}"


def _own_note(patient) -> forms.CharField:
    field = long_text(
        gettext("Her own note: %(name)s") % {"name": patient.display_name},
        required=False,
        rows=3,
        help_text=_("Only in her record. No other woman's name."),
    )
    field.widget.attrs.pop("maxlength", None)
    field.widget.attrs["data-note-for"] = str(patient.pk)
    return field


def _handed_out(label: str, most: int) -> forms.IntegerField:
    """How many of something she handed out in the encounter: empty is none."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=most,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Leave empty if none."),
    )


class EncounterForm(OnceFormMixin, NoMaxLengthMixin, PlainErrors, forms.Form):
    patients = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"data-search": _("Find a name")}),
        label=_("Who was there"),
        error_messages={"required": _("Pick at least one person who was there.")},
    )
    kind = forms.ChoiceField(
        label=_("What you did"),
        choices=[("", _("Choose one")), *KIND_SHORT_LABELS.items()],
        error_messages={"required": _("Choose what you did.")},
    )
    other_coach = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("The other coach present (warm handoff only)"),
        help_text=_("For a warm handoff: the coach who met her with you. It shows in her records too."),
        empty_label=_("No other coach"),
        widget=forms.Select(attrs={"data-handoff": "1"}),
        error_messages={"invalid_choice": _("Choose one of your program's coaches.")},
    )
    started = forms.ChoiceField(
        label=_("When did it start?"), choices=STARTED_CHOICES, widget=forms.RadioSelect, required=False
    )
    # Asked only for "Another time" (the page hides them otherwise).
    date = forms.DateField(label=_("Date"), widget=DateInput(attrs={"data-when": PICK}), required=False)
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput(attrs={"data-when": PICK}), required=False)
    duration_minutes = forms.IntegerField(
        label=_("How long (minutes)"),
        min_value=1,
        max_value=720,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("Type how long it took, in minutes, like 30.")},
    )
    summary = long_text(
        _("What happened"),
        required=False,
        help_text=_(
            "In the record of every woman on it. For a group, write about the group as a whole, with no names."
        ),
    )
    place = forms.CharField(
        label=_("Place"), max_length=200, required=False, help_text=_("For example: the clinic, a coffee shop.")
    )
    resources = forms.ModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"data-search": _("Find a resource")}),
        required=False,
        label=_("Resources you shared"),
    )
    resources_other = forms.CharField(label=_("Other resources shared"), max_length=500, required=False)
    naloxone_kits = _handed_out(_("Naloxone kits you handed out"), NALOXONE_MAX)
    test_strips = _handed_out(_("Fentanyl test strips you handed out"), TEST_STRIPS_MAX)

    def __init__(self, *args, patients, resources, coaches=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Her women are read once: the pick list is drawn from that list (the field still checks what is sent
        # against the queryset), and so is each woman's own note below.
        women = list(patients)
        picks = self.fields["patients"]
        picks.queryset = patients
        picks.widget.choices = [(ModelChoiceIteratorValue(w.pk, w), picks.label_from_instance(w)) for w in women]
        self.fields["resources"].queryset = resources
        self.fields["other_coach"].queryset = coaches if coaches is not None else User.objects.none()
        # Her own note, one per woman she may pick, after the shared one (static/js/forms.js shows only those of
        # the women ticked): in her record only.
        fields = list(self.fields.items())
        after = [name for name, _field in fields].index("summary") + 1
        notes = [(note_name(patient.pk), _own_note(patient)) for patient in women]
        self.fields = dict(fields[:after] + notes + fields[after:])

    def notes(self) -> dict[int, str]:
        """Each ticked woman's own note, by her id."""
        return {
            patient.pk: self.cleaned_data.get(note_name(patient.pk), "") for patient in self.cleaned_data["patients"]
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != EncounterKind.WARM_HANDOFF:
            cleaned["other_coach"] = None  # asked only for a warm handoff
        elif not cleaned.get("other_coach") and "other_coach" not in self.errors:
            self.add_error("other_coach", gettext("Choose the coach who met her with you."))
        # The service refuses it too (and says so next to the same field); here it is said with her other mistakes.
        ticked = cleaned.get("patients") or []
        if (
            "summary" in cleaned
            and not cleaned["summary"].strip()
            and not any(cleaned.get(note_name(patient.pk), "").strip() for patient in ticked)
        ):
            self.add_error("summary", gettext(NOTHING_WRITTEN))
        date, start = cleaned.get("date"), cleaned.get("start_time")
        choice = cleaned.get("started") or (PICK if date and start else "")
        if not choice:
            self.add_error("started", gettext("Choose when it started."))
            return cleaned
        # Counted back from now, the moment she saves: "30 minutes ago" is never when she opened the form.
        try:
            occurred_at = started_at(choice, date, start)
        except forms.ValidationError as error:
            self.add_error("start_time" if choice == PICK and date and start else "started", error)
            return cleaned
        try:
            not_in_future(occurred_at, message=_("An encounter cannot be in the future. Check the date and time."))
        except forms.ValidationError as error:
            self.add_error("date", error)
        else:
            if occurred_at < timezone.now() - datetime.timedelta(days=365):
                self.add_error("date", gettext("This is more than a year ago. Please check the date."))
        cleaned["occurred_at"] = occurred_at
        return cleaned

    def encounter_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "other_coach": data.get("other_coach"),
            "occurred_at": data["occurred_at"],
            "duration_minutes": data["duration_minutes"],
            "place": data["place"],
            "summary": data["summary"],
            "resources_other": data["resources_other"],
            "naloxone_kits": data.get("naloxone_kits") or 0,
            "test_strips": data.get("test_strips") or 0,
        }

    @classmethod
    def initial_for(cls, encounter) -> dict:
        local = timezone.localtime(encounter.occurred_at)
        return {
            "kind": encounter.kind,
            "other_coach": encounter.other_coach_id,
            "started": PICK,
            "date": local.date(),
            "start_time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": encounter.duration_minutes,
            "place": encounter.place,
            "patients": list(encounter.patients.all()),
            "summary": encounter.summary,
            **{
                note_name(note.patient_id): note.text
                for note in encounter.notes.filter(patient__in=encounter.patients.all())
            },
            "resources": list(encounter.resources.all()),
            "resources_other": encounter.resources_other,
            "naloxone_kits": encounter.naloxone_kits or None,
            "test_strips": encounter.test_strips or None,
        }


class EncounterEditForm(VersionedForm, EncounterForm):
    """Changing a saved encounter: the form carries the version it was opened at."""


class AddendumForm(OnceFormMixin, NoMaxLengthMixin, PlainErrors, forms.Form):
    text = long_text(_("Addendum"), help_text=_("It is dated and signed with your name, under the encounter."), rows=4)


class EnteredInErrorForm(PlainErrors, forms.Form):
    reason = forms.CharField(
        max_length=500, label=_("Why is it a mistake?"), help_text=_("For example: logged for the wrong patient.")
    )


class ConcernForm(OnceFormMixin, NoMaxLengthMixin, PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=None,
        label=_("About"),
        error_messages={
            "required": _("Choose who it is about."),
            "invalid_choice": _("Choose a patient of your caseload."),
        },
    )
    category = forms.ChoiceField(
        label=_("What it is about"),
        choices=ConcernCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what it is about.")},
    )
    description = long_text(
        _("What you saw or heard"),
        help_text=_("In your own words. Your supervisor decides what happens next."),
        if_empty=_("Write what you saw or heard."),
    )
    urgency = forms.ChoiceField(
        label=_("How soon should a supervisor see it?"),
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        initial=Urgency.ROUTINE,
        error_messages={"required": _("Choose how soon a supervisor should see it.")},
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class ConcernNoteForm(OnceFormMixin, NoMaxLengthMixin, PlainErrors, forms.Form):
    text = long_text(_("Note to the coach"), help_text=_("She sees this note with her concern."), rows=3)


class ConcernCloseForm(NoMaxLengthMixin, PlainErrors, forms.Form):
    reason = forms.CharField(
        max_length=500, label=_("Why close it?"), help_text=_("She sees that it is closed, not this.")
    )
    note_to_coach = long_text(
        _("Closing note to the coach"),
        required=False,
        rows=3,
        help_text=_("Optional. She sees this with her closed concern."),
    )


class ResourceForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "is_active"]
        labels = {"name": _("Name"), "kind": _("Kind"), "is_active": _("Offer it to coaches")}


# The plan's own fields, as the form and the model name them (the contacts are gathered from pairs of fields).
PLAN_FIELDS = ["warning_signs", "what_helps", "naloxone", "risk_moments", "safety_at_home", "safety_at_home_plan"]


class SafetyPlanForm(NoMaxLengthMixin, PlainErrors, forms.Form):
    """Her safety plan, in her words. The people and places she can call are pairs of fields, gathered into
    `contacts` (a list of {"name", "phone"})."""

    warning_signs = long_text(
        _("Warning signs she notices"),
        required=False,
        rows=3,
        help_text=_("In her words: what tells her things are getting hard."),
    )
    what_helps = long_text(
        _("What she says helps"),
        required=False,
        rows=3,
        help_text=_("People, places, things to do, what to tell herself."),
    )
    naloxone = forms.ChoiceField(
        label=_("Does she have naloxone (Narcan)?"),
        choices=NaloxoneAtHand.choices,
        widget=forms.RadioSelect,
        initial=NaloxoneAtHand.UNKNOWN,
        error_messages={"required": _("Choose whether she has naloxone.")},
    )
    risk_moments = forms.MultipleChoiceField(
        label=_("Times her risk of an overdose is higher"),
        choices=RiskMoment.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("After a break from using, her body cannot take what it used to."),
    )
    safety_at_home = forms.BooleanField(label=_("Safety at home is part of her plan"), required=False)
    safety_at_home_plan = long_text(
        _("Her plan if she is not safe at home"),
        required=False,
        rows=3,
        help_text=_("Where she can go, who she can call, what she keeps ready."),
    )
    reviewed_with_her = forms.BooleanField(label=_("We went over it together today"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, PLAN_CONTACTS_MAX + 1):
            self.fields[f"contact_{n}_name"] = forms.CharField(
                label=gettext("Person or place %(number)s") % {"number": n},
                max_length=100,
                required=False,
                help_text=_("For example: Dana, my sponsor."),
            )
            self.fields[f"contact_{n}_phone"] = forms.CharField(
                label=gettext("Phone number %(number)s") % {"number": n},
                max_length=32,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )

    def contact_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"contact_{n}_name"], self[f"contact_{n}_phone"]) for n in range(1, PLAN_CONTACTS_MAX + 1)]

    def clean(self):
        cleaned = super().clean()
        contacts = []
        for n in range(1, PLAN_CONTACTS_MAX + 1):
            name, phone = cleaned.get(f"contact_{n}_name", "").strip(), cleaned.get(f"contact_{n}_phone", "").strip()
            if name and not phone:
                self.add_error(f"contact_{n}_phone", gettext("Type the phone number for %(name)s.") % {"name": name})
            elif phone and not name:
                self.add_error(f"contact_{n}_name", gettext("Write who this phone number is for."))
            elif name:
                contacts.append({"name": name, "phone": phone})
        cleaned["contacts"] = contacts
        return cleaned

    def plan_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in PLAN_FIELDS} | {"contacts": data["contacts"]}

    @classmethod
    def initial_for(cls, plan) -> dict:
        initial = {
            name: getattr(plan, name)
            for name in [
                "warning_signs",
                "what_helps",
                "naloxone",
                "risk_moments",
                "safety_at_home",
                "safety_at_home_plan",
            ]
        }
        for n, contact in enumerate(plan.contacts, start=1):
            initial[f"contact_{n}_name"], initial[f"contact_{n}_phone"] = contact["name"], contact["phone"]
        return initial


class SafetyPlanEditForm(VersionedForm, SafetyPlanForm):
    """Changing her plan: the form carries the version it was opened at."""


class AppointmentFields(NoMaxLengthMixin, PlainErrors, forms.Form):
    """An appointment's day, time, kind, place and note: the day and time are read in the program's zone."""

    kind = forms.ChoiceField(
        label=_("Where to"),
        choices=[("", _("Choose one")), *AppointmentKind.choices],
        error_messages={"required": _("Choose where you are going.")},
    )
    appointment_day = forms.DateField(
        label=_("Day"), widget=DateInput(), error_messages={"required": _("Choose the day.")}
    )
    appointment_time = forms.TimeField(
        label=_("Time"), widget=TimeInput(), error_messages={"required": _("Type the time, like 14:30.")}
    )
    place = forms.CharField(
        label=_("Place"), max_length=200, required=False, help_text=_("For example: the courthouse on Main Street.")
    )
    note = forms.CharField(
        max_length=500,
        required=False,
        label=_("Note (optional)"),
        help_text=_("For you: what to bring, where to meet her."),
    )

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("appointment_day"), cleaned.get("appointment_time")
        if day and time:
            try:
                cleaned["starts_at"] = typed_moment(day, time)
            except forms.ValidationError as error:
                self.add_error("appointment_time", error)
        return cleaned

    def appointment_fields(self) -> dict:
        data = self.cleaned_data
        return {"starts_at": data["starts_at"], "kind": data["kind"], "place": data["place"], "note": data["note"]}


class AppointmentForm(OnceFormMixin, AppointmentFields):
    """An appointment she will go to with a woman of her caseload."""

    field_order = ["patient"]
    patient = forms.ModelChoiceField(
        queryset=None,
        label=_("With"),
        error_messages={
            "required": _("Choose who you are going with."),
            "invalid_choice": _("Choose a woman of your caseload."),
        },
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class AppointmentEditForm(VersionedForm, AppointmentFields):
    """Moving or correcting a planned appointment: the form carries the version it was opened at."""

    @staticmethod
    def initial_for(appointment) -> dict:
        moment = timezone.localtime(appointment.starts_at)
        return {
            "kind": appointment.kind,
            "appointment_day": moment.date(),
            "appointment_time": moment.time().replace(second=0, microsecond=0),
            "place": appointment.place,
            "note": appointment.note,
        }


class ReminderFields(NoMaxLengthMixin, PlainErrors, forms.Form):
    """A next contact she means to make: a day, a time if she wants one, and what."""

    what = forms.CharField(
        max_length=200,
        label=_("What"),
        help_text=_("For example: call her about the court date."),
        error_messages={"required": _("Write what you mean to do, like “call her”.")},
    )
    reminder_day = forms.DateField(
        label=_("Day"), widget=DateInput(), error_messages={"required": _("Choose the day.")}
    )
    reminder_time = forms.TimeField(label=_("Time (optional)"), widget=TimeInput(), required=False)

    def reminder_fields(self) -> dict:
        data = self.cleaned_data
        return {"what": data["what"], "due_on": data["reminder_day"], "due_time": data["reminder_time"]}


class ReminderForm(OnceFormMixin, ReminderFields):
    """A next contact she means to make with a woman of her caseload."""

    field_order = ["patient"]
    patient = forms.ModelChoiceField(
        queryset=None,
        label=_("With"),
        error_messages={
            "required": _("Choose who it is about."),
            "invalid_choice": _("Choose a woman of your caseload."),
        },
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class ReminderEditForm(VersionedForm, ReminderFields):
    """Moving an open reminder or saying better what it is: the form carries the version it was opened at."""

    @staticmethod
    def initial_for(reminder) -> dict:
        return {"what": reminder.what, "reminder_day": reminder.due_on, "reminder_time": reminder.due_time}


def _step_fields(what_label: str, required: bool) -> tuple[forms.CharField, forms.DateField]:
    what = forms.CharField(
        label=what_label,
        max_length=200,
        required=required,
        help_text=_("Something small she can do, like “Call the housing office”."),
    )
    due = forms.DateField(
        label=_("By when"), required=False, widget=DateInput(), help_text=_("Leave it empty if no date.")
    )
    return what, due


class RecoveryGoalForm(NoMaxLengthMixin, PlainErrors, forms.Form):
    """A goal of her recovery plan, in her words."""

    area = forms.ChoiceField(
        label=_("What it is about"),
        choices=GoalArea.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what her goal is about.")},
    )
    in_her_words = long_text(
        _("Her goal, in her words"),
        rows=3,
        help_text=_("Write it the way she says it."),
        if_empty=_("Write her goal, in her words."),
    )
    target_on = forms.DateField(
        label=_("When she hopes to get there"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave it empty if no date."),
    )

    def goal_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("area", "in_her_words", "target_on")}


class RecoveryGoalNewForm(OnceFormMixin, RecoveryGoalForm):
    """A new goal, which may carry its first step."""

    first_step, first_step_due = _step_fields(_("A first step (if she has one)"), required=False)


class RecoveryGoalEditForm(VersionedForm, RecoveryGoalForm):
    """Changing her goal: the form carries the version it was opened at; steps are added on the plan's page."""


class GoalStepForm(OnceFormMixin, PlainErrors, forms.Form):
    what, due_on = _step_fields(_("The step"), required=True)


class Barc10Form(PlainErrors, forms.Form):
    """A BARC-10 as she answers it: the day, when in her course, and each of the ten statements from 1 (strongly
    disagree) to 6 (strongly agree), a group of labelled radio buttons each."""

    taken_on = forms.DateField(label=_("The day she answered it"), widget=DateInput())
    occasion = forms.ChoiceField(
        label=_("When in her course"), choices=Barc10Occasion.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, (name, statement) in enumerate(zip(BARC10_ITEMS, BARC10_STATEMENTS, strict=True), start=1):
            self.fields[name] = forms.TypedChoiceField(
                label=f"{number}. {gettext(statement)}", choices=BARC10_SCALE, coerce=int, widget=forms.RadioSelect
            )

    def statements(self) -> list:
        return [self[name] for name in BARC10_ITEMS]

    def answers(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in BARC10_ITEMS}

    @staticmethod
    def initial_for(barc) -> dict:
        return {"taken_on": barc.taken_on, "occasion": barc.occasion} | {n: getattr(barc, n) for n in BARC10_ITEMS}


class Barc10NewForm(OnceFormMixin, Barc10Form):
    """A new BARC-10: one tap saves it once."""


class Barc10CorrectionForm(VersionedForm, Barc10Form):
    """Correcting a BARC-10 just entered: the form carries the version it was opened at."""
