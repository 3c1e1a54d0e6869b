"""Her own two-step login: setting it up, her recovery codes, turning it off, and the code she gives after her password.

Each step that shows or changes a secret asks for her password again, so that a session someone else took over
(a phone left unlocked, a stolen cookie) cannot read the secret or take the login over.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery_program.audit import Actor
from staff import services
from staff.models import User

RECOVERY_CODE_COUNT = 10


def _password_check(user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError({"password": gettext("That is not your password.")})


@transaction.atomic
def setup_start(*, user: User, password: str) -> TOTPDevice:
    """Begins a setup attempt once she has typed her password again: a new secret, made now, replacing the
    unconfirmed one of any earlier attempt (hers, or that of someone who had only her password)."""
    _password_check(user, password)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=False)


@transaction.atomic
def setup_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Turns two-step login on once she types the code her app shows, and gives her new recovery codes.

    Raises ValidationError when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(code.replace(" ", "")):
        raise ValidationError(
            {"code": gettext("That code is not right, or too old. Type the code your app shows now.")}
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _recovery_codes_make(user)


@transaction.atomic
def recovery_codes_renew(*, user: User, password: str) -> list[str]:
    """New recovery codes once she has typed her password again; the old ones stop working."""
    _password_check(user, password)
    return _recovery_codes_make(user)


def _recovery_codes_make(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def turn_off_own(*, actor: Actor, user: User, password: str) -> None:
    """She turns her own two-step login off, which needs her password; the staff history records it."""
    _password_check(user, password)
    services.two_step_reset(actor=actor, user=user)


@transaction.atomic
def code_match(*, user: User, code: str) -> Device | None:
    """The device that accepts the code: her app's current code, or one of her recovery codes, which then stops
    working. None when the code is wrong."""
    code = code.replace(" ", "").replace("-", "").lower()
    for device in devices_for_user(user, confirmed=True, for_verify=True):
        if device.verify_token(code):
            return device
    return None
