"""Forms for patients: they check and tidy what was typed; they do not decide who may do what."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from patients import services
from patients.models import (
    CareKind,
    Child,
    ChildCustody,
    Consent,
    ConsentScope,
    ExpiryEvent,
    Patient,
    Pregnancy,
    ProgramStatus,
    WithdrawalTreated,
)
from patients.services import NOT_IN_FUTURE, OUT_OF_COMPLIANCE, OVER_CAP
from recovery_program.forms import DateInput, PlainErrors
from recovery_program.once import OnceFormMixin
from recovery_program.uploads import DOCUMENT_HELP, checked_document
from recovery_program.validators import not_in_future
from recovery_program.versioning import VersionedForm


def _today() -> datetime.date:
    return timezone.localdate()


CONTACT_FIELDS = ["phone", "ok_to_leave_message", "ok_to_text", "safe_contact_notes", "preferred_language"]
IDENTITY_FIELDS = ["legal_name", "preferred_name", "date_of_birth"]
PREGNANCY_FIELDS = ["due_date", "delivery_date"]
# Labels of the fields whose model field has no verbose name (Django's label from the field name is not translated).
PATIENT_LABELS = {
    "legal_name": _("Legal name"),
    "preferred_name": _("Preferred name"),
    "date_of_birth": _("Date of birth"),
    "phone": _("Phone"),
    "safe_contact_notes": _("Safe contact notes"),
    "preferred_language": _("Preferred language"),
    "delivery_date": _("Delivery date"),
    "enrollment_date": _("Enrollment date"),
    "clinical_provider": _("Clinical provider"),
}


class PatientDatesMixin:
    """Checks of the dates of birth, pregnancy and enrollment, for the enroll and edit forms."""

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        not_in_future(born, "date of birth", message=NOT_IN_FUTURE["date of birth"])
        age = (_today() - born).days // 365
        if not 12 <= age <= 65:
            raise forms.ValidationError(
                ngettext(
                    "Please check the date of birth: she would be %(age)d year old.",
                    "Please check the date of birth: she would be %(age)d years old.",
                    age,
                )
                % {"age": age}
            )
        return born

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due and due > _today() + datetime.timedelta(weeks=43):
            raise forms.ValidationError(gettext("A due date is at most 43 weeks away. Please check the year."))
        return due

    def clean_delivery_date(self):
        delivered = self.cleaned_data.get("delivery_date")
        not_in_future(delivered, "delivery date", message=NOT_IN_FUTURE["delivery date"])
        return delivered

    def clean_enrollment_date(self):
        enrolled = self.cleaned_data.get("enrollment_date")
        not_in_future(enrolled, "enrollment date", message=NOT_IN_FUTURE["enrollment date"])
        return enrolled

    def clean(self):
        cleaned = super().clean()
        due, delivered = cleaned.get("due_date"), cleaned.get("delivery_date")
        enrolled = cleaned.get("enrollment_date") or getattr(self.instance, "enrollment_date", None)
        if due and not delivered and due < _today() - datetime.timedelta(days=30):
            self.add_error(
                "due_date",
                gettext(
                    "This due date is more than a month ago. If she has had her baby, enter the delivery date; "
                    "otherwise check the year."
                ),
            )
        if delivered and enrolled and delivered < enrolled - datetime.timedelta(days=365):
            self.add_error(
                "delivery_date",
                gettext(
                    "This delivery is more than a year before she enrolled. Record that child under Children instead."
                ),
            )
        born = cleaned.get("date_of_birth")
        if born and enrolled and enrolled < born:
            self.add_error("enrollment_date", gettext("She cannot enroll before she was born."))
        return cleaned


class CaseloadCapMixin(PlainErrors, forms.Form):
    """The confirmation an assignment past the program's caseload cap needs (patients.services.assignment_start):
    hidden until the service refuses one, then a box to tick, under the message saying how many women she would
    carry."""

    over_cap_confirmed = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label=_("Yes, assign her anyway: I have looked at this coach's load")
    )
    # Asked only when the service refuses a coach out of compliance with her required training.
    compliance_override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.HiddenInput,
        label=_("Why she may have this woman anyway (training override)"),
        help_text=_("Kept on the assignment with your name and the time."),
    )

    def ask_to_confirm(self, error) -> None:
        self.add_error(None, error)
        codes = {getattr(e, "code", None) for e in getattr(error, "error_list", [error])}
        if OVER_CAP in codes:
            self.fields["over_cap_confirmed"].widget = forms.CheckboxInput()
        if OUT_OF_COMPLIANCE in codes:
            self.fields["compliance_override_reason"].widget = forms.TextInput()


def _offer_providers(field, providers) -> None:
    field.queryset = providers
    field.empty_label = gettext("No clinical provider")


class EnrollForm(OnceFormMixin, PatientDatesMixin, CaseloadCapMixin, PlainErrors, forms.ModelForm):
    coach = forms.ModelChoiceField(
        queryset=None,
        label=_("Coach"),
        required=False,
        empty_label=_("No coach yet"),
        help_text=_("She joins this coach's caseload from her enrollment date."),
        error_messages={"invalid_choice": _("Choose one of your program's coaches.")},
    )

    class Meta:
        model = Patient
        fields = [
            *IDENTITY_FIELDS,
            *CONTACT_FIELDS,
            *PREGNANCY_FIELDS,
            "enrollment_date",
            "clinical_provider",
        ]
        widgets = {
            "date_of_birth": DateInput,
            "due_date": DateInput,
            "delivery_date": DateInput,
            "enrollment_date": DateInput,
            "safe_contact_notes": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        labels = PATIENT_LABELS
        error_messages = {
            "clinical_provider": {"invalid_choice": _("Choose one of your program's supervisors.")},
        }

    def __init__(self, *args, coaches, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches
        _offer_providers(self.fields["clinical_provider"], providers)
        self.fields["enrollment_date"].initial = _today


class PatientForm(VersionedForm, PatientDatesMixin, PlainErrors, forms.ModelForm):
    """A supervisor's edit of the whole record, but for status and coach, which have their own pages, and her due and
    delivery dates, which are her pregnancy's (the page links to it; patients.services.pregnancy_save)."""

    class Meta:
        model = Patient
        fields = [*IDENTITY_FIELDS, *CONTACT_FIELDS, "enrollment_date", "clinical_provider"]
        widgets = EnrollForm.Meta.widgets
        labels = PATIENT_LABELS
        error_messages = EnrollForm.Meta.error_messages

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        _offer_providers(self.fields["clinical_provider"], providers)


