"""Each role's main pages, and a form shown with its errors, pass axe-core's WCAG 2 A and AA rules.

axe-core is vendored for the tests (tests/browser/vendor/, with its licence; no CDN) and run in the page through
Playwright, which evaluates it outside the page's Content-Security-Policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import add_appointment, add_reminder, share_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa"]


def _violations(page: Page) -> list[str]:
    """What axe finds on the page as it is now: one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", RULES
    )
    return [
        f"{page.url}: {violation['id']} ({violation['help']}) at {node['target']}: {node['failureSummary']}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


def _pages(role: str, *, patient, concern, coach) -> list[str]:
    common = [
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:detail", kwargs={"pk": patient.pk}),
        reverse("coaching:concern_list"),
        reverse("coaching:concern_detail", kwargs={"pk": concern.pk}),
    ]
    if role == "coach":
        return [
            *common,
            reverse("coaching:encounter_new"),
            reverse("coaching:concern_new"),
            reverse("coaching:encounter_list"),
            reverse("supervision:agenda_add"),
            reverse("supervision:reach"),
            reverse("staff:my_training"),
            reverse("coaching:week"),
            reverse("coaching:appointment_new"),
            reverse("coaching:reminder_new"),
        ]
    if role == "supervisor":
        return [
            *common,
            reverse("supervision:rota"),
            reverse("supervision:queues"),
            reverse("supervision:queue", kwargs={"coach_pk": coach.pk}),
            reverse("supervision:weeks"),
            reverse("coaching:coach_week", kwargs={"pk": coach.pk}),
            reverse("overview") + "?all=1",
            reverse("exports"),
            reverse("patients:enroll"),
            reverse("referrals:referral_new", kwargs={"patient_pk": patient.pk}),
            reverse("staff:list"),
            reverse("staff:my_training"),
        ]
    return [
        reverse("home"),
        reverse("staff:list"),
        reverse("staff:detail", kwargs={"pk": coach.pk}),
        reverse("staff:new"),
        reverse("staff:training", kwargs={"pk": coach.pk}),
        reverse("staff:compliance"),
        reverse("program_figures"),
        reverse("staff:training_kinds"),
        reverse("staff:program"),
        reverse("coaching:resources"),
        reverse("supervision:rota"),
    ]


@pytest.mark.parametrize("role", ["coach", "supervisor", "admin"])
def test_main_pages_have_no_accessibility_violations(live_server, page: Page, role, coach, supervisor, admin, patient):
    concern = share_concern(coach, patient, category="housing", description="Eviction notice.", urgency="routine")
    add_appointment(coach, patient, note="Bring the letter.")  # her week, with something in it
    add_reminder(coach, patient)
    user = {"coach": coach, "supervisor": supervisor, "admin": admin}[role]
    _log_in(page, live_server.url, user)
    found = []
    for path in _pages(role, patient=patient, concern=concern, coach=coach):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None, path
        assert response.status == 200, path
        found += _violations(page)
    assert found == [], "\n".join(found)


def test_a_form_with_errors_has_no_violations_and_its_summary_takes_focus(live_server, page: Page, coach, patient):
    _log_in(page, live_server.url, coach)
    page.goto(f"{live_server.url}{reverse('coaching:encounter_new')}")
    page.get_by_role("button", name="Save encounter").click()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Pick at least one person who was there.")).to_be_visible()
    assert _violations(page) == []

    summary.get_by_role("link", name="Pick at least one person who was there.").click()
    expect(page.get_by_role("checkbox", name=str(patient))).to_be_focused()

    # A form of radio buttons: its summary leads to the first button of the group.
    page.goto(f"{live_server.url}{reverse('coaching:concern_new')}")
    page.get_by_role("button", name="Share with my supervisor").click()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_focused()
    assert _violations(page) == []
    summary.get_by_role("link", name="Choose what it is about.").click()
    expect(page.get_by_role("group", name=re.compile("^What it is about")).get_by_role("radio").first).to_be_focused()


def test_the_login_page_with_a_mistake_has_no_violations(live_server, page: Page):
    page.goto(f"{live_server.url}{reverse('login')}")
    assert _violations(page) == []
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Type your username or e-mail address.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
    assert _violations(page) == []
