"""On her phone, a supervisor discharges a woman, seeing what is still open about her, then re-enrolls her."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_discharges_a_woman_seeing_what_is_open_then_re_enrolls_her(
    live_server, page: Page, supervisor, coach, patient
):
    share_concern(coach, patient, description="She said she might leave town.")
    assert page.viewport_size == {"width": 390, "height": 844}
    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Discharge her").click()

    expect(page.get_by_role("heading", name="Still open about her")).to_be_visible()
    expect(page.get_by_role("group", name="Concern: Return to use")).to_be_visible()
    page.get_by_label("Why she leaves").select_option(label="Moved away")
    page.get_by_label("A short summary of her time in the program").fill("Moved to Maine; linked with a program there.")
    page.get_by_label("Close it now").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="What will happen")).to_be_visible()
    expect(page.get_by_text("1 open item is closed.")).to_be_visible()
    page.get_by_role("button", name="Discharge her").click()

    expect(page.get_by_text("is discharged. Her record stays.")).to_be_visible()
    expect(page.locator("#course-status")).to_contain_text("Discharged on")
    expect(page.locator("#course-status")).to_contain_text("Moved away")

    page.get_by_role("link", name="Re-enroll her").click()
    page.get_by_role("button", name="Re-enroll her").click()
    expect(page.get_by_text("She is enrolled again. Record the consent she signs for this time next.")).to_be_visible()
    expect(page.get_by_role("heading", name="Record a consent")).to_be_visible()
