"""Two-step login: a code from an authenticator app after the password."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _turn_on(client, user):
    client.get(reverse("two_step_setup"))
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("two_step_setup"), {"code": _code(device)})
    device.refresh_from_db()
    return device


def test_a_coach_turns_on_two_step_login(client_for, coach):
    client = client_for(coach)
    page = client.get(reverse("two_step_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page
    device = _turn_on(client, coach)
    assert device.confirmed


def test_a_wrong_code_does_not_turn_it_on(client_for, coach):
    client = client_for(coach)
    client.get(reverse("two_step_setup"))
    response = client.post(reverse("two_step_setup"), {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=coach).confirmed


def test_after_her_password_she_must_give_the_code(client_for, client, coach, patient):
    device = _turn_on(client_for(coach), coach)
    client.logout()
    client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_step_verify"))
    wrong = client.post(response.url, {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    # A code works once, and a wrong one holds the next try back a moment: she types the next code a minute later.
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        right = client.post(response.url, {"code": _code(device)})
    assert right.url == reverse("patients:detail", args=[patient.pk])
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_the_verify_page_does_not_send_her_off_site(client_for, client, coach):
    device = _turn_on(client_for(coach), coach)
    client.logout()
    client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        response = client.post(reverse("two_step_verify") + "?next=https://example.com/", {"code": _code(device)})
    assert response.url == reverse("home")


def test_when_required_everyone_sets_it_up_first(client_for, coach, settings):
    settings.TWO_STEP_REQUIRED = True
    response = client_for(coach).get(reverse("home"))
    assert response.url == reverse("two_step_setup")


def test_an_admin_turns_it_off_for_a_lost_phone_once_a_supervisor_confirms(
    client_for, client, admin, coach, supervisor
):
    _turn_on(client_for(coach), coach)
    client.force_login(admin)
    client.post(reverse("staff:two_step_off", args=[coach.pk]))
    assert TOTPDevice.objects.filter(user=coach).exists()
    client.force_login(supervisor)
    proposal = coach.change_requests.get()
    client.post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"})
    assert not TOTPDevice.objects.filter(user=coach).exists()


def test_only_her_programs_admin_can_turn_it_off(client_for, client, supervisor, coach):
    _turn_on(client_for(coach), coach)
    client.force_login(supervisor)
    assert client.post(reverse("staff:two_step_off", args=[coach.pk])).status_code == 404
    assert TOTPDevice.objects.filter(user=coach).exists()
