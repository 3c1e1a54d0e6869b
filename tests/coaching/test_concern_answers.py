"""A coach is told when a supervisor answers her concern: a new note shows on her home page and in her concern
list until she opens the concern."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, transaction
from django.urls import reverse

from coaching.models import ConcernNoteSeen
from coaching.services import concern_add_note, concern_close
from recovery_program.audit import Actor
from tests.factories import share_concern

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(coach, supervisor, patient):
    concern = share_concern(coach, patient)
    concern_add_note(actor=Actor(supervisor, None), concern=concern, text="Call me after group today.")
    return concern


def test_a_new_note_shows_on_her_home_page_and_list_until_she_opens_the_concern(client_for, coach, answered):
    client = client_for(coach)
    assert "Your supervisor answered: 1 new note" in client.get(reverse("home")).content.decode()
    assert "1 new note from your supervisor" in client.get(reverse("coaching:concern_list")).content.decode()

    client.get(reverse("coaching:concern_detail", args=[answered.pk]))

    assert "Your supervisor answered" not in client.get(reverse("home")).content.decode()
    assert "new note" not in client.get(reverse("coaching:concern_list")).content.decode()


def test_a_later_note_is_new_again(client_for, coach, supervisor, answered):
    client = client_for(coach)
    client.get(reverse("coaching:concern_detail", args=[answered.pk]))
    concern_close(actor=Actor(supervisor, None), concern=answered, reason="Referred", note_to_coach="Thank you.")
    assert "1 new note" in client.get(reverse("home")).content.decode()


def test_a_supervisor_opening_it_does_not_mark_it_seen_for_the_coach(client_for, coach, supervisor, answered):
    client_for(supervisor).get(reverse("coaching:concern_detail", args=[answered.pk]))
    assert not ConcernNoteSeen.objects.exists()
    assert "1 new note" in client_for(coach).get(reverse("home")).content.decode()


def test_another_coach_is_told_nothing(client_for, other_coach, answered):
    assert "new note" not in client_for(other_coach).get(reverse("home")).content.decode()


def test_the_mark_is_written_once(coach, answered, client_for):
    client_for(coach).get(reverse("coaching:concern_detail", args=[answered.pk]))
    with pytest.raises(ProgrammingError), transaction.atomic():
        ConcernNoteSeen.objects.all().delete()


def test_home_and_list_queries_do_not_grow_with_notes(
    client_for, coach, supervisor, patient, django_assert_max_num_queries
):
    client = client_for(coach)
    counts = {}
    for size in (1, 8):
        for _ in range(size):
            concern = share_concern(coach, patient)
            concern_add_note(actor=Actor(supervisor, None), concern=concern, text="Noted.")
        for url in (reverse("home"), reverse("coaching:concern_list")):
            with django_assert_max_num_queries(100) as captured:
                client.get(url)
            counts.setdefault(url, []).append(len(captured))
    assert all(small == large for small, large in counts.values()), counts


def test_her_list_stays_newest_first(client_for, coach, patient, answered):
    later = share_concern(coach, patient)
    page = client_for(coach).get(reverse("coaching:concern_list")).context["page"]
    assert [concern.pk for concern in page] == [later.pk, answered.pk]
