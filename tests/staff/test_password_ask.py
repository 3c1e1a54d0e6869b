"""A staff member who forgot her password asks for a link on the login page, at 2 a.m. if need be: it goes to her
e-mail address, the page says the same whoever was typed, and two-step login is still asked for afterwards."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import StaffEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-passphrase-9"
SAME_ANSWER = "If that is the username or e-mail address of an active account"


@pytest.fixture
def ask(client, celery_eager, django_capture_on_commit_callbacks):
    def ask(typed):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_ask"), {"typed": typed}, follow=True)

    return ask


def test_the_login_page_offers_it(client):
    assert reverse("password_ask") in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("typed", ["COACH_A ", "Coach_A@Example.org"])
def test_her_username_or_address_in_any_case_sends_her_a_link(ask, coach, mailoutbox, typed):
    response = ask(typed)

    assert SAME_ANSWER in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == [coach.email]
    assert "You asked on the Recovery Coaching login page" in mail.body
    event = StaffEvent.objects.get(subject=coach, action=StaffEvent.Action.PASSWORD_LINK_SENT)
    assert (event.actor, event.description) == (coach, "She asked for it on the login page")


def test_the_page_says_the_same_whether_or_not_an_account_exists(ask, coach, mailoutbox):
    for_her = ask(coach.username).content.decode()
    for_nobody = ask("nobody@example.org").content.decode()
    assert SAME_ANSWER in for_nobody
    csrf_token = re.compile(r"[A-Za-z0-9]{64}")  # each page has a fresh one
    assert csrf_token.sub("", for_her) == csrf_token.sub("", for_nobody)
    assert len(mailoutbox) == 1


def test_a_deactivated_account_gets_no_link(ask, coach, mailoutbox):
    coach.is_active = False
    coach.save()
    assert SAME_ANSWER in ask(coach.username).content.decode()
    assert mailoutbox == []


def test_asking_again_and_again_sends_one_link_every_ten_minutes(ask, coach, mailoutbox):
    ask(coach.username)
    ask(coach.email)
    assert len(mailoutbox) == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11), tick=False):
        ask(coach.username)
    assert len(mailoutbox) == 2


def test_nothing_typed_is_a_message_next_to_the_field(client, mailoutbox):
    response = client.post(reverse("password_ask"), {"typed": "  "})
    assert "Type your username or the e-mail address" in response.content.decode()
    assert mailoutbox == []


def test_after_the_new_password_she_is_still_asked_for_her_two_step_code(ask, client, coach, mailoutbox):
    TOTPDevice.objects.create(user=coach, name="phone", confirmed=True)
    ask(coach.username)
    link = re.search(r"http://\S+/password/reset/\S+/", mailoutbox[0].body).group(0)
    form_page = client.get(urlparse(link).path, follow=True)
    client.post(form_page.request["PATH_INFO"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    coach.refresh_from_db()
    assert coach.check_password(NEW_PASSWORD)

    client.post(reverse("login"), {"username": coach.username, "password": NEW_PASSWORD})
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home.url.startswith(reverse("two_step_verify"))
