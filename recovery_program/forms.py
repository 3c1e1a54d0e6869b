"""Form pieces every app's forms share: date and time inputs, a typed date and time read in the program's zone,
"when did it start?", and long free text."""

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


# "When did it start?": the answers, in minutes before the moment she saves, or a date and time she types.
PICK = "pick"
STARTED_CHOICES = [("0", "Now"), ("30", "30 minutes ago"), ("60", "1 hour ago"), (PICK, "Another time")]


def started_at(choice: str, date: datetime.date | None = None, time: datetime.time | None = None) -> datetime.datetime:
    """The moment an answer to "when did it start?" means.

    "30 minutes ago" counts back from now, the moment she saves (not the moment the form was opened), in real
    minutes, so a change of the clocks in between does not move it. "Another time" is the date and time she
    typed, read in her program's zone (`typed_moment`).
    """
    if choice == PICK:
        if date is None or time is None:
            raise forms.ValidationError("Type the date and the time it started.")
        return typed_moment(date, time)
    minutes = dict(STARTED_CHOICES)
    if choice not in minutes:
        raise forms.ValidationError("Choose when it started.")
    return timezone.now() - datetime.timedelta(minutes=int(choice))
