"""Forms for clinical actions: they check input; they do not decide who may do what."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.models import Patient, TPOPurpose
from recovery_program.forms import DateInput, NoMaxLengthMixin, PlainErrors, TimeInput, long_text, typed_moment
from recovery_program.once import OnceFormMixin
from recovery_program.uploads import checked_document
from recovery_program.validators import not_in_future
from recovery_program.versioning import VersionedForm
from referrals.models import (
    CommunicationMethod,
    CPSReport,
    Disclosure,
    LegalBasis,
    PatientCommunication,
    Referral,
    ReferralStatus,
    ServiceAgreement,
)


def _basis_fields(data: dict) -> dict:
    """What a disclosure records of its legal basis (her consent, the emergency, the court order, the agreement, the
    IRB's approval), only what the chosen basis uses; and who received it."""
    basis = data.get("legal_basis")
    consent = data.get("consent") if basis == LegalBasis.CONSENT else None

    def text(name: str, used: bool) -> str:
        return (data.get(name) or "") if used else ""

    return {
        "legal_basis": basis,
        "consent": consent,
        "tpo_purpose": text("tpo_purpose", consent is not None and consent.is_tpo),
        "emergency_nature": text("emergency_nature", basis == LegalBasis.EMERGENCY),
        "court_order_reference": text("court_order_reference", basis == LegalBasis.COURT_ORDER),
        "agreement": data.get("agreement") if basis == LegalBasis.QSOA else None,
        "irb_approval_reference": text("irb_approval_reference", basis == LegalBasis.RESEARCH),
        "recipient_person": data.get("recipient_person") or "",
    }


def _show_rule_errors(form, *, disclosed_on: datetime.date | None, **fields) -> None:
    """Asks the 42 CFR Part 2 rule that every service applies (`Disclosure.check_legal_basis`) and shows its answer
    next to the field it is about (above the form if the form has no such field). A date the form refused is checked
    as today."""
    disclosure = Disclosure(
        patient=form.patient,
        program_id=form.patient.program_id,
        disclosed_on=disclosed_on or timezone.localdate(),
        **fields,
    )
    try:
        disclosure.check_legal_basis()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            if field not in form.errors:
                form.add_error(field if field in form.fields else None, messages)


def _tpo_purpose_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False,
        label=gettext_lazy("On a consent to treatment, payment and operations: for which"),
        choices=[("", gettext_lazy("Choose")), *TPOPurpose.choices],
    )


class DateTimeFields(PlainErrors, forms.Form):
    """A date and a time, combined into an aware datetime that cannot be in the future."""

    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput)
    time = forms.TimeField(label=gettext_lazy("Time"), widget=TimeInput)

    def combined(self, cleaned) -> datetime.datetime | None:
        if cleaned.get("date") and cleaned.get("time"):
            try:
                moment = typed_moment(cleaned["date"], cleaned["time"])
            except forms.ValidationError as error:
                self.add_error("time", error)
                return None
            try:
                not_in_future(moment, message=_("This cannot be in the future."))
            except forms.ValidationError as error:
                self.add_error("date", error)
            return moment
        return None


