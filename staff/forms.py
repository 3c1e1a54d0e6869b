from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recovery_program.forms import DateInput, PlainErrors
from recovery_program.once import OnceFormMixin
from recovery_program.uploads import DOCUMENT_HELP, checked_document
from recovery_program.validators import not_in_future
from staff.models import TrainingKind, TrainingRecord, TrainingRequirement, User
from staff.roles import CLINICAL_ROLES, Role
from staff.training import default_expiry


class LoginForm(PlainErrors, AuthenticationForm):
    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = gettext("Type your username or e-mail address.")
        self.fields["password"].error_messages["required"] = gettext("Type your password.")

    error_messages = {
        "invalid_login": _("That username or e-mail and password don't match. Please try again."),
        "inactive": _("This account is no longer active. Please ask your program's admin."),
    }


class OwnPasswordChangeForm(PlainErrors, PasswordChangeForm):
    """Django's, with plain messages."""


class NewPasswordForm(PlainErrors, SetPasswordForm):
    """Django's, with plain messages: setting a password from the link in an e-mail."""


class PasswordAskForm(PlainErrors, forms.Form):
    typed = forms.CharField(
        label=_("Your username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Type your username or the e-mail address your program has for you.")},
    )


class StaffForm(PlainErrors, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "username", "email", "phone", "start_date"]
        widgets = {"start_date": DateInput, "phone": forms.TextInput(attrs={"type": "tel"})}
        labels = {"phone": _("Phone"), "start_date": _("Start date")}
        help_texts = {"username": _("What she types to log in, with her password. Letters, digits and @/./+/-/_ only.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(gettext("Another account already uses this e-mail address."))
        return email

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(gettext("This username is taken."))
        return username


class NewStaffForm(OnceFormMixin, StaffForm):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class RoleForm(OnceFormMixin, PlainErrors, forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices,
        label=_("New role"),
        help_text=_("Coach or supervisor: a supervisor of the program approves it first. Admin: at once."),
    )


class ProposeRoleForm(OnceFormMixin, PlainErrors, forms.Form):
    role = forms.ChoiceField(
        choices=[(role.value, role.label) for role in Role if role in CLINICAL_ROLES],
        label=_("Propose a role"),
        help_text=_("An admin of the program approves it; her role changes then."),
    )


class TrainingRecordForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["kind", "completed_on", "hours", "provider", "expires_on", "certificate"]
        widgets = {"completed_on": DateInput, "expires_on": DateInput}
        labels = {
            "kind": _("Kind"),
            "completed_on": _("Completed on"),
            "hours": _("Hours"),
            "provider": _("Provider"),
            "expires_on": _("Expires on"),
            "certificate": _("Certificate"),
        }
        help_texts = {
            "expires_on": _("Leave blank to use the usual validity of this kind of training."),
            "certificate": DOCUMENT_HELP,
            "hours": _("Hours of training, from 0 to 100."),
        }

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = kinds.filter(is_active=True)
        self.fields["kind"].error_messages["invalid_choice"] = gettext(
            "Choose one of your program's kinds of training."
        )

    def clean_completed_on(self):
        return not_in_future(
            self.cleaned_data["completed_on"], message=gettext("The completion date cannot be in the future.")
        )

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is None or hours < 0 or hours > 100:
            raise forms.ValidationError(gettext("Hours must be between 0 and 100 for one record."))
        return hours

    def clean_certificate(self):
        upload = self.cleaned_data.get("certificate")
        return checked_document(upload, "certificate") if upload else upload

    def clean(self):
        cleaned = super().clean()
        kind, completed_on = cleaned.get("kind"), cleaned.get("completed_on")
        if kind and completed_on and not cleaned.get("expires_on"):
            cleaned["expires_on"] = default_expiry(kind, completed_on)
        expires_on = cleaned.get("expires_on")
        if completed_on and expires_on and expires_on < completed_on:
            self.add_error("expires_on", gettext("It cannot expire before it was completed."))
        return cleaned


class TrainingKindForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = TrainingKind
        fields = ["name", "validity_months", "counts_as_hours", "is_active"]
        labels = {"name": _("Name"), "validity_months": _("Validity months"), "is_active": _("Still tracked")}


class RequirementForm(OnceFormMixin, PlainErrors, forms.ModelForm):
    class Meta:
        model = TrainingRequirement
        fields = ["role", "kind", "hours", "period_months"]
        labels = {"role": _("Role"), "kind": _("Kind"), "hours": _("Hours"), "period_months": _("Period months")}
        help_texts = {"hours": _("Only for hours: how many in each period."), "period_months": _("The rolling period.")}

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = kinds

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("hours")) != bool(cleaned.get("period_months")):
            self.add_error("hours", gettext("Give both the hours and the period, or neither."))
        return cleaned


class LanguageForm(PlainErrors, forms.Form):
    # Each language is named in itself, so that whoever reads the list finds her own.
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Your pages, and the e-mails and texts the app sends you, are in this language."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The language of my browser")), *settings.LANGUAGES]
