"""Cover: a supervisor gives a coach another coach's caseload for dated days; it starts and ends by itself."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from coaching import permissions as coaching_permissions
from patients import permissions
from patients.models import CoverGrant
from patients.services import cover_end, cover_give
from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from tests.factories import PatientFactory, log_encounter, on_caseload_of, share_concern

pytestmark = pytest.mark.django_db

# Monday 30 November 2026, noon in New York; Ana (other_coach) is away Tuesday to Friday 4 December.
MONDAY = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
TUESDAY, FRIDAY = datetime.date(2026, 12, 1), datetime.date(2026, 12, 4)
TUESDAY_NOON = MONDAY + datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def away(supervisor, coach, other_coach, other_patient, clock):
    """Mara (coach) covers Nell's (other_coach) caseload from Tuesday to Friday."""
    return cover_give(
        actor=Actor(supervisor, None), covering=coach, covered=other_coach, starts_on=TUESDAY, ends_on=FRIDAY
    )


def _sees(user, patient) -> bool:
    return permissions.patients_visible_to(user).filter(pk=patient.pk).exists()


def test_the_cover_starts_and_ends_by_itself(client_for, coach, other_coach, other_patient, patient, away, clock):
    assert not _sees(coach, other_patient)  # Monday: not yet
    clock.move_to(MONDAY + datetime.timedelta(days=1))
    assert _sees(coach, other_patient)
    assert _sees(coach, patient)  # her own caseload stays
    client = client_for(coach)
    assert client.get(reverse("patients:detail", args=[other_patient.pk])).status_code == 200
    # Friday evening, in New York, she still covers; Saturday she does not.
    clock.move_to(datetime.datetime(2026, 12, 5, 4, 30, tzinfo=datetime.UTC))  # Friday 23:30 in New York
    assert _sees(coach, other_patient)
    clock.move_to(datetime.datetime(2026, 12, 5, 5, 30, tzinfo=datetime.UTC))  # Saturday 00:30
    assert not _sees(coach, other_patient)
    client.force_login(coach)
    assert client.get(reverse("patients:detail", args=[other_patient.pk])).status_code == 404
    # Nell keeps her caseload throughout.
    assert _sees(other_coach, other_patient)


def test_the_covering_coach_logs_and_shares_about_the_covered_women(coach, other_patient, away, clock):
    clock.move_to(MONDAY + datetime.timedelta(days=2))
    assert coaching_permissions.patients_for_logging(coach).filter(pk=other_patient.pk).exists()
    encounter = log_encounter(coach, [other_patient])
    assert encounter.coach == coach
    share_concern(coach, other_patient)


def test_a_woman_who_leaves_the_covered_caseload_leaves_the_cover(
    coach, other_coach, supervisor, other_patient, away, clock
):
    from patients.services import assignment_end

    clock.move_to(MONDAY + datetime.timedelta(days=1))
    assignment_end(actor=Actor(supervisor, None), patient=other_patient, ended_on=TUESDAY, reason="Moved")
    assert not _sees(coach, other_patient)


def test_both_coaches_see_it_on_their_home_pages(client_for, coach, other_coach, away, clock):
    page = client_for(coach).get(reverse("home")).content.decode()
    assert "You are covering Nell Rowe's caseload from Tuesday 1 December until Friday 4 December." in page
    page = client_for(other_coach).get(reverse("home")).content.decode()
    assert "Mara Quill is covering your caseload from Tuesday 1 December until Friday 4 December." in page
    clock.move_to(MONDAY + datetime.timedelta(days=6))
    client_for(coach)
    assert "covering" not in client_for(coach).get(reverse("home")).content.decode()


def test_giving_cover_is_logged_for_each_covered_woman(supervisor, other_patient, away):
    rows = AccessLog.objects.filter(user=supervisor, record_type="cover", record_id=str(away.pk))
    assert set(rows.values_list("patient_id", flat=True)) == {other_patient.pk}
    assert away.events.count() == 1  # its history


def test_the_supervisor_gives_cover_on_the_page_once(client_for, supervisor, coach, other_coach, clock):
    client = client_for(supervisor)
    assert client.get(reverse("patients:cover")).status_code == 200
    data = {
        "covered": other_coach.pk,
        "covering": coach.pk,
        "starts_on": TUESDAY.isoformat(),
        "ends_on": FRIDAY.isoformat(),
        FIELD: str(uuid.uuid4()),
    }
    first = client.post(reverse("patients:cover"), data)
    again = client.post(reverse("patients:cover"), data)
    assert first.status_code == again.status_code == 302
    assert CoverGrant.objects.count() == 1
    assert "Mara Quill covers Nell Rowe" in client.get(reverse("patients:cover")).content.decode()


