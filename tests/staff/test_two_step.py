"""Two-step login: a code from an authenticator app after the password, or a single-use recovery code."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import StaffEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _a_minute_later():
    # A code works once: the next login types the next code her app shows, a minute later.
    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False)


def _turn_on(client, user) -> tuple[TOTPDevice, list[str]]:
    client.post(reverse("two_step_setup"), {"password": TEST_PASSWORD})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_step_setup"), {"code": _code(device)})
    device.refresh_from_db()
    return device, response.context["codes"]


def _log_in(client, user):
    client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    return client


def test_a_coach_turns_on_two_step_login(client_for, coach):
    client = client_for(coach)
    client.post(reverse("two_step_setup"), {"password": TEST_PASSWORD})
    page = client.get(reverse("two_step_setup")).content.decode()
    assert 'src="data:image/svg+xml' in page
    device, codes = _turn_on(client, coach)
    assert device.confirmed
    assert len(codes) == 10


def test_the_setup_page_shows_no_secret_to_someone_with_only_the_session(client_for, coach):
    client = client_for(coach)
    page = client.get(reverse("two_step_setup")).content.decode()
    assert "Your password" in page
    assert "data:image/svg+xml" not in page
    assert "Key:" not in page
    # Nothing is kept until she asks for it with her password.
    assert not TOTPDevice.objects.filter(user=coach).exists()


def test_a_wrong_password_shows_no_secret(client_for, coach):
    response = client_for(coach).post(reverse("two_step_setup"), {"password": "not-her-password"})
    assert "That is not your password" in response.content.decode()
    assert "data:image/svg+xml" not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=coach).exists()


def test_a_secret_seen_by_someone_else_is_replaced_when_she_sets_it_up(client, coach):
    # Someone with her password starts a setup and notes the secret, hoping she will scan the same one later.
    intruder = _log_in(client, coach)
    intruder.post(reverse("two_step_setup"), {"password": TEST_PASSWORD})
    planted = TOTPDevice.objects.get(user=coach)

    her = _log_in(Client(), coach)
    device, _ = _turn_on(her, coach)
    assert device.bin_key != planted.bin_key
    assert list(TOTPDevice.objects.filter(user=coach)) == [device]
    # The intruder's code from the old secret no longer turns anything on.
    response = intruder.post(reverse("two_step_setup"), {"code": _code(planted)})
    assert "data:image/svg+xml" not in response.content.decode()


def test_a_wrong_code_does_not_turn_it_on(client_for, coach):
    client = client_for(coach)
    client.post(reverse("two_step_setup"), {"password": TEST_PASSWORD})
    response = client.post(reverse("two_step_setup"), {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=coach).confirmed


def test_after_her_password_she_must_give_the_code(client_for, client, coach, patient):
    device, _ = _turn_on(client_for(coach), coach)
    client.logout()
    _log_in(client, coach)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_step_verify"))
    wrong = client.post(response.url, {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    with _a_minute_later():
        right = client.post(response.url, {"code": _code(device)})
    assert right.url == reverse("patients:detail", args=[patient.pk])
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_the_session_key_changes_after_the_code(client_for, client, coach):
    device, _ = _turn_on(client_for(coach), coach)
    client.logout()
    _log_in(client, coach)
    key_with_password_only = client.session.session_key
    with _a_minute_later():
        client.post(reverse("two_step_verify"), {"code": _code(device)})
    assert client.session.session_key != key_with_password_only
    assert client.get(reverse("home")).status_code == 200


def test_a_recovery_code_works_once(client_for, client, coach):
    _, codes = _turn_on(client_for(coach), coach)
    client.logout()
    _log_in(client, coach)
    response = client.post(reverse("two_step_verify"), {"code": codes[0].upper()})
    assert response.url == reverse("home")
    client.post(reverse("logout"))
    _log_in(client, coach)
    again = client.post(reverse("two_step_verify"), {"code": codes[0]})
    assert "That code is not right" in again.content.decode()
    assert client.get(reverse("home")).url.startswith(reverse("two_step_verify"))


def test_new_recovery_codes_need_her_password_and_the_old_ones_stop_working(client_for, client, coach):
    her = client_for(coach)
    _, old_codes = _turn_on(her, coach)
    refused = her.post(reverse("two_step_recovery_codes"), {"password": "not-her-password"})
    assert "That is not your password" in refused.content.decode()
    assert "codes" not in refused.context
    new_codes = her.post(reverse("two_step_recovery_codes"), {"password": TEST_PASSWORD}).context["codes"]
    assert len(set(new_codes) - set(old_codes)) == 10
    her.post(reverse("logout"))
    _log_in(client, coach)
    assert "That code is not right" in client.post(reverse("two_step_verify"), {"code": old_codes[1]}).content.decode()
    assert client.post(reverse("two_step_verify"), {"code": new_codes[1]}).url == reverse("home")


def test_turning_it_off_needs_her_password(client_for, coach):
    client = client_for(coach)
    _turn_on(client, coach)
    for password in ("", "not-her-password"):
        response = client.post(reverse("two_step_off"), {"password": password})
        assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=coach, confirmed=True).exists()
    client.post(reverse("two_step_off"), {"password": TEST_PASSWORD})
    assert not TOTPDevice.objects.filter(user=coach).exists()
    assert not StaticDevice.objects.filter(user=coach).exists()
    # The staff history says she did it herself.
    event = StaffEvent.objects.get(action=StaffEvent.Action.TWO_STEP_OFF)
    assert (event.actor, event.subject) == (coach, coach)


def test_wrong_codes_end_only_the_session_typing_them(client_for, client, coach):
    device, _ = _turn_on(client_for(coach), coach)  # her own session, past the code
    intruder = _log_in(Client(), coach)
    for _ in range(4):
        assert intruder.post(reverse("two_step_verify"), {"code": "000000"}).status_code == 200
    ended = intruder.post(reverse("two_step_verify"), {"code": "000000"})
    assert ended.status_code == 429
    assert "_auth_user_id" not in intruder.session
    # Her session goes on, and her next login takes her code at once: nothing slowed her down.
    assert client.get(reverse("home")).status_code == 200
    later = _log_in(Client(), coach)
    with _a_minute_later():
        assert later.post(reverse("two_step_verify"), {"code": _code(device)}).url == reverse("home")


def test_when_required_everyone_sets_it_up_first(client_for, coach, settings):
    settings.TWO_STEP_REQUIRED = True
    client = client_for(coach)
    response = client.get(reverse("home"))
    assert response.url == reverse("two_step_setup")
    _turn_on(client, coach)
    assert client.get(reverse("home")).status_code == 200


def test_an_admin_turns_it_off_for_a_lost_phone_once_a_supervisor_confirms(
    client_for, client, admin, coach, supervisor
):
    _turn_on(client_for(coach), coach)
    client.force_login(admin)
    client.post(reverse("staff:two_step_off", args=[coach.pk]), {"confirmed": "yes"})
    assert TOTPDevice.objects.filter(user=coach).exists()
    client.force_login(supervisor)
    proposal = coach.change_requests.get()
    client.post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"})
    assert not TOTPDevice.objects.filter(user=coach).exists()
    assert not StaticDevice.objects.filter(user=coach).exists()


def test_only_her_programs_admin_can_turn_it_off(client_for, client, supervisor, coach):
    _turn_on(client_for(coach), coach)
    client.force_login(supervisor)
    assert client.post(reverse("staff:two_step_off", args=[coach.pk]), {"confirmed": "yes"}).status_code == 404
    assert TOTPDevice.objects.filter(user=coach).exists()


def test_the_verify_page_does_not_send_her_off_site(client_for, client, coach):
    device, _ = _turn_on(client_for(coach), coach)
    client.logout()
    _log_in(client, coach)
    with _a_minute_later():
        response = client.post(reverse("two_step_verify") + "?next=https://example.com/", {"code": _code(device)})
    assert response.url == reverse("home")


def test_anonymous_is_sent_to_log_in(client):
    for name in ("two_step_setup", "two_step_recovery_codes", "two_step_verify"):
        assert client.get(reverse(name)).url.startswith(reverse("login"))


def test_logging_in_again_and_again_for_fresh_codes_is_stopped_at_the_address(client_for, coach, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 10
    _turn_on(client_for(coach), coach)
    for _ in range(2):
        intruder = _log_in(Client(), coach)
        for _ in range(5):
            intruder.post(reverse("two_step_verify"), {"code": "000000"})
    refused = Client().post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
    assert refused.status_code == 429
    # She, somewhere else, logs in as always.
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    assert _log_in(elsewhere, coach).get(reverse("home")).url.startswith(reverse("two_step_verify"))
