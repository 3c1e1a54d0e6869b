"""The reports' choice of period and coach; the export page's choices: which list, the period, one coach or all,
the file's kind, and names or not."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recovery_program.forms import DateInput, PlainErrors
from recovery_program.models import ExportFormat, ExportKind
from staff.models import Program, User
from workspace.overview import WEEKS, week_start
from workspace.reports import Period
from workspace.services import EXPORT_LONGEST_PERIOD

LONGEST = datetime.timedelta(days=3 * 366)


class Preset:
    LAST_12_WEEKS = "weeks"
    THIS_QUARTER = "quarter"
    LAST_QUARTER = "last_quarter"
    GRANT_YEAR = "grant_year"
    CHOSEN = "dates"

    choices = [
        (LAST_12_WEEKS, gettext_lazy("The last 12 weeks")),
        (THIS_QUARTER, gettext_lazy("This quarter")),
        (LAST_QUARTER, gettext_lazy("Last quarter")),
        (GRANT_YEAR, gettext_lazy("This grant year")),
        (CHOSEN, gettext_lazy("The dates below")),
    ]


def preset_period(preset: str, today: datetime.date, program: Program) -> Period:
    """The days a preset covers, up to today: quarters are calendar quarters, the grant year starts on the first
    of the program's month."""
    quarter_start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if preset == Preset.THIS_QUARTER:
        return Period(quarter_start, today)
    if preset == Preset.LAST_QUARTER:
        last_day = quarter_start - datetime.timedelta(days=1)
        return Period(datetime.date(last_day.year, (last_day.month - 1) // 3 * 3 + 1, 1), last_day)
    if preset == Preset.GRANT_YEAR:
        month = program.grant_year_starts
        year = today.year if today.month >= month else today.year - 1
        return Period(datetime.date(year, month, 1), today)
    return Period(week_start(today) - datetime.timedelta(weeks=WEEKS - 1), today)


class ReportForm(PlainErrors, forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=Preset.choices, required=False, widget=forms.RadioSelect
    )
    start = forms.DateField(label=gettext_lazy("First day"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("Last day (included)"), required=False, widget=DateInput())
    coach = forms.ModelChoiceField(
        label=gettext_lazy("Coach"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Every coach"),
    )

    def __init__(self, data, *, coaches, today: datetime.date, program: Program):
        super().__init__(data)
        self.fields["coach"].queryset = coaches
        self.today, self.program = today, program

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("period") or (Preset.CHOSEN if cleaned.get("start") or cleaned.get("end") else "")
        if preset != Preset.CHOSEN:
            cleaned["range"] = preset_period(preset, self.today, self.program)
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" not in self.errors and start is None:
            self.add_error("start", _("Choose the first day of the period."))
        if "end" not in self.errors and end is None:
            self.add_error("end", _("Choose the last day of the period."))
        if start and start.year < 2000:
            self.add_error("start", _("The first day is in the year 2000 or later."))
        elif start and end:
            if end < start:
                self.add_error("end", _("The last day comes on or after the first day."))
            elif end > self.today:
                self.add_error("end", _("The last day is today or before: the report counts what has happened."))
            elif end - start > LONGEST:
                self.add_error("start", _("A period of three years at most."))
            else:
                cleaned["range"] = Period(start, end)


# The service refuses a longer one too (workspace.services.export_record); the form says it with her other mistakes.
LONGEST_PERIOD = EXPORT_LONGEST_PERIOD


def _year_ago() -> datetime.date:
    today = timezone.localdate()
    return today.replace(day=1) - datetime.timedelta(days=365)


class ExportForm(PlainErrors, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Which list"), choices=ExportKind.choices, widget=forms.RadioSelect)
    starts_on = forms.DateField(
        label=gettext_lazy("From"),
        widget=DateInput,
        initial=_year_ago,
        help_text=gettext_lazy("The first day included."),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("To"),
        widget=DateInput,
        initial=timezone.localdate,
        help_text=gettext_lazy("The last day included."),
    )
    coach = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("Coach"),
        empty_label=gettext_lazy("All coaches"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of your program's coaches, or all coaches.")},
    )
    file_format = forms.ChoiceField(
        label=gettext_lazy("File"), choices=ExportFormat.choices, widget=forms.RadioSelect, initial=ExportFormat.CSV
    )
    identified = forms.BooleanField(
        label=gettext_lazy("Include names, exact dates and notes"),
        required=False,
        help_text=gettext_lazy(
            "Leave this off unless you need them: without it, each woman is a code that changes with every "
            "download, and dates are months."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why you need names and dates"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed for a file with names. It is kept with the record of this download."),
    )

    def __init__(self, *args, coaches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("“To” is before “From”. Type a last day on or after the first."))
            elif ends_on - starts_on > LONGEST_PERIOD:
                self.add_error("ends_on", _("Choose a period of three years or less."))
        return cleaned
