"""On a phone, with her: a coach makes a woman's safety plan, goes over it again and changes it; her safe-contact
rules are on the page, and her plan for safety at home stays folded away until opened."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages_are_accessible import _violations
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page: Page) -> None:
    """Nothing wider than the phone, and nothing axe finds against WCAG 2 A and AA."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _violations(page) == []


def test_coach_makes_reviews_and_updates_a_plan_with_her(live_server, page: Page, coach, patient):
    patient.ok_to_text = False
    patient.save(update_fields=["ok_to_text"])
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_text("no plan yet")).to_be_visible()
    page.get_by_role("link", name="Her safety plan").click()
    expect(page.get_by_text("Do not text her")).to_be_visible()
    page.get_by_role("link", name="Make her plan with her").click()
    _fits_the_phone(page)

    page.get_by_label("Warning signs she notices").fill("I stop answering my phone.")
    page.get_by_label("What she says helps").fill("Calling Dana. A walk with the stroller.")
    page.get_by_label("Yes, she has it").check()
    page.get_by_label("The year after the baby is born").check()
    page.get_by_label("Person or place 1").fill("Dana, my sponsor")
    page.get_by_label("Phone number 1").fill("603-555-0100")
    page.get_by_label("Person or place 2").fill("Crisis line")
    # A forgotten number is said next to the field, and what she typed stays.
    page.get_by_role("button", name="Save her plan").click()
    expect(page.get_by_text("Type the phone number for Crisis line.").first).to_be_visible()
    expect(page.get_by_label("What she says helps")).to_have_value("Calling Dana. A walk with the stroller.")
    page.get_by_label("Phone number 2").fill("988")
    page.get_by_text("Safety at home", exact=True).click()
    page.get_by_label("Safety at home is part of her plan").check()
    page.get_by_label("Her plan if she is not safe at home").fill("Bag at my sister's on Elm Street.")
    page.get_by_role("button", name="Save her plan").click()

    expect(page.get_by_text("Her safety plan is saved.")).to_be_visible()
    expect(page.get_by_text("Gone over with her today")).to_be_visible()
    expect(page.get_by_role("link", name="603-555-0100")).to_be_visible()
    expect(page.get_by_text("Bag at my sister's")).to_be_hidden()
    page.get_by_text("Open her plan for safety at home").click()
    expect(page.get_by_text("Bag at my sister's")).to_be_visible()
    _fits_the_phone(page)

    page.get_by_role("button", name="Reviewed with her today").click()
    expect(page.get_by_text("Marked as gone over with her today.")).to_be_visible()

    page.get_by_role("link", name="Update it with her").click()
    page.get_by_label("After a return to use").check()
    page.get_by_label("What she says helps").fill("Calling Dana. The noon meeting at St. Mark's.")
    page.get_by_role("button", name="Save her plan").click()
    expect(page.get_by_text("The noon meeting at St. Mark's.")).to_be_visible()
    expect(page.get_by_text("After a return to use")).to_be_visible()

    page.get_by_role("link", name="Roz (Rosalind Avery)").click()
    expect(page.get_by_text("reviewed today")).to_be_visible()
