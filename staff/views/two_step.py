"""Two-step login with an authenticator app (TOTP, through django-otp)."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery_program.audit import actor_from
from staff import services


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your app",
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        verified = self.device.verify_is_allowed()[0] and self.device.verify_token(code)
        if not verified:
            raise forms.ValidationError("That code is not right, or too old. Type the code your app shows now.")
        return code


@require_http_methods(["GET", "POST"])
def setup(request):
    """Turn on two-step login: scan the code with an authenticator app, then type the number it shows."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if confirmed:
        return render(request, "registration/two_step_on.html", {"device": confirmed})
    device, _ = TOTPDevice.objects.get_or_create(user=request.user, confirmed=False, defaults={"name": "phone"})
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(request, "Two-step login is on. From now on you will type a code after your password.")
        return redirect("home")
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


@require_http_methods(["GET", "POST"])
def verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("home")
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "home"
        return redirect(target)
    return render(request, "registration/two_step_verify.html", {"form": form})


@require_POST
def turn_off(request):
    services.two_step_reset(actor=actor_from(request), user=request.user)
    messages.success(request, "Two-step login is off.")
    return redirect("two_step_setup")
