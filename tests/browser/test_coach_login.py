"""A coach logs in from her phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coach_logs_in_and_sees_her_home_page(live_server, page: Page, coach, supervisor):
    page.goto(live_server.url)

    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username or e-mail").fill(coach.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name=f"Hello, {coach.first_name}")).to_be_visible()
    expect(page.get_by_text("Coach", exact=True)).to_be_visible()
    expect(page.get_by_text(coach.program.name)).to_be_visible()
    # How to reach her supervisor is right there on the home page.
    expect(page.get_by_role("link", name=supervisor.phone)).to_be_visible()
    # Nothing lies off the side of a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_wrong_password_shows_a_clear_error_and_no_stack_trace(live_server, page: Page, coach):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username or e-mail").fill(coach.username)
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("don't match")
    expect(page.get_by_label("Username or e-mail")).to_have_value(coach.username)
    body = page.content()
    assert "Traceback" not in body
    assert "Exception" not in body


def test_log_in_and_out_with_the_keyboard_alone(live_server, page: Page, coach):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_label("Username or e-mail")).to_be_focused()  # focus is there on arrival
    page.keyboard.type(coach.username)
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Hello, {coach.first_name}")).to_be_visible()

    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