def test_another_programs_supervisor_cannot_give_our_coaches_cover(
    client_for, outside_supervisor, coach, other_coach, away
):
    client = client_for(outside_supervisor)
    assert "Mara" not in client.get(reverse("patients:cover")).content.decode()
    data = {"covered": other_coach.pk, "covering": coach.pk, "starts_on": TUESDAY, "ends_on": FRIDAY}
    assert client.post(reverse("patients:cover"), data).status_code == 200
    with pytest.raises(ValidationError):
        cover_give(
            actor=Actor(outside_supervisor, None),
            covering=coach,
            covered=other_coach,
            starts_on=TUESDAY,
            ends_on=FRIDAY,
        )
    assert CoverGrant.objects.count() == 1


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_only_the_programs_supervisors_give_cover(request, client_for, who, coach, other_coach, clock):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("patients:cover")).status_code == 404
    with pytest.raises(ValidationError):
        cover_give(actor=Actor(user, None), covering=coach, covered=other_coach, starts_on=TUESDAY, ends_on=FRIDAY)
    assert not CoverGrant.objects.exists()


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (FRIDAY, TUESDAY),
        (datetime.date(2026, 11, 1), datetime.date(2026, 11, 20)),
        (TUESDAY, datetime.date(2027, 3, 1)),
    ],
)
def test_dates_that_make_no_cover_are_refused(supervisor, coach, other_coach, starts_on, ends_on, clock):
    with pytest.raises(ValidationError):
        cover_give(
            actor=Actor(supervisor, None), covering=coach, covered=other_coach, starts_on=starts_on, ends_on=ends_on
        )


def test_a_coach_does_not_cover_herself_nor_someone_outside(supervisor, coach, admin, outside_supervisor, clock):
    for covering, covered in ((coach, coach), (coach, admin), (coach, supervisor)):
        with pytest.raises(ValidationError):
            cover_give(
                actor=Actor(supervisor, None), covering=covering, covered=covered, starts_on=TUESDAY, ends_on=FRIDAY
            )


def test_the_database_holds_the_cover_together(supervisor, coach, other_coach, away):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverGrant.objects.create(
            program=coach.program,
            covering=coach,
            covered=coach,
            starts_on=TUESDAY,
            ends_on=FRIDAY,
            created_by=supervisor,
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        CoverGrant.objects.filter(pk=away.pk).delete()


def test_another_programs_coach_sees_nothing(client_for, outside_supervisor, other_patient, away, clock):
    clock.move_to(MONDAY + datetime.timedelta(days=1))
    outsider = PatientFactory(program=outside_supervisor.program, clinical_provider=outside_supervisor)
    assert not _sees(outside_supervisor, other_patient)
    assert client_for(outside_supervisor).get(reverse("patients:detail", args=[other_patient.pk])).status_code == 404
    assert outsider.pk


def test_the_covering_coachs_list_keeps_a_constant_number_of_queries(
    client_for, coach, other_coach, supervisor, away, clock, django_assert_max_num_queries
):
    clock.move_to(MONDAY + datetime.timedelta(days=1))
    client = client_for(coach)
    client.get(reverse("patients:list"))
    for index in range(5):
        on_caseload_of(
            PatientFactory(program=coach.program, clinical_provider=supervisor, legal_name=f"W{index}"), other_coach
        )
    with django_assert_max_num_queries(25):
        response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    assert "W4" in response.content.decode()


# Ending a cover before its last day: the covering coach's access stops at once; the cover stays.


def test_ending_a_cover_early_stops_access_at_once_and_keeps_the_cover(
    client_for, supervisor, coach, other_coach, other_patient, away, clock
):
    clock.move_to(TUESDAY_NOON)
    assert _sees(coach, other_patient)
    client = client_for(supervisor)
    response = client.post(reverse("patients:cover_end", args=[away.pk]))
    assert response.status_code == 302
    assert not _sees(coach, other_patient)
    assert _sees(other_coach, other_patient)
    away.refresh_from_db()
    assert away.ended_early_by == supervisor
    assert away.ended_early_at == TUESDAY_NOON
    assert away.ends_on == FRIDAY  # what was given stays as given
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


def test_a_cover_ended_once_is_not_ended_again(client_for, supervisor, away):
    cover_end(actor=Actor(supervisor, None), cover=away)
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(supervisor, None), cover=away)
    assert client_for(supervisor).post(reverse("patients:cover_end", args=[away.pk])).status_code == 404


def test_a_cover_over_is_not_ended(client_for, supervisor, away, clock):
    clock.move_to(datetime.datetime(2026, 12, 6, 17, 0, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(supervisor, None), cover=away)
    assert client_for(supervisor).post(reverse("patients:cover_end", args=[away.pk])).status_code == 404


def test_only_a_supervisor_of_the_program_ends_a_cover(
    client_for, client, coach, other_coach, admin, outside_supervisor, other_patient, away, clock
):
    clock.move_to(TUESDAY_NOON)
    url = reverse("patients:cover_end", args=[away.pk])
    for outsider in (coach, other_coach, admin, outside_supervisor):
        assert client_for(outsider).post(url).status_code == 404
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(outside_supervisor, None), cover=away)
    with pytest.raises(ValidationError):
        cover_end(actor=Actor(coach, None), cover=away)
    assert _sees(coach, other_patient)
    client.logout()
    assert client.post(url)["Location"].startswith("/login/")
    assert client_for(CoverGrant.objects.get().created_by).get(url).status_code == 405


def test_the_database_wants_who_ended_it(away):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverGrant.objects.filter(pk=away.pk).update(ended_early_at=TUESDAY_NOON)
