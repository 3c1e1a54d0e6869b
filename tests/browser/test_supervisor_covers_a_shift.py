"""On a phone, a supervisor sees that a colleague away sick leaves hours of the rota with no one on call, and covers
them herself: big date and time fields in the program's time, and the rota shows the cover."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from recovery_program.audit import Actor
from supervision.models import ShiftCover
from supervision.services import unavailability_add
from tests.browser.test_supervisor_enrolls import _log_in
from tests.factories import UserFactory, add_shift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_YORK = ZoneInfo("America/New_York")
TARGET = 44


@pytest.fixture(autouse=True)
def _new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def test_a_supervisor_covers_the_hours_of_a_colleague_away(live_server, page: Page, program, supervisor):
    colleague = UserFactory(
        username="super_b", first_name="June", last_name="Okafor", program=program, role="supervisor"
    )
    third = UserFactory(username="super_c", first_name="Ada", last_name="Nwosu", program=program, role="supervisor")
    starts = datetime.datetime(2027, 3, 3, 17, 0, tzinfo=NEW_YORK)  # Wednesday 5 pm
    shift = add_shift(program, colleague, third, starts, starts + datetime.timedelta(hours=16))
    unavailability_add(actor=Actor(colleague, None), starts_on=starts.date(), ends_on=starts.date(), reason="sick")

    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/supervision/on-call/")
    gap = page.get_by_text("No one on call from Wed Mar 3, 5:00 p.m. to Thu Mar 4, 12:00 a.m.: needs cover")
    expect(gap).to_be_visible()
    page.get_by_role("link", name="Cover", exact=True).tap()

    expect(page.get_by_role("heading", name="Cover a shift")).to_be_visible()
    page.get_by_label("Who covers").select_option(label=str(supervisor))
    for label, value in (("From", "2027-03-03T17:00"), ("Until", "2027-03-04T00:00")):
        field = page.locator("main").get_by_label(label)
        # Measured once the style sheet has applied: under `make test-clock`, after another browser test, Chromium
        # was seen measuring the field before its (revalidated) style sheet applied, then styling it a moment later.
        expect(field).to_have_css("min-height", "44px")
        box = field.bounding_box()
        assert box is not None
        assert box["height"] >= TARGET, (label, box)
        assert box["width"] >= 390 - 80, (label, box)  # the card's width on the phone
        field.fill(value)
    expect(page.get_by_text("In the program's time, America/New York.").first).to_be_visible()
    page.get_by_role("button", name="Save the cover").tap()

    expect(page.get_by_text(f"{supervisor} covers those hours.")).to_be_visible()
    expect(page.get_by_text("Covered by")).to_contain_text(str(supervisor))
    expect(gap).to_have_count(0)
    cover = ShiftCover.objects.get()
    assert (cover.shift_id, cover.substitute_id) == (shift.pk, supervisor.pk)
    assert cover.ends_at == datetime.datetime(2027, 3, 4, 0, 0, tzinfo=NEW_YORK)
