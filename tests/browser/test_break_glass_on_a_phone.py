"""At night, a woman of another supervisor's coach is in danger: the supervisor on call opens her record from her
phone, reads it, and the backup reviews it the next morning."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from playwright.sync_api import Page, expect

from patients.models import BreakGlass
from recovery_program.audit import Actor
from recovery_program.models import OutboundMessage
from supervision.services import supervision_assign
from tests.browser.test_supervisor_enrolls import _log_in, _log_out
from tests.factories import PatientFactory, UserFactory, add_shift, on_caseload_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONIGHT = datetime.datetime(2027, 3, 3, 3, 0, tzinfo=datetime.UTC)  # 10 pm in New York, a Tuesday


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.EMAIL_BACKEND = "recovery_program.messaging.OutboxEmailBackend"
    settings.TIME_ZONE = "America/New_York"


def test_the_supervisor_on_call_opens_a_record_and_another_reviews_it(
    live_server, page: Page, program, supervisor, other_coach, admin, celery_eager
):
    program.supervisors_see_all = False
    program.save(update_fields=["supervisors_see_all"])
    backup = UserFactory(username="backup_b", first_name="June", last_name="Okafor", program=program, role="supervisor")
    supervision_assign(
        actor=Actor(admin, None), coach=other_coach, supervisor=backup, started_on=datetime.date(2026, 1, 1)
    )
    woman = PatientFactory(
        program=program, legal_name="Marisol Keane", date_of_birth=datetime.date(1996, 4, 9), clinical_provider=backup
    )
    on_caseload_of(woman, other_coach, started_on=datetime.date(2026, 1, 2))
    add_shift(program, supervisor, backup, TONIGHT - datetime.timedelta(hours=5), TONIGHT + datetime.timedelta(hours=9))

    with time_machine.travel(TONIGHT, tick=True) as clock:
        _log_in(page, live_server.url, supervisor)
        page.get_by_role("link", name="Open a record in an emergency").click()
        page.get_by_label("Her legal name").fill("marisol keane")
        page.get_by_label("Her date of birth").fill("1996-04-09")
        page.get_by_label("Why you are opening it").fill(
            "Her mother called: overdose; coach and supervisor not answering"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        button = page.get_by_role("button", name="Open her record")
        assert button.bounding_box()["height"] >= 44
        button.click()
        expect(page.get_by_text(re.compile(r"Her record is open to you until"))).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("Marisol|Keane"))).to_be_visible()
        _log_out(page)

        told = OutboundMessage.objects.get(to=backup.email)
        assert "overdose" not in told.body
        assert "Marisol" not in told.body

        clock.move_to(TONIGHT + datetime.timedelta(hours=10))
        _log_in(page, live_server.url, backup)
        page.get_by_role("link", name="Review it").click()
        expect(page.get_by_text("overdose")).to_be_visible()
        page.get_by_label("Your review").fill("Needed: she was taken to the hospital.")
        page.get_by_role("button", name="Record my review").click()
        expect(page.get_by_text("Your review is recorded.")).to_be_visible()
        assert urlparse(page.url).path.startswith("/supervision/break-glass/")
    assert BreakGlass.objects.get().reviewed_by == backup
