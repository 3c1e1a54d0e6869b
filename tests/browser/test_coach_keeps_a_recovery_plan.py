"""On a phone, with her: a coach adds a goal in her words with a first step, then ticks the step done in one tap;
the goal's progress changes in place and shows on her patient page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_coach_keeps_a_safety_plan import _fits_the_phone
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coach_adds_a_goal_with_a_step_and_ticks_it(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Her recovery plan").click()
    page.get_by_role("link", name="Add a goal with her").click()
    _fits_the_phone(page)

    page.get_by_label("Custody and her children").check()
    page.get_by_label("A first step (if she has one)").fill("Call the caseworker about visits")
    # Her goal left empty: said next to the field, and the step she typed stays.
    page.get_by_role("button", name="Add her goal").click()
    expect(page.get_by_text("Write her goal, in her words.").first).to_be_visible()
    expect(page.get_by_label("A first step (if she has one)")).to_have_value("Call the caseworker about visits")
    # keep.js fills the form back in from what the phone kept once the page has loaded: it runs before she types
    # (on a busy machine, typing sooner had it put back the empty goal).
    page.wait_for_load_state("load")
    page.get_by_label("Her goal, in her words").fill("Have my kids home with me by summer.")
    due = timezone.localdate() + datetime.timedelta(days=3)
    page.get_by_label("By when").fill(due.isoformat())
    page.get_by_role("button", name="Add her goal").click()

    expect(page.get_by_text("Her goal is in her plan.")).to_be_visible()
    expect(page.get_by_text("0 of 1 step done")).to_be_visible()
    _fits_the_phone(page)
    page.get_by_role("button", name="Done: Call the caseworker about visits").click()
    expect(page.get_by_text("1 of 1 step done")).to_be_visible()
    expect(page.get_by_role("button", name="Still to do: Call the caseworker about visits")).to_be_visible()

    page.get_by_role("link", name="Roz (Rosalind Avery)").click()
    expect(page.get_by_text("1 of 1 step done")).to_be_visible()
