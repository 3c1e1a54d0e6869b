"""A rota a real team can keep: shifts changed, handed over, swapped, covered and removed by the program's supervisors,
days away that paging respects, and the rules (no overlap, no after-hours gap) held through all of it."""

from __future__ import annotations

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recovery_program.audit import Actor
from supervision import paging, services
from supervision.models import OnCallShift, Page, PageStep, ShiftCover, Unavailability
from tests.factories import UserFactory, add_shift, share_concern

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # the program's zone (tests/supervision/conftest.py)


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """2027 in New York: Tuesday 2 March; the clocks go forward on Sunday 14 March and back on Sunday 7 November."""
    return datetime.datetime(2027, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def week(program, supervisor, backup_supervisor):
    """Three weeknights: Tuesday, Wednesday, Thursday 5 pm to 9 am; the primaries take turns."""
    return [
        add_shift(program, supervisor, backup_supervisor, _at(3, 2, 17), _at(3, 3, 9)),
        add_shift(program, backup_supervisor, supervisor, _at(3, 3, 17), _at(3, 4, 9)),
        add_shift(program, supervisor, backup_supervisor, _at(3, 4, 17), _at(3, 5, 9)),
    ]


@pytest.fixture
def third(program):
    return UserFactory(username="super_c", first_name="Ada", last_name="Nwosu", program=program, role="supervisor")


def _fields(shift, **changes):
    local = {
        name: getattr(shift, name).astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M") for name in ("starts_at", "ends_at")
    }
    return {**local, "primary": shift.primary_id, "backup": shift.backup_id, **changes}


def _away(person, first: datetime.date, last: datetime.date | None = None, reason: str = "sick"):
    return services.unavailability_add(actor=Actor(person, None), starts_on=first, ends_on=last or first, reason=reason)


def _pair(primary, backup):
    return {"primary": primary.pk, "backup": backup.pk}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Changing and handing over ------------------------------------------------------------------------------------


def test_a_supervisor_changes_a_shift_and_its_history_is_kept(client_for, supervisor, week):
    last = week[2]
    response = client_for(supervisor).post(
        reverse("supervision:shift_edit", args=[last.pk]), _fields(last, ends_at="2027-03-05T12:00")
    )
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.ends_at == _at(3, 5, 12)
    assert [event.ends_at for event in last.events.order_by("pgh_id")] == [_at(3, 5, 9), _at(3, 5, 12)]


def test_handing_a_shift_to_another_supervisor(client_for, supervisor, third, week):
    response = client_for(supervisor).post(
        reverse("supervision:shift_edit", args=[week[0].pk]), _fields(week[0], primary=third.pk)
    )
    assert response.status_code == 302
    week[0].refresh_from_db()
    assert week[0].primary == third


def test_a_change_that_leaves_hours_uncovered_says_exactly_which_next_to_the_field(client_for, supervisor, week):
    response = client_for(supervisor).post(
        reverse("supervision:shift_edit", args=[week[1].pk]), _fields(week[1], starts_at="2027-03-03T21:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["starts_at"] == [
        "Wednesday 3 March 17:00 to 21:00 would have no one on call. "
        "Change the times so that the shifts meet, or add a shift for those hours first."
    ]
    week[1].refresh_from_db()
    assert week[1].starts_at == _at(3, 3, 17)


def test_moving_a_shift_away_leaves_a_gap_where_it_was_and_is_refused(client_for, supervisor, week):
    # Wednesday's shift moved to Friday night: Wednesday night would have nobody.
    response = client_for(supervisor).post(
        reverse("supervision:shift_edit", args=[week[1].pk]),
        _fields(week[1], starts_at="2027-03-05T17:00", ends_at="2027-03-06T09:00"),
    )
    assert "Wednesday 3 March 17:00 to Thursday 4 March 09:00 would have no one on call." in (
        " ".join(response.context["form"].non_field_errors())
    )


def test_the_database_refuses_a_move_that_leaves_a_gap_where_the_shift_was(week):
    shift = week[1]
    shift.starts_at, shift.ends_at = _at(3, 5, 17), _at(3, 6, 9)
    with pytest.raises(IntegrityError, match="uncovered"), transaction.atomic():
        shift.save()


def test_an_overlap_is_still_refused_when_changing(client_for, supervisor, week):
    response = client_for(supervisor).post(
        reverse("supervision:shift_edit", args=[week[2].pk]), _fields(week[2], starts_at="2027-03-04T08:00")
    )
    assert response.context["form"].errors["starts_at"] == ["This shift overlaps another shift of the rota."]


# --- Swapping -----------------------------------------------------------------------------------------------------


def test_two_shifts_swap_their_primaries_and_the_rota_stays_whole(
    client_for, supervisor, backup_supervisor, third, week, program
):
    add_shift(program, third, supervisor, _at(3, 5, 17), _at(3, 6, 9))
    fourth = OnCallShift.objects.get(primary=third)
    client = client_for(supervisor)
    data = {"other": fourth.pk, "seen_primary": backup_supervisor.pk}
    response = client.post(reverse("supervision:shift_swap", args=[week[1].pk]), data)
    assert response.status_code == 302
    week[1].refresh_from_db()
    fourth.refresh_from_db()
    assert (week[1].primary, fourth.primary) == (third, backup_supervisor)
    assert (week[1].starts_at, fourth.starts_at) == (_at(3, 3, 17), _at(3, 5, 17))  # times unchanged: no gap
    # The same tap again is refused instead of swapping them back.
    again = client.post(reverse("supervision:shift_swap", args=[week[1].pk]), data)
    assert "the rota changed" in again.content.decode()
    week[1].refresh_from_db()
    assert week[1].primary == third


def test_a_swap_that_makes_someone_primary_and_backup_of_one_shift_is_refused(supervisor, week):
    # Tuesday's primary (Iris) would become Wednesday's primary, where she is the backup.
    with pytest.raises(ValidationError, match="cannot be its primary too"):
        services.shift_swap(actor=Actor(supervisor, None), shift=week[0], other=week[1])


# --- Removing -----------------------------------------------------------------------------------------------------


def test_removing_a_shift_that_leaves_a_gap_is_refused_with_the_hours(client_for, supervisor, week):
    response = client_for(supervisor).get(reverse("supervision:shift_remove", args=[week[1].pk]), follow=True)
    assert "Wednesday 3 March 17:00 to Thursday 4 March 09:00 would have no one on call." in " ".join(
        _messages(response)
    )
    assert OnCallShift.live.filter(pk=week[1].pk).exists()


def test_removing_asks_first_then_keeps_the_record(client_for, supervisor, week):
    client = client_for(supervisor)
    url = reverse("supervision:shift_remove", args=[week[2].pk])
    page = client.get(url)
    assert "Remove this shift from the rota?" in page.content.decode()
    client.post(url)  # without the confirmation: nothing happens
    assert OnCallShift.live.filter(pk=week[2].pk).exists()
    client.post(url, {"confirmed": "yes"})
    week[2].refresh_from_db()
    assert week[2].removed_at is not None
    assert week[2].removed_by == supervisor
    assert not OnCallShift.live.filter(pk=week[2].pk).exists()
    with pytest.raises(Exception, match=r"(?i)protect|delete"), transaction.atomic():
        week[2].delete()


def test_a_removed_shift_no_longer_blocks_a_new_one_in_its_place(supervisor, backup_supervisor, week):
    services.shift_remove(actor=Actor(supervisor, None), shift=week[2])
    services.shift_add(
        actor=Actor(supervisor, None),
        starts_at=_at(3, 4, 17),
        ends_at=_at(3, 5, 9),
        primary=backup_supervisor,
        backup=supervisor,
    )
    assert OnCallShift.live.count() == 3


# --- Covering -----------------------------------------------------------------------------------------------------


def test_during_a_cover_the_substitute_is_the_primary_who_is_paged(
    client_for,
    coach,
    patient,
    program,
    supervisor,
    backup_supervisor,
    third,
    week,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    response = client_for(supervisor).post(
        reverse("supervision:cover_add", args=[week[0].pk]),
        {"substitute": third.pk, "starts_at": "2027-03-02T17:00", "ends_at": "2027-03-02T21:00"},
    )
    assert response.status_code == 302
    during, after = _at(3, 2, 20), _at(3, 2, 22)
    assert paging.responders(program, coach, during).primary == third
    assert paging.responders(program, coach, during).backup == backup_supervisor
    assert paging.responders(program, coach, after).primary == supervisor
    with time_machine.travel(during, tick=False), django_capture_on_commit_callbacks(execute=True):
        concern = share_concern(coach, patient, urgency="urgent_now")
    assert set(concern.pages.values_list("recipient", "step")) == {(third.pk, PageStep.FIRST)}


def test_a_cover_outside_its_shift_is_refused(client_for, supervisor, third, week):
    response = client_for(supervisor).post(
        reverse("supervision:cover_add", args=[week[0].pk]),
        {"substitute": third.pk, "starts_at": "2027-03-02T15:00", "ends_at": "2027-03-02T21:00"},
    )
    assert "A cover lies inside its shift" in " ".join(response.context["form"].errors["starts_at"])
    assert not ShiftCover.objects.exists()


def test_the_database_keeps_covers_inside_their_shift_and_apart(supervisor, third, week):
    ShiftCover.objects.create(
        shift=week[0], starts_at=_at(3, 2, 17), ends_at=_at(3, 2, 21), substitute=third, created_by=supervisor
    )
    with pytest.raises(IntegrityError, match="overlap"), transaction.atomic():
        ShiftCover.objects.create(
            shift=week[0], starts_at=_at(3, 2, 20), ends_at=_at(3, 2, 23), substitute=third, created_by=supervisor
        )
    with pytest.raises(IntegrityError, match="outside"), transaction.atomic():
        ShiftCover.objects.create(
            shift=week[0], starts_at=_at(3, 3, 8), ends_at=_at(3, 3, 10), substitute=third, created_by=supervisor
        )


def test_a_cover_sent_twice_with_one_key_is_saved_once(client_for, supervisor, third, week):
    client = client_for(supervisor)
    data = {
        "substitute": third.pk,
        "starts_at": "2027-03-02T17:00",
        "ends_at": "2027-03-02T21:00",
        "once_key": str(uuid.uuid4()),
    }
    first = client.post(reverse("supervision:cover_add", args=[week[0].pk]), data)
    again = client.post(reverse("supervision:cover_add", args=[week[0].pk]), data)
    assert first.url == again.url
    assert ShiftCover.objects.count() == 1


def test_ending_a_cover_asks_first(client_for, supervisor, third, week):
    cover = services.cover_add(
        actor=Actor(supervisor, None), shift=week[0], starts_at=_at(3, 2, 17), ends_at=_at(3, 2, 21), substitute=third
    )
    client = client_for(supervisor)
    url = reverse("supervision:cover_remove", args=[cover.pk])
    assert "End this cover?" in client.get(url).content.decode()
    client.post(url, {"confirmed": "yes"})
    cover.refresh_from_db()
    assert cover.removed_at is not None


# --- Days away ----------------------------------------------------------------------------------------------------


def test_paging_passes_over_a_primary_who_is_away_and_pages_the_backup(
    coach, patient, program, supervisor, backup_supervisor, week, django_capture_on_commit_callbacks, celery_eager
):
    services.unavailability_add(
        actor=Actor(supervisor, None),
        starts_on=datetime.date(2027, 3, 2),
        ends_on=datetime.date(2027, 3, 2),
        reason="sick",
    )
    who = paging.responders(program, coach, _at(3, 2, 22))
    assert (who.primary, who.backup, who.on_call) == (None, backup_supervisor, backup_supervisor)
    with time_machine.travel(_at(3, 2, 22), tick=False), django_capture_on_commit_callbacks(execute=True):
        concern = share_concern(coach, patient, urgency="urgent_now")
    assert set(concern.pages.values_list("recipient", "step")) == {(backup_supervisor.pk, PageStep.BACKUP)}
    # After her day away (midnight, in the program's zone), she is the primary again.
    assert paging.responders(program, coach, _at(3, 3, 0, 30)).primary == supervisor


def test_paging_passes_over_a_backup_who_is_away(coach, program, supervisor, backup_supervisor, week):
    services.unavailability_add(
        actor=Actor(backup_supervisor, None),
        starts_on=datetime.date(2027, 3, 1),
        ends_on=datetime.date(2027, 3, 9),
        reason="leave",
    )
    who = paging.responders(program, coach, _at(3, 2, 22))
    assert (who.primary, who.backup) == (supervisor, None)
    assert who.at(PageStep.BACKUP) == []


def test_with_primary_and_backup_away_every_supervisor_is_paged(
    coach, patient, supervisor, backup_supervisor, week, django_capture_on_commit_callbacks, celery_eager
):
    for person in (supervisor, backup_supervisor):
        services.unavailability_add(
            actor=Actor(person, None),
            starts_on=datetime.date(2027, 3, 2),
            ends_on=datetime.date(2027, 3, 2),
            reason="sick",
        )
    with time_machine.travel(_at(3, 2, 22), tick=False), django_capture_on_commit_callbacks(execute=True):
        concern = share_concern(coach, patient, urgency="urgent_now")
    assert set(concern.pages.values_list("step", flat=True)) == {PageStep.EVERYONE}
    assert Page.objects.filter(concern=concern, recipient=supervisor).exists()  # better too many than nobody


def test_she_marks_herself_away_and_the_rota_and_homes_show_the_hours_to_cover(
    client_for, supervisor, backup_supervisor, week
):
    with time_machine.travel(_at(3, 1, 10), tick=False):
        client = client_for(backup_supervisor)
        response = client.post(
            reverse("supervision:away"), {"starts_on": "2027-03-03", "ends_on": "2027-03-03", "reason": "sick"}
        )
        assert response.status_code == 302
        assert Unavailability.objects.get().supervisor == backup_supervisor
        rota = client_for(supervisor).get(reverse("supervision:rota")).content.decode()
        # Her Wednesday shift: 5 pm to midnight, her day away, needs cover; after midnight she answers again.
        assert "No one on call from Wed Mar 3, 5:00 p.m. to Thu Mar 4, 12:00 a.m.: needs cover" in rota
        home = client_for(supervisor).get(reverse("home")).content.decode()
        assert "No one on call from Wed Mar 3, 5:00 p.m. to Thu Mar 4, 12:00 a.m." in home
        assert reverse("supervision:cover_add", args=[week[1].pk]) in home


def test_a_gap_more_than_a_week_ahead_is_not_on_the_home_page(client_for, supervisor, backup_supervisor, week):
    services.unavailability_add(
        actor=Actor(backup_supervisor, None),
        starts_on=datetime.date(2027, 3, 3),
        ends_on=datetime.date(2027, 3, 3),
        reason="sick",
    )
    with time_machine.travel(_at(2, 20, 10), tick=False):
        assert "needs cover" not in client_for(supervisor).get(reverse("home")).content.decode()


def test_covering_the_hours_of_someone_away_closes_the_gap(client_for, supervisor, backup_supervisor, third, week):
    services.unavailability_add(
        actor=Actor(backup_supervisor, None),
        starts_on=datetime.date(2027, 3, 3),
        ends_on=datetime.date(2027, 3, 3),
        reason="sick",
    )
    services.cover_add(
        actor=Actor(supervisor, None), shift=week[1], starts_at=_at(3, 3, 17), ends_at=_at(3, 4, 0), substitute=third
    )
    with time_machine.travel(_at(3, 1, 10), tick=False):
        assert "needs cover" not in client_for(supervisor).get(reverse("supervision:rota")).content.decode()


def test_days_away_sent_twice_with_one_key_are_saved_once(client_for, supervisor):
    client = client_for(supervisor)
    data = {"starts_on": "2027-03-03", "ends_on": "2027-03-04", "reason": "leave", "once_key": str(uuid.uuid4())}
    first = client.post(reverse("supervision:away"), data)
    again = client.post(reverse("supervision:away"), data)
    assert first.url == again.url
    assert Unavailability.objects.count() == 1


def test_someone_away_cannot_be_chosen_to_cover(supervisor, backup_supervisor, third, week):
    _away(third, datetime.date(2027, 3, 2), reason="leave")
    with pytest.raises(ValidationError, match="away then"):
        services.cover_add(
            actor=Actor(supervisor, None),
            shift=week[0],
            starts_at=_at(3, 2, 17),
            ends_at=_at(3, 2, 21),
            substitute=third,
        )


# --- Who may ------------------------------------------------------------------------------------------------------


def _urls(week, cover=None):
    shift = week[2].pk
    urls = [
        reverse("supervision:shift_edit", args=[shift]),
        reverse("supervision:shift_swap", args=[shift]),
        reverse("supervision:shift_remove", args=[shift]),
        reverse("supervision:cover_add", args=[shift]),
    ]
    if cover is not None:
        urls.append(reverse("supervision:cover_remove", args=[cover.pk]))
    return urls


@pytest.fixture
def a_cover(supervisor, third, week):
    return services.cover_add(
        actor=Actor(supervisor, None), shift=week[2], starts_at=_at(3, 4, 17), ends_at=_at(3, 4, 21), substitute=third
    )


@pytest.mark.parametrize("who", ["coach", "admin", "outside_supervisor"])
def test_only_the_programs_supervisors_change_the_rota(request, client_for, who, week, a_cover):
    client = client_for(request.getfixturevalue(who))
    for url in _urls(week, a_cover):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"confirmed": "yes"}).status_code == 404, url
    assert OnCallShift.live.count() == 3
    assert ShiftCover.live.count() == 1


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_only_supervisors_mark_days_away(request, client_for, who, supervisor):
    away = services.unavailability_add(
        actor=Actor(supervisor, None),
        starts_on=datetime.date(2027, 3, 2),
        ends_on=datetime.date(2027, 3, 2),
        reason="sick",
    )
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("supervision:away")).status_code == 404
    assert client.post(reverse("supervision:away_remove", args=[away.pk]), {"confirmed": "yes"}).status_code == 404


