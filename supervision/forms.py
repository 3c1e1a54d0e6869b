from __future__ import annotations

from django import forms
from django.utils import timezone

from patients.forms import DateInput


class SupervisionForm(forms.Form):
    supervisor = forms.ModelChoiceField(
        queryset=None, error_messages={"invalid_choice": "Choose a supervisor of your program."}
    )
    started_on = forms.DateField(label="From", widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args, supervisors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors
