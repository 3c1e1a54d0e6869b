"""A supervisor enrolls a patient from her phone and gives her a coach; only that coach sees her."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username or e-mail").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {user.first_name}")).to_be_visible()
    # Its style sheet and scripts too: a test that types or tabs at once must find them working (CI is slow).
    page.wait_for_load_state("load")


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_supervisor_enrolls_a_patient_for_coach_and_only_she_sees_her(
    live_server, page: Page, supervisor, coach, other_coach
):
    _log_in(page, live_server.url, supervisor)
    page.get_by_role("link", name="Enroll a patient").first.click()

    page.get_by_label("Legal name").fill("Odette Lark")
    page.get_by_label("Preferred name").fill("Odie")
    page.get_by_label("Date of birth").fill("1994-09-03")
    page.get_by_label("Phone").fill("603-555-0166")
    page.get_by_label("OK to send a text").check()
    page.get_by_label("Estimated due date").fill((timezone.localdate() + datetime.timedelta(days=100)).isoformat())
    page.get_by_label("Coach").select_option(label=str(coach))
    page.get_by_role("button", name="Enroll her").click()

    expect(page.get_by_role("heading", name="Odie (Odette Lark)")).to_be_visible()
    expect(page.get_by_text("Odie (Odette Lark) is enrolled.")).to_be_visible()
    expect(page.get_by_text(f"{coach}, since")).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, coach)
    page.get_by_role("link", name="My caseload").first.click()
    expect(page.get_by_role("link", name="Odie (Odette Lark)")).to_be_visible()
    _log_out(page)

    _log_in(page, live_server.url, other_coach)
    page.get_by_role("link", name="My caseload").first.click()
    expect(page.get_by_text("No patients match")).to_be_visible()
    expect(page.get_by_text("Odette")).to_have_count(0)


def test_a_mistake_in_the_enroll_form_is_explained_and_nothing_typed_is_lost(live_server, page: Page, supervisor):
    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/patients/enroll/")
    page.get_by_label("Legal name").fill("Odette Lark")
    page.get_by_label("Date of birth").fill("1994-09-03")
    page.get_by_label("Estimated due date").fill("2019-02-01")
    page.get_by_label("Safe contact notes").fill("Only after 6 pm.")
    page.get_by_role("button", name="Enroll her").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved yet")
    mistake = "This due date is more than a month ago"
    expect(page.get_by_role("alert").get_by_role("link", name=re.compile(mistake))).to_be_visible()
    expect(page.get_by_text(mistake)).to_have_count(2)  # in the summary at the top, and next to the field
    expect(page.get_by_label("Legal name")).to_have_value("Odette Lark")
    expect(page.get_by_label("Safe contact notes")).to_have_value("Only after 6 pm.")
