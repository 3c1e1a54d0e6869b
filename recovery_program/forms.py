"""Form pieces every app's forms share: date and time inputs, a typed date and time read in the program's zone,
"when did it start?", long free text, and plain error messages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Free text is generous, but not unbounded.
MAX_TEXT = 20_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def long_text(
    label: str, *, help_text: str = "", rows: int = 5, required: bool = True, if_empty: str | None = None
) -> forms.CharField:
    """Free text up to MAX_TEXT characters. No maxlength in the page: a longer paste is kept and explained.
    `if_empty`: what to tell her when it is required and left empty (otherwise PlainErrors' "Fill in …")."""
    field = forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "max_length": gettext_lazy(
                "This is longer than %(limit_value)d characters (it has %(show_value)d). "
                "Please shorten it: your text is still here."
            ),
            **({"required": if_empty} if if_empty else {}),
        },
    )
    return field


class NoMaxLengthMixin:
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
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
            _("There is no %(time)s on %(day)s: the clocks skipped that hour. Check the time.")
            % {"time": f"{time:%H:%M}", "day": date_format(date, _("M j"))}
        )
    return moment


# "When did it start?": the answers, in minutes before the moment she saves, or a date and time she types.
PICK = "pick"
STARTED_CHOICES = [
    ("0", gettext_lazy("Now")),
    ("30", gettext_lazy("30 minutes ago")),
    ("60", gettext_lazy("1 hour ago")),
    (PICK, gettext_lazy("Another time")),
]


def started_at(choice: str, date: datetime.date | None = None, time: datetime.time | None = None) -> datetime.datetime:
    """The moment an answer to "when did it start?" means.

    "30 minutes ago" counts back from now, the moment she saves (not the moment the form was opened), in real
    minutes, so a change of the clocks in between does not move it. "Another time" is the date and time she
    typed, read in her program's zone (`typed_moment`).
    """
    if choice == PICK:
        if date is None or time is None:
            raise forms.ValidationError(_("Type the date and the time it started."))
        return typed_moment(date, time)
    minutes = dict(STARTED_CHOICES)
    if choice not in minutes:
        raise forms.ValidationError(_("Choose when it started."))
    return timezone.now() - datetime.timedelta(minutes=int(choice))


def _example_date() -> str:
    return f"{timezone.localdate():%m/%d/%Y}"


def _with_limit(message: str, named: str) -> str:
    """A message that Django fills in later with the field's limit (%(limit_value)d...), with the field named now."""
    return message.replace("%(field)s", named)


def _plain(field: forms.Field, label: str) -> dict[str, str]:
    """What to say instead of Django's generic messages for this kind of field, naming its label."""
    named = f"“{label}”"
    field_named = {"field": named}
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        return {
            "required": _("Pick at least one for %(field)s.") % field_named,
            "invalid_choice": _("One of the choices for %(field)s is no longer offered. Pick again.") % field_named,
            "invalid_list": _("Pick again for %(field)s.") % field_named,
            "invalid_pk_value": _("Pick again for %(field)s.") % field_named,
        }
    if isinstance(field, forms.ModelChoiceField | forms.ChoiceField):
        return {
            "required": _("Choose one for %(field)s.") % field_named,
            "invalid_choice": _("That choice for %(field)s is no longer offered. Choose another.") % field_named,
        }
    if isinstance(field, forms.DateTimeField):
        message = _("Type a date and time in %(field)s, like %(example)s 2:30 PM.") % {
            "field": named,
            "example": _example_date(),
        }
        return {"required": message, "invalid": message}
    if isinstance(field, forms.DateField):
        message = _("Type a date in %(field)s, like %(example)s.") % {"field": named, "example": _example_date()}
        return {"required": message, "invalid": message}
    if isinstance(field, forms.TimeField):
        message = _("Type a time in %(field)s, like 2:30 PM.") % field_named
        return {"required": message, "invalid": message}
    if isinstance(field, forms.IntegerField):  # DecimalField and FloatField too
        if type(field) is forms.IntegerField:
            required = _("Type a whole number in %(field)s.") % field_named
            invalid = _("Type a whole number in %(field)s, in digits.") % field_named
        else:
            required = _("Type a number in %(field)s.") % field_named
            invalid = _("Type a number in %(field)s, in digits.") % field_named
        return {
            "required": required,
            "invalid": invalid,
            "max_value": _with_limit(_("Type a number no larger than %(limit_value)s in %(field)s."), named),
            "min_value": _with_limit(_("Type a number no smaller than %(limit_value)s in %(field)s."), named),
            "max_digits": _("Type a shorter number in %(field)s.") % field_named,
            "max_decimal_places": _with_limit(_("Type at most %(max)s digits after the point in %(field)s."), named),
            "max_whole_digits": _("Type a shorter number in %(field)s.") % field_named,
        }
    if isinstance(field, forms.EmailField):
        return {
            "required": _("Type an e-mail address in %(field)s.") % field_named,
            "invalid": _("Type an e-mail address with an @ in it, like name@example.org."),
        }
    if isinstance(field, forms.FileField):
        return {
            "required": _("Choose a file for %(field)s.") % field_named,
            "empty": _("The file for %(field)s is empty. Choose another.") % field_named,
            "invalid": _("The file for %(field)s could not be read. Choose it again.") % field_named,
            "missing": _("The file for %(field)s did not arrive. Choose it again.") % field_named,
        }
    if isinstance(field, forms.BooleanField):
        return {"required": _("Tick %(field)s to go on.") % field_named}
    return {
        "required": _("Fill in %(field)s.") % field_named,
        "max_length": _with_limit(
            _("Shorten %(field)s to %(limit_value)d characters or fewer (it has %(show_value)d)."), named
        ),
        "min_length": _with_limit(
            _("Type at least %(limit_value)d characters for %(field)s (it has %(show_value)d)."), named
        ),
    }


def _defaults(field: forms.Field, key: str) -> set[str]:
    """Django's own messages for this key (not those of our fields, such as the one-time key's)."""
    return {
        str(messages[key])
        for klass in type(field).__mro__
        if klass.__module__.startswith("django.") and key in (messages := getattr(klass, "default_error_messages", {}))
    }


class PlainErrors:
    """Every form's messages say what to do, naming the field ("Choose one for “Category”."), instead of Django's
    generic "This field is required.". A message a form gives a field itself is kept. Applied when the form is
    checked, so labels and fields set in a form's own __init__ count. `tests/recovery_program/test_errors.py`
    holds every form to it."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            label = str(field.label or pretty_name(name)).rstrip(":")
            for key, message in _plain(field, label).items():
                # Absent: a validator's message (length, limits), which the field's own messages override.
                if key not in field.error_messages or str(field.error_messages[key]) in _defaults(field, key):
                    field.error_messages[key] = message
        super().full_clean()  # type: ignore[misc]

    def refuse(self, error: forms.ValidationError) -> None:
        """Shows what a service refused next to the field it names (or above the form), keeping what was typed."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)  # type: ignore[attr-defined]
        else:
            self.add_error(None, error)  # type: ignore[attr-defined]
