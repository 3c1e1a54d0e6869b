"""The two program settings the supervisors' reports read: the month the grant year starts and the minutes within
which an urgent concern should be acknowledged. An admin sets them; the database holds their ranges."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from staff.models import Program

pytestmark = pytest.mark.django_db

SETTINGS = {
    "time_zone": "America/New_York",
    "office_opens": "09:00",
    "office_closes": "17:00",
    "office_days": ["0", "1", "2", "3", "4"],
    "escalation_minutes": "15",
    "no_contact_days": "14",
    "caseload_cap": "15",
}


def test_an_admin_sets_the_grant_year_and_the_acknowledgement_target(client_for, admin, program):
    response = client_for(admin).post(
        reverse("staff:program"), SETTINGS | {"grant_year_starts": "7", "urgent_acknowledge_minutes": "20"}
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.grant_year_starts, program.urgent_acknowledge_minutes) == (7, 20)


def test_a_form_without_them_keeps_them(client_for, admin, program):
    client_for(admin).post(reverse("staff:program"), SETTINGS)
    program.refresh_from_db()
    assert (program.grant_year_starts, program.urgent_acknowledge_minutes) == (10, 30)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("grant_year_starts", "13", "A month from 1 (January) to 12 (December)."),
        ("grant_year_starts", "0", "A month from 1 (January) to 12 (December)."),
        ("urgent_acknowledge_minutes", "0", "Between 1 and 1440 minutes (a day)."),
        ("urgent_acknowledge_minutes", "1441", "Between 1 and 1440 minutes (a day)."),
    ],
)
def test_out_of_range_is_told_next_to_the_field_and_nothing_saved(client_for, admin, program, field, typed, message):
    response = client_for(admin).post(reverse("staff:program"), SETTINGS | {field: typed})
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    program.refresh_from_db()
    assert (program.grant_year_starts, program.urgent_acknowledge_minutes) == (10, 30)


@pytest.mark.parametrize(("field", "value"), [("grant_year_starts", 13), ("urgent_acknowledge_minutes", 0)])
def test_the_database_refuses_them_out_of_range(program, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(**{field: value})


INTERVIEWS = {"interview_window_starts": "4", "interview_window_ends": "9", "interview_target_percent": "85"}


def test_an_admin_sets_the_follow_up_window_and_target(client_for, admin, program):
    assert client_for(admin).post(reverse("staff:program"), SETTINGS | INTERVIEWS).status_code == 302
    program.refresh_from_db()
    assert (program.interview_window_starts, program.interview_window_ends, program.interview_target_percent) == (
        4,
        9,
        85,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"interview_window_starts": "8", "interview_window_ends": "5"}, "interview_window_ends", "closes after"),
        ({"interview_window_starts": "6", "interview_window_ends": "6"}, "interview_window_ends", "closes after"),
        ({"interview_window_ends": "30"}, "interview_window_ends", "Between 1 and 24"),
        ({"interview_target_percent": "0"}, "interview_target_percent", "from 1 to 100"),
    ],
)
def test_a_window_out_of_order_is_told_next_to_the_field(client_for, admin, program, changes, field, message):
    response = client_for(admin).post(reverse("staff:program"), SETTINGS | changes)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    program.refresh_from_db()
    assert (program.interview_window_starts, program.interview_window_ends) == (5, 8)


@pytest.mark.parametrize(
    "values",
    [
        {"interview_window_starts": 8, "interview_window_ends": 5},
        {"interview_window_ends": 25},
        {"interview_target_percent": 101},
    ],
)
def test_the_database_refuses_a_window_out_of_order(program, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(**values)
