"""The form that records one of her grant interviews. The rules are the service's (grant_interview_record)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patients.models import InterviewKind, InterviewOutcome
from recovery_program.forms import DateInput, PlainErrors
from recovery_program.once import OnceFormMixin
from recovery_program.versioning import VersionedForm


def _today() -> datetime.date:
    return timezone.localdate()


class GrantInterviewForm(OnceFormMixin, PlainErrors, forms.Form):
    kind = forms.ChoiceField(
        label=_("Which interview"),
        choices=InterviewKind.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose which interview."), "required": _("Choose which interview.")},
    )
    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=InterviewOutcome.choices,
        initial=InterviewOutcome.DONE,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose what happened."), "required": _("Choose what happened.")},
    )
    dated_on = forms.DateField(
        label=_("Date"), widget=DateInput, initial=_today, help_text=_("The day of the interview, or of the last try.")
    )
    outside_window = forms.BooleanField(
        label=_("The follow-up was done outside her window"),
        required=False,
        help_text=_("It is kept, and not counted in the program's follow-up rate."),
    )

    def __init__(self, *args, kinds: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = kinds
            if len(kinds) == 1:
                self.fields["kind"].initial = kinds[0][0]


class GrantInterviewCorrectForm(VersionedForm):
    """A supervisor's correction of a recorded interview: its date, what happened, the window box, and why."""

    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=InterviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose what happened."), "required": _("Choose what happened.")},
    )
    dated_on = forms.DateField(
        label=_("Date"), widget=DateInput, help_text=_("The day of the interview, or of the last try.")
    )
    outside_window = forms.BooleanField(
        label=_("The follow-up was done outside her window"),
        required=False,
        help_text=_("It is kept, and not counted in the program's follow-up rate."),
    )
    reason = forms.CharField(
        label=_("Why it is corrected"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Other supervisors see this with the correction."),
        error_messages={"required": _("Say why it is corrected.")},
    )
