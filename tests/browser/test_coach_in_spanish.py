"""A coach who reads Spanish, on a 390 px phone whose browser speaks Spanish: she logs in, logs an encounter and
shares a concern with her supervisor, every word in Spanish and nothing off the side of the screen."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from staff.services import language_set
from tests.browser.conftest import PHONE
from tests.factories import TEST_PASSWORD, PatientFactory, on_caseload_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "es-US"}


def es(english: str) -> str:
    """What a Spanish reader reads for this English: from the catalogue, and never the English itself."""
    with translation.override("es"):
        spanish = gettext(english)
    assert spanish != english, f"{english!r} has no Spanish"
    return spanish


def _fits_the_phone(page: Page) -> None:
    page.wait_for_load_state("load")
    wider = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 60))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (page.url, wider)
    # No word runs out of its box either: a button or label wider than the screen would be cut.
    # No word runs out of the screen either, but in a strip made to scroll sideways (the menu, a wide table).
    cut = page.evaluate(
        """[...document.querySelectorAll('button, label, a, h1, h2, p, td, th, legend')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 1)
        .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return false; } return true; })
        .map(e => e.outerHTML.slice(0, 100))"""
    )
    assert cut == [], page.url


def _english_left(page: Page) -> list[str]:
    """English words a person reads on this page (the header, the form): none should be left."""
    text = page.locator("body").inner_text()
    english = ("Log out", "Save", "Cancel", "Home", "What happened", "Share with my supervisor")
    return [word for word in english if re.search(rf"\b{word}\b", text)]


def test_a_spanish_speaking_coach_logs_an_encounter_and_shares_a_concern(live_server, page: Page, coach, supervisor):
    language_set(user=coach, code="es")
    patient = PatientFactory(program=coach.program, legal_name="Lucía Ortega", clinical_provider=supervisor)
    on_caseload_of(patient, coach)

    page.goto(f"{live_server.url}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name=es("Log in"))).to_be_visible()
    _fits_the_phone(page)
    page.get_by_label(es("Username or e-mail")).fill(coach.username)
    page.get_by_label(es("Password")).fill(TEST_PASSWORD)
    page.get_by_role("button", name=es("Log in")).click()
    expect(page.get_by_role("button", name=es("Log out"))).to_be_visible()
    _fits_the_phone(page)
    assert _english_left(page) == []

    page.get_by_role("link", name=es("Log an encounter")).first.click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    _fits_the_phone(page)
    page.get_by_role("checkbox", name="Lucía Ortega").check()
    page.get_by_label(es("What you did")).select_option(index=2)
    page.get_by_role("group", name=es("When did it start?")).get_by_role("radio").first.check()
    page.get_by_label(es("What happened")).fill("Hablamos de su semana y de la cita con la clínica.")
    assert _english_left(page) == []
    page.get_by_role("button", name=es("Save encounter")).click()
    expect(page.get_by_text(es("Share a concern with my supervisor")).first).to_be_visible()
    _fits_the_phone(page)

    page.get_by_role("link", name=es("Share a concern with my supervisor")).first.click()
    _fits_the_phone(page)
    page.get_by_label(es("About"), exact=False).and_(page.locator("select")).select_option(label="Lucía Ortega")
    page.get_by_label(es("Return to use, or signs of it")).check()
    page.get_by_label(es("What you saw or heard")).fill("Me dijo que consumió anoche y tiene miedo.")
    page.get_by_label(es("Urgent: a supervisor must act now")).check()
    assert _english_left(page) == []
    page.get_by_role("button", name=es("Share with my supervisor")).click()

    expect(page.get_by_text(es("Shared"), exact=True)).to_be_visible()
    _fits_the_phone(page)
    assert _english_left(page) == []
