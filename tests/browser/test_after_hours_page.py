"""After hours, a coach shares an urgent concern; the on-call supervisor is paged; nobody answers; fifteen
minutes later the backup is paged and acknowledges from the link in her message."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from playwright.sync_api import Page, expect

from recovery_program.models import OutboundMessage
from supervision import paging
from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import UserFactory, add_shift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONIGHT = datetime.datetime(2027, 3, 3, 3, 0, tzinfo=datetime.UTC)  # 10 pm in New York, a Tuesday


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.SMS_BACKEND = "recovery_program.messaging.OutboxSMSBackend"
    settings.EMAIL_BACKEND = "recovery_program.messaging.OutboxEmailBackend"
    settings.TIME_ZONE = "America/New_York"


def test_urgent_after_hours_escalates_to_the_backup_who_acknowledges(
    live_server, page: Page, coach, supervisor, patient, program, celery_eager
):
    backup = UserFactory(
        username="backup_b",
        first_name="June",
        last_name="Okafor",
        program=program,
        role="supervisor",
        phone="603-555-0178",
    )
    add_shift(program, supervisor, backup, TONIGHT - datetime.timedelta(hours=5), TONIGHT + datetime.timedelta(hours=9))

    with time_machine.travel(TONIGHT, tick=True) as clock:
        _log_in(page, live_server.url, coach)
        page.get_by_role("link", name="Reach a supervisor now").click()
        expect(page.get_by_role("heading", name="On call now")).to_be_visible()
        expect(page.get_by_text(str(supervisor))).to_be_visible()

        page.goto(f"{live_server.url}/coaching/concerns/new/")
        page.get_by_label("About").select_option(label=patient.display_name)
        page.get_by_label("Mental health or suicide risk").check()
        page.get_by_label("What you saw or heard").fill("She says she cannot keep herself safe tonight.")
        page.get_by_label("Urgent: a supervisor must act now").check()
        page.get_by_role("button", name="Share with my supervisor").click()
        expect(page.get_by_text("Shared with your supervisor")).to_be_visible()
        _log_out(page)

        assert {m.to for m in OutboundMessage.objects.all()} == {supervisor.email, supervisor.phone}

        clock.move_to(TONIGHT + datetime.timedelta(minutes=16))
        paging.sweep()  # what Celery beat runs every minute
        to_backup = OutboundMessage.objects.filter(to=backup.email).get()
        assert "A concern needs you now" in to_backup.body
        assert "cannot keep herself safe" not in to_backup.body
        link = re.search(r"https?://\S+", to_backup.body).group(0)

        _log_in(page, live_server.url, backup)
        page.goto(live_server.url + urlparse(link).path)
        expect(page.get_by_role("heading", name="A concern needs you now")).to_be_visible()
        # The on-call page, on a phone: the coach a tap away, how to reach the patient safely, and nothing wider
        # than the screen.
        expect(page.get_by_role("link", name=re.compile(r"Call her"))).to_have_attribute("href", f"tel:{coach.phone}")
        expect(page.get_by_role("heading", name=re.compile(r"Reaching .* safely"))).to_be_visible()
        expect(page.get_by_text("cannot keep herself safe tonight")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        call = page.get_by_role("link", name=re.compile(r"Call her")).bounding_box()
        assert call["height"] >= 44
        assert call["width"] >= 300
        page.get_by_role("button", name="I have it").click()
        expect(page.get_by_text("Thank you: you have it.")).to_be_visible()
        expect(page.get_by_text("Seen by a supervisor")).to_be_visible()

        clock.move_to(TONIGHT + datetime.timedelta(minutes=40))
        assert paging.sweep()["escalated"] == 0
