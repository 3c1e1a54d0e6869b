"""Two-step login with an authenticator app (TOTP, through django-otp), and single-use recovery codes.

Every wrong password or code typed on these pages counts against the session typing it: after a few, that session
is logged out. Her other sessions, and her next login, are not slowed. They count against the address too
(staff/lockout.py), so that logging in again for fresh tries is stopped there.
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery_program.audit import actor_from
from recovery_program.forms import PlainErrors
from staff import lockout, two_step

WRONG_TRIES_ALLOWED = 5
WRONG_TRIES_KEY = "two_step_wrong_tries"
PENDING_DEVICE_KEY = "two_step_pending_device"


class PasswordForm(PlainErrors, forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": _("Type your password.")},
    )


class CodeForm(PlainErrors, forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your app"),
        max_length=20,
        error_messages={"required": _("Type the 6-digit code your app shows now.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


class LoginCodeForm(CodeForm):
    code = forms.CharField(
        label=_("6-digit code from your app, or a recovery code"),
        max_length=20,
        error_messages={"required": _("Type the 6-digit code your app shows now, or one of your recovery codes.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}),
    )


def _wrong_try(request):
    """Counts a wrong password or code against this session; returns a redirect to the login page once it has had
    too many (the session is then logged out), else None."""
    lockout.wrong_try_count(request)
    tries = request.session.get(WRONG_TRIES_KEY, 0) + 1
    if tries < WRONG_TRIES_ALLOWED:
        request.session[WRONG_TRIES_KEY] = tries
        return None
    logout(request)
    messages.error(request, gettext("Too many wrong tries: you have been logged out. Log in again to go on."))
    return redirect("login")


def _verified(request, device) -> None:
    otp_login(request, device)
    request.session.pop(WRONG_TRIES_KEY, None)
    # A new session key once she is through, so that a key someone saw before (or planted) is worth nothing.
    request.session.cycle_key()


def _with_errors(form, error: ValidationError):
    for field, errors in error.message_dict.items():
        for message in errors:
            form.add_error(field, message)


@never_cache  # the secret and the recovery codes stay out of every cache
@require_http_methods(["GET", "POST"])
def setup(request):
    """Turn on two-step login: her password again, then a new secret to scan, then the code her app shows."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if confirmed:
        return render(request, "registration/two_step_on.html", {"device": confirmed, "form": PasswordForm()})
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(PENDING_DEVICE_KEY)
    ).first()
    if device is None:
        return _setup_password(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_step.setup_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        except ValidationError as error:
            _with_errors(form, error)
            if ended := _wrong_try(request):
                return ended
        else:
            del request.session[PENDING_DEVICE_KEY]
            _verified(request, device)
            messages.success(
                request, gettext("Two-step login is on. From now on you will type a code after your password.")
            )
            return render(request, "registration/two_step_codes.html", {"codes": codes})
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/two_step_setup.html",
        {
            "form": form,
            "qr": qr.svg_data_uri(scale=5, dark="#1b1f24"),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
    )


def _setup_password(request):
    def started(device):
        request.session[PENDING_DEVICE_KEY] = device.pk
        return redirect("two_step_setup")

    return _password_step(
        request,
        lambda password: two_step.setup_start(user=request.user, password=password),
        started,
        title=gettext("Turn on two-step login"),
        button=gettext("Continue"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """New recovery codes, after her password again; shown once, and the old ones stop working."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("two_step_setup")
    return _password_step(
        request,
        lambda password: two_step.recovery_codes_renew(user=request.user, password=password),
        lambda codes: render(request, "registration/two_step_codes.html", {"codes": codes}),
        title=gettext("New recovery codes"),
        button=gettext("Make new codes"),
    )


def _password_step(request, action, done, *, title: str, button: str):
    """The page that asks for her password again: `action(password)` runs once she types it right (a wrong one is a
    wrong try), and `done(what it returned)` answers."""
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form.cleaned_data["password"])
        except ValidationError as error:
            _with_errors(form, error)
            if ended := _wrong_try(request):
                return ended
        else:
            return done(result)
    return render(request, "registration/two_step_password.html", {"form": form, "title": title, "button": button})


@require_http_methods(["GET", "POST"])
def verify(request):
    """After her password: the code her app shows, or one of her recovery codes."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("home")
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_step.code_match(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "home"
            return redirect(target)
        form.add_error("code", gettext("That code is not right, or too old. Type the code your app shows now."))
        if ended := _wrong_try(request):
            return ended
    return render(request, "registration/two_step_verify.html", {"form": form})


@require_POST
def turn_off(request):
    """She turns her own two-step login off: her password is needed."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("two_step_setup")
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            two_step.turn_off_own(actor=actor_from(request), user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            _with_errors(form, error)
        else:
            messages.success(request, gettext("Two-step login is off."))
            return redirect("two_step_setup")
    if ended := _wrong_try(request):
        return ended
    return render(request, "registration/two_step_on.html", {"device": device, "form": form}, status=400)
