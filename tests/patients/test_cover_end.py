"""A supervisor ends a cover before its last day: the covering coach's access stops at once, the cover stays."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients import permissions
from patients.models import CoverGrant
from patients.services import cover_end, cover_give
from recovery_program.audit import Actor
from recovery_program.models import AccessLog

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, noon in New York; Mara covers Nell's caseload Tuesday to Friday.
TUESDAY_NOON = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
TUESDAY, FRIDAY = datetime.date(2026, 12, 1), datetime.date(2026, 12, 4)


@pytest.fixture(autouse=True)
def _new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def clock():
    with time_machine.travel(TUESDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cover(supervisor, coach, other_coach, other_patient, clock):
    return cover_give(
        actor=Actor(supervisor, None), covering=coach, covered=other_coach, starts_on=TUESDAY, ends_on=FRIDAY
    )


def _sees(user, patient) -> bool:
    return permissions.patients_visible_to(user).filter(pk=patient.pk).exists()


def test_ending_a_cover_early_stops_access_at_once_and_keeps_the_cover(
    client_for, supervisor, coach, other_coach, other_patient, cover
):
    assert _sees(coach, other_patient)
    client = client_for(supervisor)
    response = client.post(reverse("patients:cover_end", args=[cover.pk]))
    assert response.status_code == 302
    assert not _sees(coach, other_patient)
    assert _sees(other_coach, other_patient)
    cover.refresh_from_db()
    assert cover.ended_early_by == supervisor
    assert cover.ended_early_at == TUESDAY_NOON
    assert cover.ends_on == FRIDAY  # what was given stays as given
    assert AccessLog.objects.filter(user=supervisor, patient=other_patient, record_type="cover").count() == 2
    page = client.get(reverse("patients:cover")).content.decode()
    assert "ended early" in page
    assert "End this cover now" not in page
    assert client_for(coach).get(reverse("patients:detail", args=[other_patient.pk])).status_code == 404
    # Both coaches' home pages say so.
    assert (
        "Your cover of Nell Rowe's caseload was ended early" in client_for(coach).get(reverse("home")).content.decode()
    )
    nell = client_for(other_coach).get(reverse("home")).content.decode()
    assert "Mara Quill's cover of your caseload was ended early" in nell


def test_a_cover_ended_once_is_not_ended_again(client_for, supervisor, cover):
    cover_end(actor=Actor(supervisor, None), cover=cover)
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(supervisor, None), cover=cover)
    assert client_for(supervisor).post(reverse("patients:cover_end", args=[cover.pk])).status_code == 404


def test_a_cover_over_is_not_ended(client_for, supervisor, cover, clock):
    clock.move_to(datetime.datetime(2026, 12, 6, 17, 0, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(supervisor, None), cover=cover)
    assert client_for(supervisor).post(reverse("patients:cover_end", args=[cover.pk])).status_code == 404


def test_only_a_supervisor_of_the_program_ends_a_cover(
    client_for, client, coach, other_coach, admin, outside_supervisor, other_patient, cover
):
    url = reverse("patients:cover_end", args=[cover.pk])
    for outsider in (coach, other_coach, admin, outside_supervisor):
        assert client_for(outsider).post(url).status_code == 404
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(outside_supervisor, None), cover=cover)
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(coach, None), cover=cover)
    assert _sees(coach, other_patient)
    client.logout()
    assert client.post(url)["Location"].startswith("/login/")
    assert client_for(CoverGrant.objects.get().created_by).get(url).status_code == 405


def test_the_database_wants_who_ended_it(cover):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverGrant.objects.filter(pk=cover.pk).update(ended_early_at=TUESDAY_NOON)