class ContactForm(VersionedForm, PlainErrors, forms.ModelForm):
    """What a coach may change: how to reach her safely."""

    class Meta:
        model = Patient
        fields = CONTACT_FIELDS
        widgets = EnrollForm.Meta.widgets
        labels = PATIENT_LABELS


# Discharge has its own page (a reason from the program's list, what is still open): the status page offers the rest.
STATUS_CHOICES = [(s.value, s.label) for s in (ProgramStatus.ACTIVE, ProgramStatus.DISCONNECTED)]


class StatusForm(OnceFormMixin, PlainErrors, forms.Form):
    status = forms.ChoiceField(
        choices=STATUS_CHOICES,
        label=_("New status"),
        help_text=_("To discharge her, use “Discharge her” on her page."),
        error_messages={"invalid_choice": _("Choose active or disconnected. To discharge her, use “Discharge her”.")},
    )
    changed_on = forms.DateField(label=_("Since"), widget=DateInput, initial=_today)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("A few words on why.")
    )
    shared_with_coach = forms.BooleanField(
        required=False,
        label=_("Her coach may read the reason"),
        help_text=_("Otherwise only the clinical staff read it; her coach sees the new status."),
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status == self.patient.status:
            raise forms.ValidationError(
                gettext("She is already %(status)s.") % {"status": ProgramStatus(status).label.lower()}
            )
        return status

    def clean_changed_on(self):
        changed_on = self.cleaned_data["changed_on"]
        not_in_future(changed_on, "date", message=NOT_IN_FUTURE["date"])
        if changed_on < self.patient.enrollment_date:
            raise forms.ValidationError(gettext("The change cannot come before she enrolled."))
        return changed_on


class AssignmentForm(OnceFormMixin, CaseloadCapMixin, PlainErrors, forms.Form):
    coach = forms.ModelChoiceField(
        queryset=None, label=_("Coach"), error_messages={"invalid_choice": _("Choose one of your program's coaches.")}
    )
    started_on = forms.DateField(label=_("From"), widget=DateInput, initial=_today)

    def __init__(self, *args, coaches, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches
        self.patient = patient

    def clean_started_on(self):
        started_on = self.cleaned_data["started_on"]
        if started_on > _today() + datetime.timedelta(days=30):
            raise forms.ValidationError(gettext("Assign a coach at most a month ahead."))
        if started_on < self.patient.enrollment_date:
            raise forms.ValidationError(gettext("A coach cannot start before she enrolled."))
        return started_on


class TransferForm(OnceFormMixin, CaseloadCapMixin, PlainErrors, forms.Form):
    coach = forms.ModelChoiceField(
        queryset=None,
        label=_("Her new coach"),
        error_messages={"invalid_choice": _("Choose one of your program's coaches.")},
    )
    handoff_note = forms.CharField(
        label=_("Handoff note for her new coach"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the new coach needs to pick up her care: her goals, what works, what to watch for."),
    )
    previous_coach_note = forms.CharField(
        label=_("What her coach until now wants to pass on (optional)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Talk with her coach and write it down here; she loses access to the record with the transfer."),
    )

    def __init__(self, *args, coaches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches


class EndAssignmentForm(PlainErrors, forms.Form):
    ended_on = forms.DateField(label=_("Last day with her coach"), widget=DateInput, initial=_today)
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("For example: the coach left the program."))
    shared_with_coach = forms.BooleanField(
        required=False,
        label=_("Coaches may read the reason"),
        help_text=_("Otherwise only the clinical staff read it; coaches see the dates."),
    )

    def clean_ended_on(self):
        ended_on = self.cleaned_data["ended_on"]
        not_in_future(ended_on, "date", message=NOT_IN_FUTURE["date"])
        return ended_on


class SignedFormField(forms.FileField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("The signed form"),
            help_text=format_lazy("{} {}", DOCUMENT_HELP, _("A photo of it will do.")),
            **kwargs,
        )


class ConsentForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    signed_form = SignedFormField(required=False)

    class Meta:
        model = Consent
        fields = ["scope", "recipient", "purpose", "information_scope", "signed_on", "expires_on", "expiry_event"]
        widgets = {
            "signed_on": DateInput,
            "expires_on": DateInput,
            "information_scope": forms.Textarea(attrs={"rows": 3}),
            "scope": forms.RadioSelect,
        }
        labels = {
            "recipient": _("Recipient"),
            "purpose": _("Purpose"),
            "signed_on": _("Signed on"),
            "expires_on": _("Expires on"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry_event"].choices = [("", gettext("No event: it ends on its date")), *ExpiryEvent.choices]
        self.fields["scope"].required = False  # left unchosen, it names one recipient, as every consent did before

    def clean_scope(self):
        return self.cleaned_data.get("scope") or ConsentScope.NAMED

    def clean_signed_form(self):
        upload = self.cleaned_data.get("signed_form")
        return checked_document(upload, "signed-consent") if upload else None

    def consent_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean_signed_on(self):
        signed_on = self.cleaned_data["signed_on"]
        not_in_future(signed_on, "signing date", message=NOT_IN_FUTURE["signing date"])
        return signed_on

    def clean(self):
        cleaned = super().clean()
        signed, expires = cleaned.get("signed_on"), cleaned.get("expires_on")
        if not expires and not cleaned.get("expiry_event"):
            self.add_error("expires_on", gettext("A consent must say when it ends: give a date or an event."))
        if signed and expires and expires < signed:
            self.add_error("expires_on", gettext("It cannot expire before it was signed."))
        return cleaned


class SignedConsentForm(OnceFormMixin, PlainErrors, forms.Form):
    signed_form = SignedFormField()

    def clean_signed_form(self):
        return checked_document(self.cleaned_data["signed_form"], "signed-consent")


class ConsentRevokeForm(PlainErrors, forms.Form):
    revoked_on = forms.DateField(label=_("Revoked on"), widget=DateInput, initial=_today)

    def __init__(self, *args, consent: Consent, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent = consent

    def clean_revoked_on(self):
        revoked_on = self.cleaned_data["revoked_on"]
        not_in_future(revoked_on, "date", message=NOT_IN_FUTURE["date"])
        if revoked_on < self.consent.signed_on:
            raise forms.ValidationError(gettext("It cannot be revoked before it was signed."))
        return revoked_on


class ChildForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = Child
        fields = ["first_name", "date_of_birth", "birth_year", "lives_with_patient", "next_court_date", "visitation"]
        widgets = {
            "date_of_birth": DateInput,
            "next_court_date": DateInput,
            "visitation": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"first_name": _("First name"), "date_of_birth": _("Date of birth")}
        help_texts = {"birth_year": _("Only if the date of birth is not known.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_year"].required = False

    def clean_birth_year(self):
        year = self.cleaned_data["birth_year"]
        if year is not None and not 1950 <= year <= _today().year:
            raise forms.ValidationError(
                gettext("Enter a year between %(first)d and %(last)d.") % {"first": 1950, "last": _today().year}
            )
        return year

    def clean(self):
        cleaned = super().clean()
        born = cleaned.get("date_of_birth")
        if born is not None:
            cleaned["birth_year"] = born.year  # the year is the date's
        elif cleaned.get("birth_year") is None and "date_of_birth" not in self.errors:
            self.add_error("date_of_birth", gettext("Enter the child's date of birth, or at least the year."))
        return cleaned


class ChildCustodyForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = ChildCustody
        fields = ["custody", "cps", "cps_opened_on", "cps_closed_on"]
        widgets = {"cps_opened_on": DateInput, "cps_closed_on": DateInput}

    def clean(self):
        cleaned = super().clean()
        for name, message in services.custody_errors(cleaned).items():
            self.add_error(name, message)
        return cleaned


class PregnancyForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = Pregnancy
        fields = [
            "due_date",
            "prenatal_care",
            "prenatal_care_where",
            "moud",
            "delivery_date",
            "gestational_weeks",
            "birth_weight_grams",
            "infant_withdrawal",
            "safe_care_plan",
            "safe_care_with",
            "safe_care_on",
        ]
        widgets = {"due_date": DateInput, "delivery_date": DateInput, "safe_care_on": DateInput}
        labels = {"delivery_date": _("Delivery date")}
        help_texts = {
            "delivery_date": _("Once she has delivered; then what is known of the birth."),
            "safe_care_with": _("For example the hospital social worker, or her prenatal clinic."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["infant_withdrawal"].choices = [("", gettext("Not recorded yet")), *WithdrawalTreated.choices]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("due_date") is None:
            return cleaned
        named = {name: cleaned.get(name) for name in self.Meta.fields if name not in self.errors}
        draft = Pregnancy(**{name: value for name, value in named.items() if value is not None})
        for name, message in services.pregnancy_errors(draft, _today()).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned


class CoverForm(OnceFormMixin, PlainErrors, forms.Form):
    covered = forms.ModelChoiceField(
        queryset=None, label=_("Coach who is away"), error_messages={"invalid_choice": _("Choose one of your coaches.")}
    )
    covering = forms.ModelChoiceField(
        queryset=None, label=_("Coach who covers"), error_messages={"invalid_choice": _("Choose one of your coaches.")}
    )
    starts_on = forms.DateField(label=_("First day"), widget=DateInput, initial=_today)
    ends_on = forms.DateField(
        label=_("Last day"), widget=DateInput, help_text=_("She covers until the end of this day.")
    )

    def __init__(self, *args, coaches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["covered"].queryset = coaches
        self.fields["covering"].queryset = coaches


class DischargeReasonForm(PlainErrors, forms.Form):
    label = forms.CharField(label=_("New wording"), max_length=100)


class DischargeReasonAddForm(OnceFormMixin, PlainErrors, forms.Form):
    label = forms.CharField(
        label=_("A new reason"), max_length=100, help_text=_("As it should be offered at discharge.")
    )


class DischargeForm(PlainErrors, forms.Form):
    """Why she leaves (from the program's list), her last day, a short summary, and for each item still open
    about her whether it is closed now or carried (left open, noted on the discharge)."""

    reason = forms.ModelChoiceField(
        queryset=None,
        label=_("Why she leaves"),
        empty_label=_("Choose a reason"),
        error_messages={"invalid_choice": _("Choose one of the program's reasons.")},
    )
    ended_on = forms.DateField(label=_("Her last day in the program"), widget=DateInput, initial=_today)
    summary = forms.CharField(
        label=_("A short summary of her time in the program"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the clinical staff: what she worked on, where she goes from here."),
    )

    def __init__(self, *args, reasons, open_items, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = reasons
        self.patient = patient
        self.open_items = open_items
        for item in open_items:
            self.fields[item.field] = forms.ChoiceField(
                label=item.label,
                choices=[("carry", gettext("Carry it: leave it open")), ("close", gettext("Close it now"))],
                initial="carry",
                widget=forms.RadioSelect,
            )

    def clean_ended_on(self):
        ended_on = self.cleaned_data["ended_on"]
        not_in_future(ended_on, "last day", message=NOT_IN_FUTURE["last day"])
        return ended_on

    def closing(self) -> set[str]:
        return {item.field for item in self.open_items if self.cleaned_data.get(item.field) == "close"}


class ReenrollForm(OnceFormMixin, PlainErrors, forms.Form):
    started_on = forms.DateField(
        label=_("She comes back on"),
        widget=DateInput,
        initial=_today,
        help_text=_("Her new time in the program starts with a new consent: record it next."),
    )

    def clean_started_on(self):
        started_on = self.cleaned_data["started_on"]
        not_in_future(started_on, "date", message=NOT_IN_FUTURE["date"])
        return started_on


class HigherCareForm(OnceFormMixin, PlainErrors, forms.Form):
    kind = forms.ChoiceField(
        label=_("Where she went"),
        choices=CareKind.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose where she went.")},
    )
    started_on = forms.DateField(label=_("She went on"), widget=DateInput, initial=_today)
    expected_return_on = forms.DateField(
        label=_("Expected back"), widget=DateInput, required=False, help_text=_("Leave empty if nobody knows yet.")
    )

    def clean_started_on(self):
        started_on = self.cleaned_data["started_on"]
        not_in_future(started_on, "date she went", message=NOT_IN_FUTURE["date she went"])
        return started_on

    def clean(self):
        cleaned = super().clean()
        went, back = cleaned.get("started_on"), cleaned.get("expected_return_on")
        if went and back and back < went:
            self.add_error("expected_return_on", gettext("She is expected back after she went: check the dates."))
        return cleaned


class HigherCareEndForm(PlainErrors, forms.Form):
    ended_on = forms.DateField(label=_("She came back on"), widget=DateInput, initial=_today)

    def clean_ended_on(self):
        ended_on = self.cleaned_data["ended_on"]
        not_in_future(ended_on, "date she came back", message=NOT_IN_FUTURE["date she came back"])
        return ended_on
