from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery_program.forms import DateInput, PlainErrors, typed_moment
from recovery_program.once import OnceFormMixin
from recovery_program.validators import not_in_future
from recovery_program.versioning import VersionedForm
from supervision.models import (
    BoundaryTopic,
    DebriefKind,
    DualRelationship,
    DualRelationshipDecision,
    DualRelationshipKind,
    SessionStatus,
    SupervisionSession,
    UnavailableReason,
)


class SupervisionForm(OnceFormMixin, PlainErrors, forms.Form):
    supervisor = forms.ModelChoiceField(
        queryset=None,
        label=_("Supervisor"),
        error_messages={"invalid_choice": _("Choose a supervisor of your program.")},
    )
    started_on = forms.DateField(label=_("From"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors


DEBRIEF_LABELS = dict(DebriefKind.choices)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ProgramDateTimeField(forms.DateTimeField):
    """A date and time typed in the program's zone (active for the request), on one phone-sized picker: a time the
    clocks skip is refused, one they repeat is the first (`typed_moment`)."""

    widget = DateTimeLocalInput

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        try:
            naive = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise forms.ValidationError(
                gettext("Type a date and a time, such as 2027-03-02 17:00."), code="invalid"
            ) from None
        if naive.tzinfo is not None or not (2000 <= naive.year <= 2100):
            raise forms.ValidationError(gettext("Type a date and a time, such as 2027-03-02 17:00."), code="invalid")
        return typed_moment(naive.date(), naive.time().replace(second=0, microsecond=0))


def zone_note() -> str:
    """Says in which zone times are typed and shown: the program's (active for the request)."""
    zone = timezone.get_current_timezone_name().replace("_", " ")
    return gettext("In the program's time, %(zone)s.") % {"zone": zone}


class ShiftFields(PlainErrors, forms.Form):
    starts_at = ProgramDateTimeField(label=_("Starts"))
    ends_at = ProgramDateTimeField(label=_("Ends"))
    primary = forms.ModelChoiceField(queryset=None, label=_("Primary supervisor"))
    backup = forms.ModelChoiceField(queryset=None, label=_("Backup supervisor"))

    def __init__(self, *args, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = zone_note()
        for name in ("primary", "backup"):
            self.fields[name].queryset = supervisors
            self.fields[name].error_messages["invalid_choice"] = gettext("Choose a supervisor of your program.")

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("A shift ends after it starts."))
        if cleaned.get("primary") and cleaned.get("primary") == cleaned.get("backup"):
            self.add_error("backup", gettext("The backup must be someone else."))
        return cleaned


class ShiftForm(OnceFormMixin, ShiftFields):
    """A new shift."""


class ShiftEditForm(ShiftFields):
    """A shift's times and people: changing the primary hands the shift to her. No one-time key: it creates nothing."""

    def __init__(self, *args, shift, **kwargs):
        initial = {"starts_at": shift.starts_at, "ends_at": shift.ends_at, "primary": shift.primary_id}
        initial["backup"] = shift.backup_id
        super().__init__(*args, initial=initial, **kwargs)


class SwapForm(PlainErrors, forms.Form):
    other = forms.ModelChoiceField(
        queryset=None,
        label=_("Swap with"),
        empty_label=None,
        help_text=_("The two primaries change places; times and backups stay."),
        error_messages={"invalid_choice": _("Choose another shift of the rota.")},
    )

    # Who was the primary when the page was shown: a second tap, or a swap by someone else meanwhile, is refused
    # instead of swapping back.
    seen_primary = forms.IntegerField(label=_("Primary when shown"), widget=forms.HiddenInput)

    def __init__(self, *args, shifts, label, shift, **kwargs):
        super().__init__(*args, initial={"seen_primary": shift.primary_id}, **kwargs)
        self.fields["other"].queryset = shifts
        self.fields["other"].label_from_instance = label


class CoverForm(OnceFormMixin, PlainErrors, forms.Form):
    substitute = forms.ModelChoiceField(queryset=None, label=_("Who covers"))
    starts_at = ProgramDateTimeField(label=_("From"))
    ends_at = ProgramDateTimeField(label=_("Until"))

    def __init__(self, *args, supervisors, shift, **kwargs):
        now = timezone.now().replace(second=0, microsecond=0)
        kwargs.setdefault("initial", {"starts_at": max(shift.starts_at, now), "ends_at": shift.ends_at})
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = supervisors
        self.fields["substitute"].error_messages["invalid_choice"] = gettext("Choose a supervisor of your program.")
        self.fields["substitute"].help_text = gettext("She is the primary on call for these hours; the backup stays.")
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = zone_note()

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("A cover ends after it starts."))
        return cleaned


class UnavailabilityForm(OnceFormMixin, PlainErrors, forms.Form):
    starts_on = forms.DateField(label=_("First day"), widget=DateInput, initial=timezone.localdate)
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput, initial=timezone.localdate)
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=UnavailableReason.choices,
        widget=forms.RadioSelect,
        help_text=_("Only the kind of reason: no details are asked or kept."),
    )

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", gettext("The last day comes on or after the first."))
        return cleaned


