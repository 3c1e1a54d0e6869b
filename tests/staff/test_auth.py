"""Logging in and out, passwords and lockout."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, username, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_coach_logs_in_with_her_username(client, coach):
    response = _log_in(client, coach.username)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_coach_logs_in_with_her_email_in_any_case(client, coach):
    response = _log_in(client, coach.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == coach


def test_wrong_password_says_so_and_keeps_the_username(client, coach):
    response = _log_in(client, coach.username, "wrong-password")
    assert response.status_code == 200
    assert "don&#x27;t match" in response.content.decode()
    assert f'value="{coach.username}"' in response.content.decode()


def test_deactivated_staff_member_cannot_log_in(client, coach):
    coach.is_active = False
    coach.save()
    response = _log_in(client, coach.username)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_account_locks_after_five_wrong_passwords(client, coach):
    for _ in range(5):
        _log_in(client, coach.username, "wrong-password")
    # Even the right password is refused while the lock holds.
    response = _log_in(client, coach.username)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post(client_for, coach):
    client = client_for(coach)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_applies_django_password_rules(client_for, coach):
    client = client_for(coach)
    response = client.post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    coach.refresh_from_db()
    assert coach.check_password(TEST_PASSWORD)


def test_password_change_works_with_a_good_password(client_for, coach):
    client = client_for(coach)
    new = "a-much-better-passphrase-7"
    response = client.post(
        reverse("password_change"), {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    coach.refresh_from_db()
    assert coach.check_password(new)


def test_session_ends_after_thirty_idle_minutes(client, coach):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _log_in(client, coach.username)
    with time_machine.travel(start + datetime.timedelta(minutes=29), tick=False):
        assert client.get(reverse("home")).status_code == 200  # activity keeps the session alive
    with time_machine.travel(start + datetime.timedelta(minutes=60), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_session_ends_twelve_hours_after_login_however_active(client, coach, settings):
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60  # even where the idle timeout is long
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _log_in(client, coach.username)
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(hours=11, minutes=59), tick=False):
        assert client.get(reverse("home")).status_code == 200
    with time_machine.travel(start + datetime.timedelta(hours=13), tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
