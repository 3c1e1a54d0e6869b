"""Each role's home page and the staff list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_coach_home_shows_who_she_is_and_how_to_reach_a_supervisor(client_for, coach, supervisor):
    response = client_for(coach).get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mara Quill" in page
    assert "Coach" in page
    assert "Harbor Light Recovery" in page
    assert supervisor.get_full_name() in page
    assert f'href="tel:{supervisor.phone}"' in page


def test_coach_home_has_no_staff_list(client_for, coach, supervisor):
    page = client_for(coach).get(reverse("home")).content.decode()
    assert f'href="{reverse("staff:list")}"' not in page


def test_supervisor_home_counts_her_programs_staff(client_for, coach, other_coach, supervisor, admin):
    response = client_for(supervisor).get(reverse("home"))
    assert response.context["staff_counts"] == {"Coaches": 2, "Supervisors": 1, "Admins": 1}
    assert reverse("staff:list") in response.content.decode()


def test_staff_counts_leave_out_other_programs_and_deactivated_staff(client_for, admin, coach, outside_supervisor):
    UserFactory(program=admin.program, role="coach", is_active=False)
    response = client_for(admin).get(reverse("home"))
    assert response.context["staff_counts"] == {"Coaches": 1, "Supervisors": 0, "Admins": 1}


def test_home_tells_a_coach_when_her_program_has_no_supervisor(client_for, coach, outside_supervisor):
    page = client_for(coach).get(reverse("home")).content.decode()
    assert "Your program has no supervisor yet" in page
    assert outside_supervisor.get_full_name() not in page


def test_staff_list_shows_her_program_only(client_for, admin, coach, outside_supervisor):
    page = client_for(admin).get(reverse("staff:list")).content.decode()
    assert coach.get_full_name() in page
    assert outside_supervisor.get_full_name() not in page


def test_coach_cannot_open_the_staff_list(client_for, coach):
    assert client_for(coach).get(reverse("staff:list")).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, coach):
    response = client.get(reverse("staff:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_list_is_paginated_with_constant_queries(client_for, admin, django_assert_max_num_queries):
    UserFactory.create_batch(60, program=admin.program, role="coach")
    client = client_for(admin)
    with django_assert_max_num_queries(14):
        first = client.get(reverse("staff:list"))
    with django_assert_max_num_queries(14):
        second = client.get(reverse("staff:list") + "?page=2")
    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 11


def test_home_page_queries_do_not_grow_with_staff(client_for, supervisor, django_assert_max_num_queries):
    UserFactory.create_batch(30, program=supervisor.program, role="supervisor")
    client = client_for(supervisor)
    with django_assert_max_num_queries(24):  # 24 since the interviews due (one query)
        response = client.get(reverse("home"))
    assert len(response.context["supervisors"]) == 31


def test_free_text_is_escaped(client_for, supervisor):
    UserFactory(program=supervisor.program, first_name="<script>alert(1)</script>", role="coach")
    page = client_for(supervisor).get(reverse("staff:list")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
