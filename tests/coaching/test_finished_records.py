"""An encounter marked entered in error and a closed concern are finished: the services refuse more, whoever asks
(the pages hide the links, but a link is no rule)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from coaching import services
from coaching.models import Addendum, ConcernNote, ConcernStatus
from recovery_program.audit import Actor
from supervision.models import Page, PageStep
from tests.factories import log_encounter, share_concern

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 11, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def in_error(coach, patient):
    encounter = log_encounter(coach, [patient], summary="Wrong patient's visit")
    return services.encounter_mark_in_error(actor=Actor(coach, None), encounter=encounter, reason="Wrong patient")


@pytest.fixture
def closed(coach, supervisor, patient):
    concern = share_concern(coach, patient)
    return services.concern_close(actor=Actor(supervisor, None), concern=concern, reason="Talked with her")


def test_an_encounter_entered_in_error_takes_no_addendum(coach, in_error):
    with pytest.raises(ValidationError, match="entered in error"):
        services.encounter_add_addendum(actor=Actor(coach, None), encounter=in_error, text="One more thing")
    assert not Addendum.objects.exists()


def test_an_encounter_cannot_be_marked_entered_in_error_twice(coach, in_error):
    with pytest.raises(ValidationError, match="already marked entered in error"):
        services.encounter_mark_in_error(actor=Actor(coach, None), encounter=in_error, reason="Another reason")
    in_error.refresh_from_db()
    assert in_error.entered_in_error_reason == "Wrong patient"


def test_an_encounter_entered_in_error_cannot_be_changed_even_within_72_hours(coach, patient, in_error):
    with pytest.raises(ValidationError, match="entered in error"):
        services.encounter_update(
            actor=Actor(coach, None),
            encounter=in_error,
            fields={"summary": "Rewritten"},
            patients=[patient],
            resources=[],
        )
    in_error.refresh_from_db()
    assert in_error.summary == "Wrong patient's visit"


def test_a_closed_concern_cannot_be_closed_again(supervisor, closed):
    with pytest.raises(ValidationError, match="already closed"):
        services.concern_close(actor=Actor(supervisor, None), concern=closed, reason="Second thoughts")
    closed.refresh_from_db()
    assert closed.close_reason == "Talked with her"


def test_a_closed_concern_takes_no_closing_note_to_the_coach(supervisor, closed):
    with pytest.raises(ValidationError, match="already closed"):
        services.concern_close(actor=Actor(supervisor, None), concern=closed, reason="Again", note_to_coach="Hello")
    assert not ConcernNote.objects.exists()


def test_a_closed_concern_takes_no_note(supervisor, closed):
    with pytest.raises(ValidationError, match="already closed"):
        services.concern_add_note(actor=Actor(supervisor, None), concern=closed, text="One more thought")
    assert not ConcernNote.objects.exists()


def test_a_closed_concern_cannot_be_marked_seen(supervisor, closed):
    with pytest.raises(ValidationError, match="already closed"):
        services.concern_acknowledge(actor=Actor(supervisor, None), concern=closed)
    closed.refresh_from_db()
    assert closed.status == ConcernStatus.CLOSED


def test_marking_an_open_concern_seen_twice_changes_nothing(supervisor, coach, patient):
    concern = share_concern(coach, patient)
    first = services.concern_acknowledge(actor=Actor(supervisor, None), concern=concern)
    again = services.concern_acknowledge(actor=Actor(supervisor, None), concern=concern)
    assert (again.status, again.acknowledged_at) == (ConcernStatus.SEEN, first.acknowledged_at)


# The pages say so, next to the form or at the top of the concern's page, and keep nothing half-done.


def test_the_addendum_page_says_the_encounter_is_entered_in_error(client_for, coach, in_error):
    response = client_for(coach).post(reverse("coaching:encounter_addendum", args=[in_error.pk]), {"text": "More"})
    assert response.status_code == 200
    assert "marked entered in error" in response.content.decode()
    assert not Addendum.objects.exists()


def test_the_entered_in_error_page_says_it_is_already_marked(client_for, coach, in_error):
    response = client_for(coach).post(reverse("coaching:encounter_error", args=[in_error.pk]), {"reason": "Again"})
    assert response.status_code == 200
    assert "already marked entered in error" in response.content.decode()


def test_the_change_page_of_an_encounter_entered_in_error_leads_back_to_it(client_for, coach, in_error):
    response = client_for(coach).get(reverse("coaching:encounter_edit", args=[in_error.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("coaching:encounter_detail", args=[in_error.pk])
    assert "marked entered in error" in response.content.decode()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("concern_acknowledge", {}),
        ("concern_note", {"text": "One more thought"}),
        ("concern_close", {"reason": "Second thoughts"}),
    ],
)
def test_the_concern_page_says_a_closed_concern_is_closed(client_for, supervisor, closed, action, data):
    response = client_for(supervisor).post(reverse(f"coaching:{action}", args=[closed.pk]), data, follow=True)
    # Marking it seen goes back to its page; what she wrote stays on the page, with the refusal above it.
    if not data:
        assert response.redirect_chain[-1][0] == reverse("coaching:concern_detail", args=[closed.pk])
    assert "This concern is already closed" in response.content.decode()
    for text in data.values():
        assert text in response.content.decode()
    assert not ConcernNote.objects.exists()


def test_i_have_it_on_a_page_about_a_concern_closed_since_says_it_is_closed(client_for, supervisor, closed):
    page = Page.objects.create(concern=closed, step=PageStep.FIRST, recipient=supervisor, channel=Page.Channel.EMAIL)
    response = client_for(supervisor).post(reverse("supervision:page", args=[page.pk]), follow=True)
    # She stays on the on-call page of the concern, which says it was closed.
    assert response.redirect_chain[-1][0] == reverse("supervision:on_call", args=[closed.pk])
    assert "This concern is already closed" in response.content.decode()
