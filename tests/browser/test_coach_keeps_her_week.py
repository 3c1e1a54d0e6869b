"""On a phone: a coach adds an appointment she will go to with a woman, then logs it in one tap from her week."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from coaching.models import Appointment, AppointmentStatus
from tests.browser.test_pages_are_accessible import _violations
from tests.browser.test_supervisor_enrolls import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _violations(page) == []


def test_coach_adds_an_appointment_then_logs_it(live_server, page: Page, coach, patient):
    # The afternoon of today in her program's zone (a visit an hour ago is on today's page whatever the hour the
    # suite runs: just after midnight, an hour ago was yesterday, off her week). The browser's clock is its own.
    afternoon = timezone.localtime(timezone.now(), coach.program.zone).replace(hour=15, minute=0, second=0)
    with time_machine.travel(afternoon, tick=True):
        # An hour ago: the visit is over, so its encounter can be logged.
        started = afternoon - datetime.timedelta(hours=1)
        _log_in(page, live_server.url, coach)
        page.get_by_role("link", name="Add an appointment").first.click()
        _fits_the_phone(page)
        page.get_by_label("With").select_option(str(patient.pk))
        page.get_by_label("Where to").select_option("court")
        page.get_by_label("Day").fill(started.date().isoformat())
        page.get_by_label("Time").fill(started.strftime("%H:%M"))
        page.get_by_label("Place").fill("County courthouse")
        page.get_by_role("button", name="Add it to my week").click()

        expect(page.get_by_text("Appointment added.")).to_be_visible()
        expect(page.get_by_text("Court with Roz")).to_be_visible()
        _fits_the_phone(page)
        page.get_by_role("link", name="Log it").click()

        expect(page.get_by_text("Saving marks it done.")).to_be_visible()
        expect(page.get_by_label("Place")).to_have_value("County courthouse")
        page.get_by_label("What happened").fill("Sat with her through the hearing; it moved to April.")
        page.get_by_role("button", name="Save encounter").click()

        expect(page.get_by_text("Encounter saved.")).to_be_visible()
        appointment = Appointment.objects.get()
        assert appointment.status == AppointmentStatus.DONE
        assert appointment.encounter is not None
