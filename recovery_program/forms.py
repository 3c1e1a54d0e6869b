"""Form pieces every app's forms share: date and time inputs, a typed date and time read in the program's zone,
and long free text."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

# Free text is generous, but not unbounded.
MAX_TEXT = 20_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def long_text(label: str, *, help_text: str = "", rows: int = 5, required: bool = True) -> forms.CharField:
    """Free text up to MAX_TEXT characters. No maxlength in the page: a longer paste is kept and explained."""
    field = forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "max_length": "This is longer than %(limit_value)d characters (it has %(show_value)d). "
            "Please shorten it: your text is still here."
        },
    )
    return field


class NoMaxLengthMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)


def typed_moment(date: datetime.date, time: datetime.time) -> datetime.datetime:
    """The moment a date and a time typed on her page mean, in her program's zone (active for the request).

    A time the clocks skip when they go forward is refused; one they repeat when they go back is the first.
    """
    zone = timezone.get_current_timezone()
    moment = datetime.datetime.combine(date, time, tzinfo=zone)
    if moment.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise forms.ValidationError(
            f"There is no {time:%H:%M} on {date:%b} {date.day}: the clocks skipped that hour. Check the time."
        )
    return moment