class AgendaItemForm(OnceFormMixin, PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=None, required=False, label=_("About (optional)"), empty_label=_("Not about one patient")
    )
    text = forms.CharField(
        label=_("What you want to talk about"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Boundary questions are welcome here."),
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class CheckInForm(OnceFormMixin, PlainErrors, forms.Form):
    text = forms.CharField(
        label=_("How are you doing?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_(
            "How you are, what is weighing on you, how your own recovery supports are going. "
            "Only you and your supervisor read this."
        ),
    )


class BoundaryQuestionForm(OnceFormMixin, PlainErrors, forms.Form):
    boundary_topic = forms.ChoiceField(
        label=_("What is it about? (optional)"),
        choices=[("", _("Choose if one fits")), *BoundaryTopic.choices],
        required=False,
    )
    text = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("You do not need to name anyone: say what happened, not who."),
    )


class DualRelationshipForm(OnceFormMixin, PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=None,
        label=_("Which woman"),
        error_messages={"invalid_choice": _("Choose one of the women on your caseload.")},
    )
    kind = forms.ChoiceField(
        label=_("How you know her"), choices=DualRelationshipKind.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Anything your supervisor should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class DualRelationshipDecisionForm(VersionedForm, PlainErrors, forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("How it is handled"), choices=DualRelationshipDecision.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=_("Safeguards and reasons"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("She sees this. To keep her with this coach, write the safeguards."),
    )

    class Meta:
        model = DualRelationship
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == DualRelationshipDecision.KEEP and not (cleaned.get("notes") or "").strip():
            self.add_error("notes", gettext("Write down the safeguards she keeps with this woman."))
        return cleaned


class BoundaryAnswerForm(PlainErrors, forms.Form):
    answer = forms.CharField(
        label=_("How it was answered"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("She sees this."),
    )


class SessionForm(OnceFormMixin, PlainErrors, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput, initial=timezone.localdate)
    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=1, max_value=480, initial=60)
    status = forms.ChoiceField(choices=SessionStatus.choices, initial=SessionStatus.HELD, label=_("Did it happen?"))
    notes = forms.CharField(label=_("Notes for supervisors"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    notes_for_coach = forms.CharField(
        label=_("Notes for the coach"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("She sees these."),
    )
    agenda_done = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Her agenda items you discussed")
    )
    actions_done = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Action items now done")
    )
    debriefs_done = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Hard events you talked over with her (debrief)")
    )

    def __init__(self, *args, agenda, actions, debriefs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.debriefs = {f"{event.kind}:{event.record_id}": event for event in debriefs}
        self.fields["debriefs_done"].choices = [
            (key, f"{event.patient_name}: {DEBRIEF_LABELS.get(event.kind, event.kind)}")
            for key, event in self.debriefs.items()
        ]
        self.fields["agenda_done"].queryset = agenda
        self.fields["agenda_done"].label_from_instance = lambda item: item.text[:80]
        self.fields["actions_done"].queryset = actions
        self.fields["actions_done"].label_from_instance = lambda item: (
            gettext("%(what)s (%(owner)s, due %(due)s)")
            % {
                "what": item.what,
                "owner": item.owner,
                "due": item.due_on,
            }
        )

    def clean_held_on(self):
        return not_in_future(
            self.cleaned_data["held_on"],
            message=gettext("A session cannot be recorded for a future date."),
        )

    def clean_debriefs_done(self):
        return [self.debriefs[key] for key in self.cleaned_data["debriefs_done"]]


class SessionEditForm(VersionedForm, PlainErrors, forms.ModelForm):
    """A correction of what a session's record says about itself; its cases and action items stay as recorded."""

    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=1, max_value=480)

    class Meta:
        model = SupervisionSession
        fields = ["held_on", "minutes", "notes", "notes_for_coach"]
        widgets = {
            "held_on": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "notes_for_coach": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"held_on": _("Date"), "notes": _("Notes for supervisors")}
        help_texts = {"notes_for_coach": _("She sees these.")}

    def clean_held_on(self):
        return not_in_future(
            self.cleaned_data["held_on"],
            message=gettext("A session cannot be recorded for a future date."),
        )


class CaseReviewForm(PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(queryset=None, required=False, label=_("Patient"))
    discussion = forms.CharField(label=_("Discussion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decisions = forms.CharField(label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    shared_with_coach = forms.BooleanField(required=False, label=_("The coach sees this case's notes"))

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("discussion") or cleaned.get("decisions")) and not cleaned.get("patient"):
            self.add_error("patient", gettext("Choose the patient these notes are about."))
        return cleaned


class ActionItemForm(PlainErrors, forms.Form):
    what = forms.CharField(label=_("What"), required=False, max_length=500)
    owner = forms.ModelChoiceField(queryset=None, required=False, label=_("Who"))
    due_on = forms.DateField(required=False, widget=DateInput, label=_("Due"))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("what") and not (cleaned.get("owner") and cleaned.get("due_on")):
            self.add_error("what", gettext("Say who does it and by when."))
        return cleaned


class BreakGlassForm(OnceFormMixin, PlainErrors, forms.Form):
    """Whose record, and why: her name and date of birth are typed, so that no list of women is shown."""

    legal_name = forms.CharField(label=_("Her legal name"), max_length=200)
    date_of_birth = forms.DateField(label=_("Her date of birth"), widget=DateInput)
    reason = forms.CharField(
        label=_("Why you are opening it"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A few words: the danger, and who you could not reach. Another supervisor reads it."),
    )


class BreakGlassReviewForm(PlainErrors, forms.Form):
    note = forms.CharField(
        label=_("Your review"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Was opening it needed, and what follows from it."),
    )
