"""Each person reads the app in her language: the one she chose on her account page, else her browser's; the login
page offers both; what the app sends her is in hers."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from staff.models import User
from staff.services import language_set
from tests.factories import send_outbox

pytestmark = pytest.mark.django_db

SPANISH_BROWSER = "es-US,es;q=0.9,en;q=0.5"


def _home(client, **headers) -> str:
    return client.get(reverse("home"), **headers).content.decode()


def test_a_coach_who_chose_spanish_reads_her_pages_in_spanish(client_for, coach):
    language_set(user=coach, code="es")

    page = _home(client_for(coach))

    assert '<html lang="es">' in page
    assert "Cerrar sesión" in page
    assert "Log out" not in page


def test_with_no_language_chosen_her_browser_decides(client_for, coach):
    client = client_for(coach)

    assert "Cerrar sesión" in _home(client, HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    assert "Log out" in _home(client, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")


def test_her_choice_wins_over_her_browser(client_for, supervisor):
    language_set(user=supervisor, code="en")

    page = _home(client_for(supervisor), HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)

    assert '<html lang="en">' in page
    assert "Log out" in page


@pytest.mark.parametrize("who", ["coach", "supervisor", "admin"])
def test_each_of_them_picks_spanish_on_her_account_page_and_the_next_page_is_in_it(
    request, client, coach, supervisor, admin, who
):
    member = request.getfixturevalue(who)
    client.force_login(member)

    response = client.post(reverse("account"), {"language": "es"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("account")
    page = response.content.decode()
    assert "Guardado. Tus páginas ya están en este idioma." in page
    assert '<html lang="es">' in page
    assert User.objects.get(pk=member.pk).language == "es"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    # Only her own account: the others keep theirs.
    assert set(User.objects.exclude(pk=member.pk).values_list("language", flat=True)) == {""}


def test_back_to_her_browsers_language(client_for, coach):
    language_set(user=coach, code="es")
    client = client_for(coach)

    client.post(reverse("account"), {"language": ""})

    assert User.objects.get(pk=coach.pk).language == ""
    assert "Log out" in _home(client, HTTP_ACCEPT_LANGUAGE="en-US")


def test_the_account_page_shows_her_choice_and_each_language_in_itself(client_for, coach):
    language_set(user=coach, code="es")

    page = client_for(coach).get(reverse("account")).content.decode()

    assert re.search(r'value="es"[^>]*\bchecked', page)
    assert not re.search(r'value="en"[^>]*\bchecked', page)
    assert "English" in page
    assert "Español" in page


def test_a_language_not_offered_is_refused_next_to_the_field_and_nothing_changes(client_for, coach):
    response = client_for(coach).post(reverse("account"), {"language": "fr"})

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert User.objects.get(pk=coach.pk).language == ""


def test_the_service_refuses_a_language_not_offered_whatever_sends_it(coach):
    with pytest.raises(ValidationError):
        language_set(user=coach, code="pt")
    assert User.objects.get(pk=coach.pk).language == ""


def test_the_login_page_offers_both_languages_and_keeps_the_pick(client):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="es"' in page
    assert "Español" in page
    assert 'lang="en"' in page
    assert "English" in page

    response = client.post(reverse("set_language"), {"language": "es", "next": reverse("login")}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page


def test_the_login_page_follows_the_browser_before_anything_is_picked(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER).content.decode()

    assert "Iniciar sesión" in page


def test_a_password_link_goes_out_in_her_language(client_for, admin, coach, program, mailoutbox):
    language_set(user=coach, code="es")
    english_coach = User.objects.create_user(
        username="coach_en", email="en@example.org", program=program, first_name="Nell", last_name="Park"
    )

    client = client_for(admin)
    client.post(reverse("staff:password_link", args=[coach.pk]))
    client.post(reverse("staff:password_link", args=[english_coach.pk]))
    send_outbox()

    spanish, english = sorted(mailoutbox, key=lambda mail: mail.to != [coach.email])
    assert "contraseña" in spanish.subject.lower()
    assert "contraseña" in spanish.body
    assert "password" in english.subject.lower()
    assert "contraseña" not in english.body


def test_a_spanish_page_writes_dates_the_spanish_way(client_for, coach):
    language_set(user=coach, code="es")
    today = timezone.localdate()
    with translation.override("es"):
        spanish = date_format(today, gettext("l j F"))
    english = date_format(today, "l j F")

    page = client_for(coach).get(reverse("coaching:week")).content.decode()

    assert spanish != english
    assert spanish in page  # "lunes 30 de noviembre": the day first, in her words
    assert english not in page
