"""Admins manage the people of their program, in the app's own pages."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from staff.models import User
from staff.sessions import StaffSession
from supervision.models import SupervisionAssignment
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _new_staff(**overrides):
    data = {
        "first_name": "Wren",
        "last_name": "Abbott",
        "username": "wren",
        "email": "wren@example.org",
        "phone": "603-555-0133",
        "start_date": "2026-11-02",
        "role": "coach",
    }
    return data | overrides


def test_admin_adds_a_coach_who_sets_her_password_from_the_e_mailed_link(
    client_for, client, admin, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(reverse("staff:new"), _new_staff())
    wren = User.objects.get(username="wren")
    assert response.url == reverse("staff:detail", args=[wren.pk])
    # A clinical role waits for a supervisor's approval (tests/workspace/test_role_approval.py).
    assert (wren.program, wren.role, wren.has_usable_password()) == (admin.program, None, False)
    assert wren.change_requests.get().role == "coach"
    (mail,) = mailoutbox
    assert mail.to == ["wren@example.org"]
    link = re.search(r"http://\S+/password/reset/\S+/", mail.body).group(0)
    client.logout()
    form_page = client.get(urlparse(link).path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"},
    )
    wren.refresh_from_db()
    assert wren.check_password("a-fresh-passphrase-9")


def test_an_e_mail_already_in_use_is_refused_and_the_form_kept(client_for, admin, coach):
    response = client_for(admin).post(reverse("staff:new"), _new_staff(email=coach.email.upper()))
    assert "Another account already uses this e-mail address" in response.content.decode()
    assert 'value="Wren"' in response.content.decode()
    assert not User.objects.filter(username="wren").exists()


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_admins_add_people(request, client_for, who):
    user = request.getfixturevalue(who)
    assert client_for(user).post(reverse("staff:new"), _new_staff()).status_code == 404
    assert not User.objects.filter(username="wren").exists()


@pytest.mark.parametrize("who", ["supervisor", "outside_supervisor"])
def test_no_one_but_her_programs_admin_manages_an_account(request, client_for, coach, who):
    client = client_for(request.getfixturevalue(who))
    for name in ("edit", "role", "deactivate", "password_link"):
        assert client.post(reverse(f"staff:{name}", args=[coach.pk]), {"role": "admin"}).status_code == 404
    coach.refresh_from_db()
    assert coach.is_active
    assert coach.role.value == "coach"


def test_admin_of_another_program_cannot_see_ours(client_for, coach, other_program):
    outsider_admin = UserFactory(program=other_program, role="admin")
    assert client_for(outsider_admin).get(reverse("staff:detail", args=[coach.pk])).status_code == 404


def test_deactivating_a_coach_ends_her_live_session_at_once(client, client_for, admin, coach, patient):
    client.force_login(coach)
    assert client.get(reverse("home")).status_code == 200
    assert StaffSession.objects.filter(user_id=coach.pk).exists()

    from django.test import Client

    admin_client = Client()
    admin_client.force_login(admin)
    response = admin_client.post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"}, follow=True)
    assert "1 of her patients now need a coach" in response.content.decode()

    assert not StaffSession.objects.filter(user_id=coach.pk).exists()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD}).status_code == 200


def test_her_patients_wait_for_a_new_coach_in_the_supervisors_list(
    client_for, client, admin, supervisor, coach, patient
):
    client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    assert not coach.has_perm("patients.view_patient", patient)
    client.force_login(supervisor)
    home = client.get(reverse("home")).content.decode()
    assert "1 patient has no coach" in home
    waiting = client.get(reverse("patients:list"), {"needs_coach": "on"}).context["page"]
    assert list(waiting) == [patient]
    assert patient.assignments.get().ended_on == timezone.localdate()


def test_her_records_stay_attributed_to_her(client_for, admin, coach, patient):
    client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    assert Patient.objects.get(pk=patient.pk).assignments.get().coach == coach


def test_an_admin_cannot_deactivate_herself(client_for, admin):
    client_for(admin).post(reverse("staff:deactivate", args=[admin.pk]), {"confirmed": "yes"})
    admin.refresh_from_db()
    assert admin.is_active


def test_reactivating_lets_her_log_in_again(client_for, client, admin, coach):
    admin_client = client_for(admin)
    admin_client.post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    admin_client.post(reverse("staff:reactivate", args=[coach.pk]))
    assert client.post(reverse("login"), {"username": coach.username, "password": TEST_PASSWORD}).status_code == 302


def test_an_approved_role_change_changes_access_at_the_next_request(client, admin, coach, supervisor):
    client.force_login(coach)
    assert client.get(reverse("staff:list")).status_code == 404
    from django.test import Client

    admin_client, supervisor_client = Client(), Client()
    admin_client.force_login(admin)
    admin_client.post(reverse("staff:role", args=[coach.pk]), {"role": "supervisor"})
    supervisor_client.force_login(supervisor)
    proposal = coach.change_requests.get()
    supervisor_client.post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"})
    assert client.get(reverse("staff:list")).status_code == 200


def test_a_password_link_says_nothing_clinical(
    client_for, admin, coach, patient, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(reverse("staff:password_link", args=[coach.pk]))
    (mail,) = mailoutbox
    assert "/password/reset/" in mail.body
    assert patient.legal_name not in mail.body


def test_admin_sets_a_coachs_supervisor_and_the_history_is_kept(client_for, admin, coach, supervisor):
    second = UserFactory(program=admin.program, role="supervisor")
    client = client_for(admin)
    url = reverse("supervision:coach_supervisor", args=[coach.pk])
    client.post(url, {"supervisor": supervisor.pk, "started_on": "2026-01-05"})
    client.post(url, {"supervisor": second.pk, "started_on": "2026-06-01"})
    links = list(SupervisionAssignment.objects.filter(coach=coach).order_by("started_on"))
    assert [(link.supervisor, str(link.ended_on)) for link in links] == [(supervisor, "2026-06-01"), (second, "None")]


def test_a_supervisor_of_another_program_cannot_be_chosen(client_for, admin, coach, outside_supervisor):
    response = client_for(admin).post(
        reverse("supervision:coach_supervisor", args=[coach.pk]),
        {"supervisor": outside_supervisor.pk, "started_on": "2026-01-05"},
    )
    assert "Choose a supervisor of your program" in response.content.decode()
    assert not SupervisionAssignment.objects.exists()


def test_coaches_cannot_change_supervision_links(client_for, coach, other_coach, supervisor):
    response = client_for(coach).post(
        reverse("supervision:coach_supervisor", args=[other_coach.pk]),
        {"supervisor": supervisor.pk, "started_on": "2026-01-05"},
    )
    assert response.status_code == 404


def test_admin_sets_office_hours_and_escalation(client_for, admin, program):
    response = client_for(admin).post(
        reverse("staff:program"),
        {
            "time_zone": "America/New_York",
            "office_opens": "08:30",
            "office_closes": "16:30",
            "office_days": ["0", "1", "2", "3"],
            "escalation_minutes": "10",
            "no_contact_days": "10",
            "caseload_cap": "12",
        },
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (str(program.office_opens), program.office_days, program.escalation_minutes) == ("08:30:00", "0123", 10)


def test_office_hours_out_of_order_are_refused(client_for, admin, program):
    response = client_for(admin).post(
        reverse("staff:program"),
        {
            "time_zone": "America/New_York",
            "office_opens": "17:00",
            "office_closes": "09:00",
            "office_days": ["0"],
            "escalation_minutes": "15",
            "no_contact_days": "14",
        },
    )
    assert "The office closes after it opens" in response.content.decode()


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_admins_change_program_settings(request, client_for, who, program):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("staff:program")).status_code == 404
    data = {
        "time_zone": "America/Chicago",
        "office_opens": "06:00",
        "office_closes": "09:00",
        "office_days": ["0"],
        "escalation_minutes": "15",
        "no_contact_days": "14",
    }
    assert client.post(reverse("staff:program"), data).status_code == 404
    program.refresh_from_db()
    assert program.time_zone != "America/Chicago"


def test_a_deactivated_coachs_unfinished_drafts_are_removed(client_for, admin, coach):
    from coaching.models import Draft

    Draft.objects.create(user=coach, form=Draft.Form.ENCOUNTER, data={"summary": ["half a note"]})
    client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    assert not Draft.objects.filter(user=coach).exists()


def test_with_the_broker_out_of_reach_the_new_account_is_saved_and_her_link_waits_in_the_outbox(
    client_for, admin, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from recovery_program.models import Outgoing
    from recovery_program.tasks import deliver_message

    def broker_down(*args, **kwargs):
        raise OperationalError("Timeout reading from socket")

    monkeypatch.setattr(deliver_message, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(reverse("staff:new"), _new_staff())

    assert response.status_code == 302
    wren = User.objects.get(username="wren")
    assert Outgoing.objects.get().recipient == wren  # the minute sweep sends it (tests/recovery_program/test_outbox.py)
    assert mailoutbox == []
