"""At the Family Resource Center, on her phone: a coach reads what the woman agreed may be shared, and records
what she told the front desk, by the labels she sees."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from referrals.models import Disclosure
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import ConsentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coach_reads_what_she_may_say_and_records_what_she_told(live_server, page: Page, coach, patient):
    ConsentFactory(patient=patient, recipient="Harbor Family Resource Center", information_scope="That she attends")
    _log_in(page, live_server.url, coach)
    page.goto(live_server.url + reverse("patients:detail", args=[patient.pk]))
    summary = page.get_by_role("region", name="What she has agreed we may share")
    expect(summary).to_contain_text("Harbor Family Resource Center")
    expect(summary).to_contain_text("What: That she attends")

    summary.get_by_role("link", name="I told someone about her in person").tap()
    page.get_by_label("Who you told: the place or organization").fill("Harbor Family Resource Center")
    page.get_by_label("What you said about her").fill("That she comes to group every week")
    page.get_by_label("Why you told them").fill("A place in the parenting class")
    page.get_by_label("She agreed in writing (her consent)").check()
    page.get_by_label("Her consent that names them").select_option(index=1)
    page.get_by_role("button", name="Record it").tap()

    expect(page.get_by_text("Recorded in her accounting of disclosures. Your supervisor is told.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than her phone
    assert Disclosure.objects.get().in_person