class RecordForm(NoMaxLengthMixin, PlainErrors, forms.ModelForm):
    """Common to the three records: the concerns it answers and who among the clinical staff acted."""

    def __init__(self, *args, concerns, staff, children=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "children" in self.fields:
            self.fields["children"].queryset = (
                children if children is not None else self.fields["children"].queryset.none()
            )
            self.fields["children"].widget = forms.CheckboxSelectMultiple(choices=self.fields["children"].choices)
            self.fields["children"].required = False
        concerns = concerns.select_related("coach")
        if "concerns" in self.fields:
            self.fields["concerns"].queryset = concerns
            self.fields["concerns"].label_from_instance = lambda concern: (
                _("%(category)s, shared %(date)s by %(coach)s (%(status)s)")
                % {
                    "category": concern.get_category_display(),
                    "date": date_format(timezone.localtime(concern.created_at), _("M d")),
                    "coach": concern.coach,
                    "status": concern.get_status_display().lower(),
                }
            )
            self.fields["concerns"].widget = forms.CheckboxSelectMultiple(choices=self.fields["concerns"].choices)
            self.fields["concerns"].required = False
        for name in ("decided_by", "made_by", "told_by"):
            if name in self.fields:
                self.fields[name].queryset = staff
                self.fields[name].error_messages["invalid_choice"] = _("Choose a supervisor of your program.")


class ReferralForm(OnceFormMixin, RecordForm):
    sends_information = forms.BooleanField(
        required=False, label=gettext_lazy("This referral sends her information to the provider")
    )
    information = forms.CharField(
        required=False, label=gettext_lazy("What is sent"), widget=forms.Textarea(attrs={"rows": 2})
    )
    purpose = forms.CharField(required=False, max_length=300, label=gettext_lazy("Purpose of sending it"))
    legal_basis = forms.ChoiceField(
        required=False,
        label=gettext_lazy("On what basis"),
        choices=[
            ("", gettext_lazy("Choose")),
            (LegalBasis.CONSENT, LegalBasis.CONSENT.label),
            (LegalBasis.EMERGENCY, gettext_lazy("A medical emergency (no consent)")),
        ],
    )
    consent = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Her consent covering this provider")
    )
    tpo_purpose = _tpo_purpose_field()
    recipient_person = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("Who received it (emergency)")
    )
    emergency_nature = forms.CharField(
        required=False, label=gettext_lazy("Nature of the emergency"), widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Referral
        fields = [
            "concerns",
            "care_type",
            "receiving_provider",
            "decided_by",
            "made_by",
            "referred_on",
            "status",
            "outcome",
        ]
        widgets = {"referred_on": DateInput, "outcome": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "concerns": gettext_lazy("Concerns it answers"),
            "receiving_provider": gettext_lazy("Receiving provider"),
            "decided_by": gettext_lazy("Decided by"),
            "made_by": gettext_lazy("Made by"),
            "status": gettext_lazy("Status"),
            "outcome": gettext_lazy("Outcome"),
        }

    def __init__(self, *args, patient: Patient, consents, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["consent"].queryset = consents
        self.fields["status"].choices = [
            (ReferralStatus.PLANNED, ReferralStatus.PLANNED.label),
            (ReferralStatus.SENT, ReferralStatus.SENT.label),
        ]

    def clean_referred_on(self):
        return not_in_future(self.cleaned_data["referred_on"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("sends_information"):
            return cleaned
        for name in ("information", "purpose", "legal_basis"):
            if not cleaned.get(name):
                self.add_error(name, _("Say this when the referral sends her information."))
        if cleaned.get("legal_basis"):
            _show_rule_errors(
                self,
                recipient=cleaned.get("receiving_provider") or "",
                disclosed_on=cleaned.get("referred_on"),
                **_basis_fields(cleaned),
            )
        return cleaned

    def disclosure_fields(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("sends_information"):
            return None
        return {"information": data["information"], "purpose": data["purpose"]} | _basis_fields(data)

    def referral_fields(self) -> dict:
        names = ["care_type", "receiving_provider", "decided_by", "made_by", "referred_on", "status", "outcome"]
        return {name: self.cleaned_data[name] for name in names}


class ReferralEditForm(VersionedForm, RecordForm):
    class Meta:
        model = Referral
        fields = ["concerns", "care_type", "receiving_provider", "decided_by", "made_by", "referred_on", "outcome"]
        widgets = ReferralForm.Meta.widgets
        labels = ReferralForm.Meta.labels

    def clean_referred_on(self):
        return not_in_future(self.cleaned_data["referred_on"])


class ReferralStatusForm(OnceFormMixin, PlainErrors, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"))
    changed_on = forms.DateField(label=gettext_lazy("On"), widget=DateInput, initial=timezone.localdate)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = referral.allowed_next_statuses()
        self.fields["status"].error_messages["invalid_choice"] = _(
            "A referral that is %(status)s cannot go back or sideways to that."
        ) % {"status": referral.get_status_display().lower()}

    def clean_changed_on(self):
        return not_in_future(self.cleaned_data["changed_on"])


class CPSReportForm(OnceFormMixin, RecordForm, DateTimeFields):
    what_was_reported = long_text(gettext_lazy("What was reported"))
    follow_up = long_text(gettext_lazy("Follow-up"), required=False, rows=3)

    class Meta:
        model = CPSReport
        fields = ["concerns", "children", "agency", "made_by", "reference_number", "what_was_reported", "follow_up"]
        labels = {
            "concerns": gettext_lazy("Concerns it answers"),
            "children": gettext_lazy("Children it concerns"),
            "agency": gettext_lazy("Agency"),
            "made_by": gettext_lazy("Made by"),
            "reference_number": gettext_lazy("Reference number"),
        }

    field_order = [
        "concerns",
        "children",
        "date",
        "time",
        "agency",
        "made_by",
        "reference_number",
        "what_was_reported",
        "follow_up",
    ]

    def clean(self):
        cleaned = super().clean()
        cleaned["made_at"] = self.combined(cleaned)
        return cleaned

    def record_fields(self) -> dict:
        data = self.cleaned_data
        return {"made_at": data["made_at"], "children": list(data.get("children") or [])} | {
            name: data[name] for name in ("agency", "made_by", "reference_number", "what_was_reported", "follow_up")
        }


class CommunicationForm(OnceFormMixin, RecordForm, DateTimeFields):
    what_was_said = long_text(gettext_lazy("What was said"))
    response = long_text(gettext_lazy("How she responded"), required=False, rows=3)

    class Meta:
        model = PatientCommunication
        fields = ["concerns", "referral", "told_by", "method", "what_was_said", "response"]
        labels = {
            "concerns": gettext_lazy("Concerns it answers"),
            "referral": gettext_lazy("About the referral (if any)"),
            "told_by": gettext_lazy("Told by"),
        }

    field_order = ["concerns", "referral", "told_by", "date", "time", "method", "what_was_said", "response"]

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals
        self.fields["method"].choices = CommunicationMethod.choices

    def clean(self):
        cleaned = super().clean()
        cleaned["told_at"] = self.combined(cleaned)
        return cleaned

    def record_fields(self) -> dict:
        data = self.cleaned_data
        return {"told_at": data["told_at"]} | {
            name: data[name] for name in ("referral", "told_by", "method", "what_was_said", "response")
        }


# Correcting a saved record: the form carries the version it was opened at.
class CPSReportEditForm(VersionedForm, CPSReportForm):
    pass


class CommunicationEditForm(VersionedForm, CommunicationForm):
    pass


class DisclosureForm(OnceFormMixin, PlainErrors, forms.Form):
    """A disclosure outside a referral or report, e.g. records sent to her obstetrician on her consent, or to a court
    under its order."""

    in_person = False

    disclosed_on = forms.DateField(label=gettext_lazy("Disclosed on"), widget=DateInput, initial=timezone.localdate)
    recipient = forms.CharField(label=gettext_lazy("Recipient"), max_length=200)
    information = forms.CharField(label=gettext_lazy("What was disclosed"), widget=forms.Textarea(attrs={"rows": 2}))
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=300)
    legal_basis = forms.ChoiceField(
        label=gettext_lazy("On what basis"),
        choices=[
            ("", gettext_lazy("Choose")),
            *((basis.value, basis.label) for basis in LegalBasis if basis != LegalBasis.MANDATED_REPORT),
        ],
    )
    consent = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("Her consent covering this recipient")
    )
    tpo_purpose = _tpo_purpose_field()
    recipient_person = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("Who received it (needed in an emergency and for an audit)")
    )
    emergency_nature = forms.CharField(
        required=False, label=gettext_lazy("Nature of the emergency"), widget=forms.Textarea(attrs={"rows": 2})
    )
    court_order_reference = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("The court order"),
        help_text=gettext_lazy("The court and its docket or order number."),
    )
    agreement = forms.ModelChoiceField(
        queryset=None, required=False, label=gettext_lazy("The qualified service organization agreement")
    )
    irb_approval_reference = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("The IRB's approval"),
        help_text=gettext_lazy("The review board and approval number."),
    )

    def __init__(self, *args, patient: Patient, consents, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["consent"].queryset = consents
        self.fields["agreement"].queryset = agreements
        self.fields["agreement"].label_from_instance = lambda agreement: f"{agreement.organization}, {agreement.dates}"

    def clean_disclosed_on(self):
        return not_in_future(self.cleaned_data["disclosed_on"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("legal_basis"):
            _show_rule_errors(
                self,
                recipient=cleaned.get("recipient") or "",
                disclosed_on=cleaned.get("disclosed_on"),
                in_person=self.in_person,
                **_basis_fields(cleaned),
            )
        return cleaned

    def disclosure_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("disclosed_on", "recipient", "information", "purpose")} | _basis_fields(
            data
        )


class InPersonDisclosureForm(DisclosureForm):
    """What a coach told someone about her in person: on her consent that names them, or in an emergency."""

    in_person = True

    recipient = forms.CharField(
        max_length=200,
        label=gettext_lazy("Who you told: the place or organization"),
        help_text=gettext_lazy("As her consent names it."),
    )
    recipient_person = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("The person you told, if you know")
    )
    information = forms.CharField(
        label=gettext_lazy("What you said about her"), widget=forms.Textarea(attrs={"rows": 2})
    )
    purpose = forms.CharField(max_length=300, label=gettext_lazy("Why you told them"))
    legal_basis = forms.ChoiceField(
        label=gettext_lazy("Why you could tell them"),
        widget=forms.RadioSelect,
        choices=[
            (LegalBasis.CONSENT, gettext_lazy("She agreed in writing (her consent)")),
            (LegalBasis.EMERGENCY, gettext_lazy("A medical emergency")),
        ],
    )
    consent = forms.ModelChoiceField(queryset=None, required=False, label=gettext_lazy("Her consent that names them"))

    field_order = [
        "disclosed_on",
        "recipient",
        "recipient_person",
        "information",
        "purpose",
        "legal_basis",
        "consent",
        "emergency_nature",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, agreements=ServiceAgreement.objects.none(), **kwargs)
        for name in ("tpo_purpose", "court_order_reference", "agreement", "irb_approval_reference"):
            del self.fields[name]
        self.fields["consent"].label_from_instance = lambda consent: (
            _("%(recipient)s (until %(ends)s)")
            % {
                "recipient": consent.recipient,
                "ends": consent.ends,
            }
        )


class AgreementForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = ServiceAgreement
        fields = ["organization", "services", "starts_on", "ends_on", "document"]
        widgets = {"starts_on": DateInput, "ends_on": DateInput}

    def clean_document(self):
        return checked_document(self.cleaned_data["document"], "agreement")

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("It cannot end before it is in force."))
        return cleaned

    def agreement_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("organization", "services", "starts_on", "ends_on")}
