"""The program's own settings, kept by its admins."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from recovery_program.audit import actor_from
from recovery_program.forms import PlainErrors
from staff import permissions, services
from staff.models import Program

INTERVIEW_SETTINGS = ("interview_window_starts", "interview_window_ends", "interview_target_percent")

WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]


class ProgramForm(PlainErrors, forms.ModelForm):
    office_days = forms.MultipleChoiceField(
        choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple, label=_("Days with office hours")
    )
    # A choice rather than a checkbox: a form sent without it keeps what the program has.
    supervisors_see_all = forms.TypedChoiceField(
        label=_("Which women supervisors see"),
        choices=[
            ("yes", _("Every woman of the program")),
            ("no", _("The caseloads of the coaches they supervise, their own patients and women without a coach")),
        ],
        coerce=lambda value: value == "yes",
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        help_text=_(
            "With the second, the supervisor on call can open another woman's record in an emergency "
            "(break-glass), for a limited time, and another supervisor reviews it."
        ),
    )

    class Meta:
        model = Program
        fields = [
            "time_zone",
            "office_opens",
            "office_closes",
            "office_days",
            "escalation_minutes",
            "no_contact_days",
            "caseload_cap",
            "on_call_line",
            "supervisors_see_all",
            "break_glass_minutes",
            "urgent_acknowledge_minutes",
            "grant_year_starts",
            "interview_window_starts",
            "interview_window_ends",
            "interview_target_percent",
        ]
        widgets = {
            "office_opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "office_closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "on_call_line": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        labels = {
            "time_zone": _("Time zone"),
            "office_opens": _("Office opens"),
            "office_closes": _("Office closes"),
            "escalation_minutes": _("Minutes before an unanswered urgent page goes to the next supervisor"),
            "no_contact_days": _("Days without an encounter before a patient comes up in supervision"),
            "caseload_cap": _("Most women on one coach's caseload"),
        }
        help_texts = {
            "time_zone": _(
                "Where the program works, for example America/New_York or America/Chicago. Everyone in "
                "the program types and sees times in it, and its date is their today."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["office_days"] = list(self.instance.office_days)
        self.initial["supervisors_see_all"] = "yes" if self.instance.supervisors_see_all else "no"
        # Forms sent before these settings existed (and scripts) leave them as they are.
        for name in ("break_glass_minutes", "urgent_acknowledge_minutes", "grant_year_starts", *INTERVIEW_SETTINGS):
            self.fields[name].required = False

    def _kept(self, name):
        value = self.cleaned_data[name]
        return getattr(self.instance, name) if value is None else value

    def clean_break_glass_minutes(self):
        return self._kept("break_glass_minutes")

    def clean_urgent_acknowledge_minutes(self):
        return self._kept("urgent_acknowledge_minutes")

    def clean_grant_year_starts(self):
        return self._kept("grant_year_starts")

    def clean_interview_window_starts(self):
        return self._kept("interview_window_starts")

    def clean_interview_window_ends(self):
        return self._kept("interview_window_ends")

    def clean_interview_target_percent(self):
        return self._kept("interview_target_percent")

    def clean_supervisors_see_all(self):
        value = self.cleaned_data["supervisors_see_all"]
        return self.instance.supervisors_see_all if value is None else value

    def clean_office_days(self):
        return "".join(sorted(self.cleaned_data["office_days"]))

    def clean_on_call_line(self):
        try:
            return services.on_call_line_clean(self.cleaned_data["on_call_line"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["on_call_line"]) from error

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("office_opens"), cleaned.get("office_closes")
        if opens and closes and closes <= opens:
            self.add_error("office_closes", gettext("The office closes after it opens."))
        if cleaned.get("escalation_minutes") is not None and not 1 <= cleaned["escalation_minutes"] <= 120:
            self.add_error("escalation_minutes", gettext("Between 1 and 120 minutes."))
        if cleaned.get("no_contact_days") is not None and not 1 <= cleaned["no_contact_days"] <= 90:
            self.add_error("no_contact_days", gettext("Between 1 and 90 days."))
        if cleaned.get("break_glass_minutes") is not None and not 5 <= cleaned["break_glass_minutes"] <= 720:
            self.add_error("break_glass_minutes", gettext("Between 5 and 720 minutes."))
        if cleaned.get("caseload_cap") is not None and not 1 <= cleaned["caseload_cap"] <= 100:
            self.add_error("caseload_cap", gettext("Between 1 and 100 women."))
        if (
            cleaned.get("urgent_acknowledge_minutes") is not None
            and not 1 <= cleaned["urgent_acknowledge_minutes"] <= 1440
        ):
            self.add_error("urgent_acknowledge_minutes", gettext("Between 1 and 1440 minutes (a day)."))
        if cleaned.get("grant_year_starts") is not None and not 1 <= cleaned["grant_year_starts"] <= 12:
            self.add_error("grant_year_starts", gettext("A month from 1 (January) to 12 (December)."))
        self._clean_interview_settings(cleaned)
        return cleaned

    def _clean_interview_settings(self, cleaned):
        starts, ends = cleaned.get("interview_window_starts"), cleaned.get("interview_window_ends")
        if ends is not None and not 1 <= ends <= 24:
            self.add_error("interview_window_ends", gettext("Between 1 and 24 months."))
        elif starts is not None and ends is not None and starts >= ends:
            self.add_error("interview_window_ends", gettext("The window closes after it opens."))
        target = cleaned.get("interview_target_percent")
        if target is not None and not 1 <= target <= 100:
            self.add_error("interview_target_percent", gettext("A percentage from 1 to 100."))


@require_http_methods(["GET", "POST"])
def program_settings(request):
    if not permissions.can_manage_staff(request.user):
        raise Http404
    form = ProgramForm(request.POST or None, instance=request.user.program)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.program_settings_change(actor=actor_from(request), fields=changed)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Program settings saved."))
            return redirect("staff:program")
    return render(request, "staff/program.html", {"form": form})