def test_a_supervisor_cannot_end_another_supervisors_days_away(client_for, supervisor, backup_supervisor):
    away = services.unavailability_add(
        actor=Actor(supervisor, None),
        starts_on=datetime.date(2027, 3, 2),
        ends_on=datetime.date(2027, 3, 2),
        reason="sick",
    )
    response = client_for(backup_supervisor).post(
        reverse("supervision:away_remove", args=[away.pk]), {"confirmed": "yes"}
    )
    assert response.status_code == 404
    client_for(supervisor).post(reverse("supervision:away_remove", args=[away.pk]), {"confirmed": "yes"})
    away.refresh_from_db()
    assert away.removed_at is not None


def test_a_supervisor_of_the_program_sees_the_rota_actions(client_for, supervisor, week):
    page = client_for(supervisor).get(reverse("supervision:rota")).content.decode()
    for url in _urls(week):
        assert url in page


def test_an_admin_sees_the_rota_without_the_actions(client_for, admin, week):
    page = client_for(admin).get(reverse("supervision:rota")).content.decode()
    assert reverse("supervision:shift_edit", args=[week[0].pk]) not in page


# --- Time: the program's zone, and the changes of the clocks -------------------------------------------------------


def test_a_weekend_shift_across_the_spring_change_is_two_hours_shorter_than_the_clock_says(
    client_for, supervisor, backup_supervisor
):
    response = client_for(supervisor).post(
        reverse("supervision:rota"),
        {
            "starts_at": "2027-03-12T17:00",
            "ends_at": "2027-03-15T09:00",
            "primary": supervisor.pk,
            "backup": backup_supervisor.pk,
        },
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert shift.ends_at - shift.starts_at == datetime.timedelta(hours=63)  # 64 on the clock, less the hour skipped
    assert shift.starts_at == _at(3, 12, 17)
    assert shift.ends_at == _at(3, 15, 9)


def test_a_time_the_clocks_skip_is_refused_next_to_the_field(client_for, supervisor, backup_supervisor):
    response = client_for(supervisor).post(
        reverse("supervision:rota"),
        {
            "starts_at": "2027-03-14T02:30",
            "ends_at": "2027-03-15T09:00",
            "primary": supervisor.pk,
            "backup": backup_supervisor.pk,
        },
    )
    assert response.context["form"].errors["starts_at"] == [
        "There is no 02:30 on Mar 14: the clocks skipped that hour. Check the time."
    ]


def test_a_time_the_clocks_repeat_is_the_first_one(client_for, supervisor, backup_supervisor):
    client_for(supervisor).post(
        reverse("supervision:rota"),
        {
            "starts_at": "2027-11-06T17:00",
            "ends_at": "2027-11-07T01:30",
            "primary": supervisor.pk,
            "backup": backup_supervisor.pk,
        },
    )
    assert OnCallShift.objects.get().ends_at == datetime.datetime(2027, 11, 7, 5, 30, tzinfo=datetime.UTC)  # EDT


def test_a_day_away_on_the_spring_change_is_the_programs_whole_day(coach, program, supervisor, backup_supervisor):
    add_shift(program, supervisor, backup_supervisor, _at(3, 12, 17), _at(3, 15, 9))
    services.unavailability_add(
        actor=Actor(supervisor, None),
        starts_on=datetime.date(2027, 3, 14),
        ends_on=datetime.date(2027, 3, 14),
        reason="sick",
    )
    assert paging.responders(program, coach, _at(3, 13, 23, 59)).primary == supervisor
    assert paging.responders(program, coach, _at(3, 14, 0, 0)).primary is None
    assert paging.responders(program, coach, _at(3, 14, 23, 59)).primary is None
    assert paging.responders(program, coach, _at(3, 15, 0, 0)).primary == supervisor


def test_the_gap_message_across_the_autumn_change_names_the_programs_hours(supervisor, backup_supervisor, program):
    add_shift(program, supervisor, backup_supervisor, _at(11, 5, 17), _at(11, 8, 9))
    add_shift(program, backup_supervisor, supervisor, _at(11, 8, 17), _at(11, 9, 9))
    with pytest.raises(ValidationError) as refused:
        services.shift_add(
            actor=Actor(supervisor, None),
            starts_at=_at(11, 9, 20),
            ends_at=_at(11, 10, 9),
            primary=supervisor,
            backup=backup_supervisor,
        )
    assert refused.value.message_dict["starts_at"][0].startswith("Tuesday 9 November 17:00 to 20:00 would have")


# --- Query counts -------------------------------------------------------------------------------------------------


def _fill(program, supervisor, backup_supervisor, third, nights: range):
    """Nights of the rota from Tuesday 2 March 2027, each with a cover and its primary away that day."""
    for night in nights:
        begins = _at(3, 2, 17) + datetime.timedelta(days=night)
        shift = add_shift(program, supervisor, backup_supervisor, begins, begins + datetime.timedelta(hours=24))
        ShiftCover.objects.create(
            shift=shift,
            starts_at=begins,
            ends_at=begins + datetime.timedelta(hours=2),
            substitute=third,
            created_by=supervisor,
        )
        day = begins.astimezone(NEW_YORK).date()
        Unavailability.objects.create(
            supervisor=supervisor, starts_on=day, ends_on=day, reason="sick", created_by=supervisor
        )


def test_the_rota_page_and_home_run_the_same_queries_whatever_the_rotas_length(
    client_for, program, supervisor, backup_supervisor, third, django_assert_max_num_queries
):
    with time_machine.travel(_at(3, 1, 10), tick=False):
        client = client_for(supervisor)
        client.get(reverse("home"))  # settles the session
        _fill(program, supervisor, backup_supervisor, third, range(3))
        with CaptureQueriesContext(connection) as rota_few:
            assert "needs cover" in client.get(reverse("supervision:rota")).content.decode()
        with CaptureQueriesContext(connection) as home_few:
            assert "needs cover" in client.get(reverse("home")).content.decode()
        _fill(program, supervisor, backup_supervisor, third, range(3, 30))
        with django_assert_max_num_queries(len(rota_few)):
            client.get(reverse("supervision:rota"))
        with django_assert_max_num_queries(len(home_few)):
            client.get(reverse("home"))


def test_she_keeps_her_role_while_she_covers_a_shift(supervisor, third, week):
    services.cover_add(
        actor=Actor(supervisor, None), shift=week[0], starts_at=_at(3, 2, 17), ends_at=_at(3, 2, 21), substitute=third
    )
    with pytest.raises(ValidationError, match="covers a shift"):
        services.supervision_links_end(user=third, on=datetime.date(2027, 3, 1), now=_at(3, 1, 10))


def test_a_cover_cannot_start_in_the_past(supervisor, third, week):
    with time_machine.travel(_at(3, 2, 19), tick=False), pytest.raises(ValidationError, match="starts now"):
        services.cover_add(
            actor=Actor(supervisor, None),
            shift=week[0],
            starts_at=_at(3, 2, 17),
            ends_at=_at(3, 2, 21),
            substitute=third,
        )
