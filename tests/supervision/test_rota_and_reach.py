"""The on-call rota, and the coach's "reach a supervisor now"."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from recovery_program.audit import Actor
from supervision.models import OnCallShift
from tests.factories import UserFactory, add_shift
from tests.supervision.conftest import AFTER_HOURS, OFFICE_HOURS
from workspace.services import staff_deactivate

pytestmark = pytest.mark.django_db


def _post_shift(client, starts, ends, primary, backup):
    return client.post(
        reverse("supervision:rota"), {"starts_at": starts, "ends_at": ends, "primary": primary.pk, "backup": backup.pk}
    )


def test_supervisor_adds_a_shift(client_for, supervisor, backup_supervisor):
    response = _post_shift(
        client_for(supervisor), "2027-03-02T17:00", "2027-03-03T09:00", supervisor, backup_supervisor
    )
    assert response.status_code == 302
    shift = OnCallShift.objects.get()
    assert (shift.primary, shift.backup) == (supervisor, backup_supervisor)


def test_an_overlapping_shift_is_refused_with_a_message(client_for, supervisor, backup_supervisor):
    client = client_for(supervisor)
    _post_shift(client, "2027-03-02T17:00", "2027-03-03T09:00", supervisor, backup_supervisor)
    response = _post_shift(client, "2027-03-03T08:00", "2027-03-03T17:00", backup_supervisor, supervisor)
    assert "overlaps another shift" in response.content.decode()
    assert OnCallShift.objects.count() == 1


def test_the_database_refuses_overlapping_shifts_too(program, supervisor, backup_supervisor):
    start = datetime.datetime(2027, 3, 2, 22, 0, tzinfo=datetime.UTC)
    add_shift(program, supervisor, backup_supervisor, start, start + datetime.timedelta(hours=12))
    with pytest.raises(IntegrityError), transaction.atomic():
        add_shift(
            program,
            backup_supervisor,
            supervisor,
            start + datetime.timedelta(hours=11),
            start + datetime.timedelta(hours=20),
        )


def test_shifts_of_different_programs_may_overlap(
    program, other_program, supervisor, backup_supervisor, outside_supervisor
):
    from tests.factories import UserFactory

    start = datetime.datetime(2027, 3, 2, 22, 0, tzinfo=datetime.UTC)
    add_shift(program, supervisor, backup_supervisor, start, start + datetime.timedelta(hours=12))
    other_backup = UserFactory(program=other_program, role="supervisor")
    add_shift(other_program, outside_supervisor, other_backup, start, start + datetime.timedelta(hours=12))
    assert OnCallShift.objects.count() == 2


def test_a_shift_that_leaves_after_hours_uncovered_is_refused(client_for, supervisor, backup_supervisor):
    client = client_for(supervisor)
    _post_shift(client, "2027-03-02T17:00", "2027-03-03T09:00", supervisor, backup_supervisor)
    response = _post_shift(client, "2027-03-03T19:00", "2027-03-04T09:00", backup_supervisor, supervisor)
    # Wednesday 3 March 2027: 5 pm (closing) to 7 pm is left with no one on call, and the message says so.
    assert "Wednesday 3 March 17:00 to 19:00 would have no one on call" in response.content.decode()
    assert OnCallShift.objects.count() == 1


def test_a_gap_inside_office_hours_is_fine(client_for, supervisor, backup_supervisor):
    client = client_for(supervisor)
    _post_shift(client, "2027-03-02T17:00", "2027-03-03T09:00", supervisor, backup_supervisor)
    response = _post_shift(client, "2027-03-03T17:00", "2027-03-04T09:00", backup_supervisor, supervisor)
    assert response.status_code == 302
    assert OnCallShift.objects.count() == 2


def test_the_backup_must_be_someone_else(client_for, supervisor):
    response = _post_shift(client_for(supervisor), "2027-03-02T17:00", "2027-03-03T09:00", supervisor, supervisor)
    assert "The backup must be someone else" in response.content.decode()


def test_a_shift_sent_twice_with_one_key_is_added_once(client_for, supervisor, backup_supervisor):
    client = client_for(supervisor)
    data = {
        "starts_at": "2027-03-02T17:00",
        "ends_at": "2027-03-03T09:00",
        "primary": supervisor.pk,
        "backup": backup_supervisor.pk,
        "once_key": str(uuid.uuid4()),
    }
    first = client.post(reverse("supervision:rota"), data)
    again = client.post(reverse("supervision:rota"), data)
    assert first.url == again.url
    assert OnCallShift.objects.count() == 1


def test_coaches_do_not_keep_the_rota(client_for, coach, supervisor, backup_supervisor):
    client = client_for(coach)
    assert client.get(reverse("supervision:rota")).status_code == 404
    response = _post_shift(client, "2027-03-02T17:00", "2027-03-03T09:00", supervisor, backup_supervisor)
    assert response.status_code == 404
    assert not OnCallShift.objects.exists()


def test_admins_keep_the_rota(client_for, admin):
    assert client_for(admin).get(reverse("supervision:rota")).status_code == 200


def test_every_coach_screen_offers_to_reach_a_supervisor(client_for, coach):
    client = client_for(coach)
    for url in (reverse("home"), reverse("patients:list"), reverse("coaching:encounter_new")):
        assert f'href="{reverse("supervision:reach")}"' in client.get(url).content.decode()


def test_after_hours_the_coach_sees_who_is_on_call_and_how_to_reach_her(
    client_for, coach, program, supervisor, backup_supervisor, supervised
):
    add_shift(
        program,
        backup_supervisor,
        supervisor,
        AFTER_HOURS - datetime.timedelta(hours=5),
        AFTER_HOURS + datetime.timedelta(hours=9),
    )
    with time_machine.travel(AFTER_HOURS, tick=False):
        page = client_for(coach).get(reverse("supervision:reach")).content.decode()
    assert "On call now" in page
    assert f'href="tel:{backup_supervisor.phone}"' in page
    assert "Your supervisor (office hours)" not in page


def test_during_office_hours_she_also_sees_her_own_supervisor(client_for, coach, supervisor, supervised):
    with time_machine.travel(OFFICE_HOURS, tick=False):
        page = client_for(coach).get(reverse("supervision:reach")).content.decode()
    assert "Your supervisor (office hours)" in page
    assert supervisor.get_full_name() in page


def test_the_database_refuses_a_gap_with_after_hours_time_too(program, supervisor, backup_supervisor):
    tuesday_evening = datetime.datetime(2027, 3, 2, 22, 0, tzinfo=datetime.UTC)  # 5 pm in New York
    add_shift(program, supervisor, backup_supervisor, tuesday_evening, tuesday_evening + datetime.timedelta(hours=16))
    with pytest.raises(IntegrityError, match="uncovered"), transaction.atomic():
        # Wednesday 7 pm to Thursday 9 am leaves Wednesday 5 pm to 7 pm uncovered.
        add_shift(
            program,
            backup_supervisor,
            supervisor,
            tuesday_evening + datetime.timedelta(days=1, hours=2),
            tuesday_evening + datetime.timedelta(days=1, hours=16),
        )
    # Wednesday 5 pm on, after a gap within office hours only, is fine.
    add_shift(
        program,
        backup_supervisor,
        supervisor,
        tuesday_evening + datetime.timedelta(days=1),
        tuesday_evening + datetime.timedelta(days=1, hours=16),
    )
    assert OnCallShift.objects.count() == 2


def _reach_page(client_for, coach, at):
    with time_machine.travel(at, tick=False):
        return client_for(coach).get(reverse("supervision:reach")).content.decode()


def test_after_hours_a_deactivated_primary_is_not_shown_and_the_backup_is_the_one_to_call(
    client_for, coach, admin, program, supervisor, backup_supervisor
):
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))
    supervisor.phone = "603-555-0111"
    supervisor.save()
    staff_deactivate(actor=Actor(admin, None), user=supervisor)
    page = _reach_page(client_for, coach, AFTER_HOURS)
    assert "On call now" in page
    assert f'class="button primary big" href="tel:{backup_supervisor.phone}"' in page
    assert supervisor.get_full_name() not in page
    assert supervisor.phone not in page


def test_with_primary_and_backup_deactivated_she_is_offered_every_active_supervisor(
    client_for, coach, admin, program, supervisor, backup_supervisor
):
    third = UserFactory(program=program, role="supervisor", first_name="Ada", last_name="Nwosu", phone="603-555-0133")
    add_shift(program, supervisor, backup_supervisor, AFTER_HOURS.replace(hour=0), AFTER_HOURS.replace(hour=12))
    staff_deactivate(actor=Actor(admin, None), user=supervisor)
    staff_deactivate(actor=Actor(admin, None), user=backup_supervisor)
    page = _reach_page(client_for, coach, AFTER_HOURS)
    assert "On call now" not in page
    assert "Call any supervisor of the program" in page
    assert f'href="tel:{third.phone}"' in page
    assert backup_supervisor.get_full_name() not in page


def test_during_office_hours_a_deactivated_own_supervisor_is_not_shown(
    client_for, coach, admin, program, supervised, supervisor, backup_supervisor
):
    staff_deactivate(actor=Actor(admin, None), user=supervisor)
    page = _reach_page(client_for, coach, OFFICE_HOURS)
    assert "Your supervisor (office hours)" not in page
    assert supervisor.get_full_name() not in page
    assert f'href="tel:{backup_supervisor.phone}"' in page  # any supervisor of the program, nobody being on call
