"""On a phone: a coach tells her supervisor how she is doing; her supervisor reads it in the weekly queue, and
another supervisor of the program does not."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import Page, expect

from recovery_program.audit import Actor
from supervision.services import supervision_assign
from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHECK_IN = "Hard week. The report about one of my moms shook me. I called my sponsor and went to two meetings."


def test_a_coach_adds_a_check_in_and_her_supervisor_sees_it_in_the_queue(
    live_server, page: Page, coach, supervisor, admin
):
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
    )
    colleague = UserFactory(username="super_c", first_name="Dana", program=coach.program, role="supervisor")

    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="Supervision").first.click()
    expect(page.get_by_role("heading", name="My supervision agenda")).to_be_visible()
    page.get_by_role("link", name="How are you doing?").click()
    page.get_by_label("How are you doing?").fill(CHECK_IN)
    page.get_by_role("button", name="Add to my next session").click()
    expect(page.get_by_text("It is on your agenda for your next session")).to_be_visible()
    expect(page.get_by_text("Private check-in")).to_be_visible()
    expect(page.get_by_text(CHECK_IN)).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, supervisor)
    page.get_by_role("link", name="Supervision").first.click()
    page.get_by_role("link", name=str(coach)).click()
    expect(page.get_by_role("heading", name=f"This week with {coach}")).to_be_visible()
    expect(page.get_by_text("Private check-in")).to_be_visible()
    expect(page.get_by_text(CHECK_IN)).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, colleague)
    page.goto(f"{live_server.url}/supervision/queue/{coach.pk}/")
    expect(page.get_by_role("heading", name=f"This week with {coach}")).to_be_visible()
    expect(page.get_by_text(CHECK_IN)).to_have_count(0)
