from __future__ import annotations

from django import forms
from django.utils import timezone

from recovery_program.forms import DateInput, PlainErrors
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
)


class SupervisionForm(OnceFormMixin, PlainErrors, forms.Form):
    supervisor = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Choose a supervisor of your program."}
    )
    started_on = forms.DateField(label="From", widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors


DEBRIEF_LABELS = dict(DebriefKind.choices)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ShiftForm(OnceFormMixin, PlainErrors, forms.Form):
    starts_at = forms.DateTimeField(label="Starts", widget=DateTimeLocalInput)
    ends_at = forms.DateTimeField(label="Ends", widget=DateTimeLocalInput)
    primary = forms.ModelChoiceField(queryset=None, label="Primary supervisor")
    backup = forms.ModelChoiceField(queryset=None, label="Backup supervisor")

    def __init__(self, *args, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("primary", "backup"):
            self.fields[name].queryset = supervisors
            self.fields[name].error_messages["invalid_choice"] = "Choose a supervisor of your program."

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "A shift ends after it starts.")
        if cleaned.get("primary") and cleaned.get("primary") == cleaned.get("backup"):
            self.add_error("backup", "The backup must be someone else.")
        return cleaned


class AgendaItemForm(OnceFormMixin, PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=None, required=False, label="About (optional)", empty_label="Not about one patient"
    )
    text = forms.CharField(
        label="What you want to talk about",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="Boundary questions are welcome here.",
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class CheckInForm(OnceFormMixin, PlainErrors, forms.Form):
    text = forms.CharField(
        label="How are you doing?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text="How you are, what is weighing on you, how your own recovery supports are going. "
        "Only you and your supervisor read this.",
    )


class BoundaryQuestionForm(OnceFormMixin, PlainErrors, forms.Form):
    boundary_topic = forms.ChoiceField(
        label="What is it about? (optional)",
        choices=[("", "Choose if one fits"), *BoundaryTopic.choices],
        required=False,
    )
    text = forms.CharField(
        label="Your question",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="You do not need to name anyone: say what happened, not who.",
    )


class DualRelationshipForm(OnceFormMixin, PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(
        queryset=None,
        label="Which woman",
        error_messages={"invalid_choice": "Choose one of the women on your caseload."},
    )
    kind = forms.ChoiceField(label="How you know her", choices=DualRelationshipKind.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label="Anything your supervisor should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients


class DualRelationshipDecisionForm(VersionedForm, PlainErrors, forms.ModelForm):
    decision = forms.ChoiceField(
        label="How it is handled", choices=DualRelationshipDecision.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label="Safeguards and reasons",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="She sees this. To keep her with this coach, write the safeguards.",
    )

    class Meta:
        model = DualRelationship
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == DualRelationshipDecision.KEEP and not (cleaned.get("notes") or "").strip():
            self.add_error("notes", "Write down the safeguards she keeps with this woman.")
        return cleaned


class BoundaryAnswerForm(PlainErrors, forms.Form):
    answer = forms.CharField(
        label="How it was answered",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="She sees this.",
    )


class SessionForm(OnceFormMixin, PlainErrors, forms.Form):
    held_on = forms.DateField(label="Date", widget=DateInput, initial=timezone.localdate)
    minutes = forms.IntegerField(label="Length (minutes)", min_value=1, max_value=480, initial=60)
    status = forms.ChoiceField(choices=SessionStatus.choices, initial=SessionStatus.HELD, label="Did it happen?")
    notes = forms.CharField(label="Notes for supervisors", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    notes_for_coach = forms.CharField(
        label="Notes for the coach",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="She sees these.",
    )
    agenda_done = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Her agenda items you discussed"
    )
    actions_done = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Action items now done"
    )
    debriefs_done = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Hard events you talked over with her (debrief)"
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
        self.fields["actions_done"].label_from_instance = lambda item: f"{item.what} ({item.owner}, due {item.due_on})"

    def clean_held_on(self):
        return not_in_future(self.cleaned_data["held_on"], message="A session cannot be recorded for a future date.")

    def clean_debriefs_done(self):
        return [self.debriefs[key] for key in self.cleaned_data["debriefs_done"]]


class SessionEditForm(VersionedForm, PlainErrors, forms.ModelForm):
    """A correction of what a session's record says about itself; its cases and action items stay as recorded."""

    minutes = forms.IntegerField(label="Length (minutes)", min_value=1, max_value=480)

    class Meta:
        model = SupervisionSession
        fields = ["held_on", "minutes", "notes", "notes_for_coach"]
        widgets = {
            "held_on": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "notes_for_coach": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"held_on": "Date", "notes": "Notes for supervisors"}
        help_texts = {"notes_for_coach": "She sees these."}

    def clean_held_on(self):
        return not_in_future(self.cleaned_data["held_on"], message="A session cannot be recorded for a future date.")


class CaseReviewForm(PlainErrors, forms.Form):
    patient = forms.ModelChoiceField(queryset=None, required=False, label="Patient")
    discussion = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decisions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    shared_with_coach = forms.BooleanField(required=False, label="The coach sees this case's notes")

    def __init__(self, *args, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("discussion") or cleaned.get("decisions")) and not cleaned.get("patient"):
            self.add_error("patient", "Choose the patient these notes are about.")
        return cleaned


class ActionItemForm(PlainErrors, forms.Form):
    what = forms.CharField(required=False, max_length=500)
    owner = forms.ModelChoiceField(queryset=None, required=False, label="Who")
    due_on = forms.DateField(required=False, widget=DateInput, label="Due")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("what") and not (cleaned.get("owner") and cleaned.get("due_on")):
            self.add_error("what", "Say who does it and by when.")
        return cleaned
