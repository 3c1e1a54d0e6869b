"""The export page's choices: which list, the period, one coach or all, the file's kind, and names or not."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from recovery_program.forms import DateInput, PlainErrors
from recovery_program.models import ExportFormat, ExportKind

# A longer period is refused: a file past a few years is not a list anyone reads.
LONGEST_PERIOD = datetime.timedelta(days=3 * 366)


def _year_ago() -> datetime.date:
    today = timezone.localdate()
    return today.replace(day=1) - datetime.timedelta(days=365)


class ExportForm(PlainErrors, forms.Form):
    kind = forms.ChoiceField(label="Which list", choices=ExportKind.choices, widget=forms.RadioSelect)
    starts_on = forms.DateField(label="From", widget=DateInput, initial=_year_ago, help_text="The first day included.")
    ends_on = forms.DateField(
        label="To", widget=DateInput, initial=timezone.localdate, help_text="The last day included."
    )
    coach = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Coach",
        empty_label="All coaches",
        error_messages={"invalid_choice": "Choose one of your program's coaches, or all coaches."},
    )
    file_format = forms.ChoiceField(
        label="File", choices=ExportFormat.choices, widget=forms.RadioSelect, initial=ExportFormat.CSV
    )
    identified = forms.BooleanField(
        label="Include names, exact dates and notes",
        required=False,
        help_text="Leave this off unless you need them: without it, each woman is a code that changes with every "
        "download, and dates are months.",
    )
    reason = forms.CharField(
        label="Why you need names and dates",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a file with names. It is kept with the record of this download.",
    )

    def __init__(self, *args, coaches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", "“To” is before “From”. Type a last day on or after the first.")
            elif ends_on - starts_on > LONGEST_PERIOD:
                self.add_error("ends_on", "Choose a period of three years or less.")
        return cleaned
