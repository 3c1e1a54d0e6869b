"""The encounter list pages through years of a program's encounters by keyset: Older and Newer, and a date to
start from; every row once, in order, whatever is typed into the address."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching.models import Encounter
from tests.factories import log_encounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(coach, patient):
    """60 encounters, an hour apart, three of them at the same moment (ties broken by id)."""
    now = timezone.now()
    moments = [now - datetime.timedelta(hours=hours) for hours in range(1, 58)] + [
        now - datetime.timedelta(hours=30)
    ] * 3
    for moment in moments:
        log_encounter(coach, [patient], occurred_at=moment)
    return list(Encounter.objects.order_by("-occurred_at", "-pk").values_list("pk", flat=True))


def _walk(client, start: str, link: str) -> tuple[list[int], list[str]]:
    seen, pages, query = [], [], start
    while True:
        page = client.get(reverse("coaching:encounter_list") + query).context["page"]
        seen += [encounter.pk for encounter in page]
        pages.append(query)
        following = getattr(page, link)
        if not following:
            return seen, pages
        query = "?" + following


def test_older_walks_every_encounter_once_newest_first_and_newer_walks_back(client_for, coach, logged):
    client = client_for(coach)
    seen, pages = _walk(client, "", "older")
    assert seen == logged
    assert len(pages) == 3  # 25 + 25 + 10

    last = client.get(reverse("coaching:encounter_list") + pages[-1]).context["page"]
    back, _ = _walk(client, "?" + last.newer, "newer")
    assert back == logged[25:50] + logged[:25]


def test_the_pages_say_newer_and_older(client_for, coach, logged):
    client = client_for(coach)
    first = client.get(reverse("coaching:encounter_list"))
    html = first.content.decode()
    assert 'rel="next">Older</a>' in html
    assert "Newer</a>" not in html
    second = client.get(reverse("coaching:encounter_list") + "?" + first.context["page"].older)
    assert [e.pk for e in second.context["page"]] == logged[25:50]
    assert "Newer</a>" in second.content.decode()


def test_a_date_starts_the_list_at_the_end_of_that_day_in_the_programs_zone(client_for, coach, patient):
    zone = timezone.get_current_timezone()
    day = timezone.localdate() - datetime.timedelta(days=5)
    late = datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=zone)
    next_morning = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 30), tzinfo=zone)
    with_late = log_encounter(coach, [patient], occurred_at=late)
    log_encounter(coach, [patient], occurred_at=next_morning)
    page = client_for(coach).get(reverse("coaching:encounter_list"), {"until": day.isoformat()}).context["page"]
    assert [e.pk for e in page] == [with_late.pk]


def test_a_date_that_is_no_date_is_said_next_to_the_field(client_for, coach, logged):
    response = client_for(coach).get(reverse("coaching:encounter_list"), {"until": "31/03/2026<b>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Type a date like 2026-03-31" in html
    assert "31/03/2026&lt;b&gt;" in html
    assert len(response.context["page"]) == 25


@pytest.mark.parametrize(
    "query",
    ["?older=garbage", "?older=2026-01-01T00:00:00_", "?newer=_12", "?older=2026-01-01_9", "?older=9999-99-99T99_1"],
)
def test_a_position_edited_by_hand_shows_the_first_page(client_for, coach, logged, query):
    response = client_for(coach).get(reverse("coaching:encounter_list") + query)
    assert response.status_code == 200
    assert [e.pk for e in response.context["page"]] == logged[:25]


def test_the_filters_ride_along_on_the_page_links(client_for, supervisor, coach, patient, logged):
    page = (
        client_for(supervisor)
        .get(reverse("coaching:encounter_list"), {"patient": patient.pk, "coach": coach.pk})
        .context["page"]
    )
    assert f"patient={patient.pk}" in page.older
    assert f"coach={coach.pk}" in page.older
