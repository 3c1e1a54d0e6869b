"""Logging in and out, passwords and lockout."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from staff.sessions import StaffSession
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


def test_activity_renews_the_session_at_most_once_a_minute(client, coach):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _log_in(client, coach.username)
        client.get(reverse("home"))
    row = StaffSession.objects.get(user_id=coach.pk)
    renewed = row.expire_date
    with time_machine.travel(start + datetime.timedelta(seconds=40), tick=False):
        assert client.get(reverse("home")).status_code == 200
    row.refresh_from_db()
    assert row.expire_date == renewed  # within the minute: nothing written
    with time_machine.travel(start + datetime.timedelta(minutes=25), tick=False):
        assert client.get(reverse("home")).status_code == 200
    row.refresh_from_db()
    assert row.expire_date == start + datetime.timedelta(minutes=55)
    with time_machine.travel(start + datetime.timedelta(minutes=54), tick=False):
        assert client.get(reverse("home")).status_code == 200  # 29 idle minutes after the last activity


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


def _locked_out(response) -> bool:
    return response.status_code == 429


@pytest.mark.parametrize("spelling", ["COACH_A", "Coach_a", " coach_a ", "her e-mail", "HER E-MAIL"])
def test_a_locked_account_stays_locked_whatever_spelling_names_her(client, coach, spelling):
    for _ in range(5):
        _log_in(client, coach.username, "wrong-password")
    typed = spelling.replace("her e-mail", coach.email).replace("HER E-MAIL", coach.email.upper())
    # The right password does not get her in either, under any name.
    response = _log_in(client, typed)
    assert _locked_out(response)
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_under_different_spellings_count_for_one_account(client, coach):
    for typed in ("coach_a", "COACH_A", " Coach_A", coach.email, coach.email.upper()):
        _log_in(client, typed, "wrong-password")
    assert _locked_out(_log_in(client, coach.username))


def test_one_address_guessing_across_accounts_is_locked_out(client, coach, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    for number in range(8):
        _log_in(client, f"nobody{number}", "wrong-password")
    assert _locked_out(_log_in(client, coach.username))
    # Someone at another address is not.
    elsewhere = client.post(
        reverse("login"), {"username": coach.username, "password": TEST_PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert elsewhere.url == reverse("home")


def test_a_few_mistakes_at_one_clinic_do_not_lock_out_its_staff(client, coach, other_coach, supervisor):
    # Everyone at the clinic comes from one address.
    for person in (coach, other_coach):
        for _ in range(4):
            _log_in(client, person.username, "wrong-password")
    assert _log_in(client, supervisor.username).url == reverse("home")


def test_her_right_password_does_not_clear_anyone_elses_count(client, coach, other_coach, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 100
    for _ in range(4):
        _log_in(client, coach.username, "wrong-password")
    # Someone at the same address who knows another password logs in...
    _log_in(client, other_coach.username)
    client.post(reverse("logout"))
    # ...and the guesses at coach's account still count.
    _log_in(client, coach.username, "wrong-password")
    assert _locked_out(_log_in(client, coach.username))


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(rf, settings):
    from staff.lockout import client_address

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    settings.BEHIND_PROXY = True
    assert client_address(request) == "203.0.113.9"  # the first one is whatever the client claimed
    settings.BEHIND_PROXY = False
    assert client_address(request) == "10.0.0.1"
