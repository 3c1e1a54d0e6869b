"""A coach who cannot log in at 2 a.m. (session ended, password forgotten, account locked) still sees her program's
on-call line: a number that forwards to whoever is on call, with no name."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from staff.models import Program
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LINE = "603-555-0110"
OTHER_LINE = "802-555-0190"
SETTINGS = {
    "time_zone": "America/New_York",
    "office_opens": "09:00",
    "office_closes": "17:00",
    "office_days": ["0", "1", "2", "3", "4"],
    "escalation_minutes": "15",
    "no_contact_days": "14",
    "caseload_cap": "15",
}


@pytest.fixture
def lines(program, other_program):
    Program.objects.filter(pk=program.pk).update(on_call_line=LINE)
    Program.objects.filter(pk=other_program.pk).update(on_call_line=OTHER_LINE)


def _log_in_and_out(client, user):
    client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    client.post(reverse("logout"))


def test_an_admin_sets_the_line_in_program_settings(client_for, admin, program):
    response = client_for(admin).post(reverse("staff:program"), SETTINGS | {"on_call_line": f" {LINE} "})
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.on_call_line == LINE


@pytest.mark.parametrize("typed", ["Call Iris at home", "555", "603-555-0110 ext. 4", "+1 (603) 555-0110 0000000"])
def test_anything_but_a_phone_number_is_refused_next_to_the_field(client_for, admin, program, typed):
    response = client_for(admin).post(reverse("staff:program"), SETTINGS | {"on_call_line": typed})
    assert "Type a phone number only, for example 603-555-0100." in response.content.decode()
    program.refresh_from_db()
    assert program.on_call_line == ""


def test_the_database_refuses_a_line_that_is_not_a_number(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(on_call_line="Iris Vance, home")


def test_after_she_logged_out_the_login_page_shows_her_programs_line_and_no_other(client, coach, lines):
    _log_in_and_out(client, coach)
    page = client.get(reverse("login")).content.decode()
    assert f'href="tel:{LINE}"' in page
    assert OTHER_LINE not in page


def test_the_lockout_and_forgotten_password_pages_show_it_too(client, coach, lines):
    _log_in_and_out(client, coach)
    for _ in range(5):
        client.post(reverse("login"), {"username": coach.username, "password": "wrong-password"})
    locked = client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert LINE in locked.content.decode()
    assert LINE in client.get(reverse("password_ask")).content.decode()


def test_a_new_phone_shows_the_line_of_the_only_program(client, program):
    Program.objects.filter(pk=program.pk).update(on_call_line=LINE)
    assert LINE in client.get(reverse("login")).content.decode()


def test_a_new_phone_shows_no_line_when_there_are_several_programs(client, lines):
    page = client.get(reverse("login")).content.decode()
    assert LINE not in page
    assert OTHER_LINE not in page


def test_a_forged_program_cookie_shows_nothing(client, lines, other_program):
    client.cookies["program"] = str(other_program.pk)  # not signed by the app
    assert OTHER_LINE not in client.get(reverse("login")).content.decode()
