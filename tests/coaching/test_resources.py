"""Admins keep the program's list of resources coaches can share."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coaching.models import Resource

pytestmark = pytest.mark.django_db


def test_admin_adds_a_resource_that_coaches_are_then_offered(client_for, client, admin, coach, patient):
    client_for(admin).post(
        reverse("coaching:resources"), {"name": "Moms' NA meeting", "kind": "meeting", "is_active": "on"}
    )
    client.force_login(coach)
    form = client.get(reverse("coaching:encounter_new")).context["form"]
    assert [r.name for r in form.fields["resources"].queryset] == ["Moms' NA meeting"]


def test_a_retired_resource_is_no_longer_offered(client_for, admin, coach, program):
    resource = Resource.objects.create(program=program, name="Old pantry")
    client_for(admin).post(
        reverse("coaching:resource_edit", args=[resource.pk]), {"name": "Old pantry", "kind": "service"}
    )
    resource.refresh_from_db()
    assert not resource.is_active


def test_the_same_name_twice_is_refused(client_for, admin, program):
    Resource.objects.create(program=program, name="WIC office")
    response = client_for(admin).post(reverse("coaching:resources"), {"name": "wic office", "kind": "service"})
    assert "already has a resource by that name" in response.content.decode()
    assert Resource.objects.count() == 1


def test_each_program_keeps_its_own_list(client_for, admin, other_program):
    theirs = Resource.objects.create(program=other_program, name="Their meeting")
    client = client_for(admin)
    assert "Their meeting" not in client.get(reverse("coaching:resources")).content.decode()
    assert client.get(reverse("coaching:resource_edit", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_admins_keep_the_list(request, client_for, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("coaching:resources")).status_code == 404
    response = client.post(reverse("coaching:resources"), {"name": "A meeting", "kind": "meeting", "is_active": "on"})
    assert response.status_code == 404
    assert not Resource.objects.exists()
