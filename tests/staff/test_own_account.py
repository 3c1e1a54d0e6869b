"""Nobody changes her own role, e-mail address or two-step login through the pages where she manages others."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import StaffEvent, User
from tests.factories import UserFactory, staff_details

pytestmark = pytest.mark.django_db

ANOTHER_ADMIN_CAN = "Another admin of your program can."


@pytest.fixture
def other_admin(program):
    return UserFactory(username="admin_b", first_name="Ada", last_name="Reyes", program=program, role="admin")


def test_an_admin_cannot_change_her_own_role(client_for, admin):
    before = StaffEvent.objects.count()
    response = client_for(admin).post(reverse("staff:role", args=[admin.pk]), {"role": "supervisor"})
    assert f"You cannot change your own role here. {ANOTHER_ADMIN_CAN}" in response.content.decode()
    assert User.objects.get(pk=admin.pk).role.value == "admin"
    assert StaffEvent.objects.count() == before


def test_an_admin_cannot_change_her_own_e_mail_address(client_for, admin):
    response = client_for(admin).post(
        reverse("staff:edit", args=[admin.pk]), staff_details(admin, email="me@elsewhere.org")
    )
    assert f"You cannot change your own e-mail address here. {ANOTHER_ADMIN_CAN}" in response.content.decode()
    assert User.objects.get(pk=admin.pk).email == admin.email


def test_she_may_still_correct_her_own_phone_number(client_for, admin):
    client_for(admin).post(reverse("staff:edit", args=[admin.pk]), staff_details(admin, phone="603-555-0199"))
    assert User.objects.get(pk=admin.pk).phone == "603-555-0199"


def test_another_admin_changes_her_e_mail_address(client_for, admin, other_admin):
    client_for(other_admin).post(reverse("staff:edit", args=[admin.pk]), staff_details(admin, email="lee@example.org"))
    assert User.objects.get(pk=admin.pk).email == "lee@example.org"


def test_an_admin_cannot_turn_off_her_own_two_step_login_from_the_staff_page(client_for, admin):
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=False)  # confirmed, she would be asked for her code
    response = client_for(admin).post(reverse("staff:two_step_off", args=[admin.pk]), {"confirmed": "yes"}, follow=True)
    assert f"You cannot turn off your own two-step login here. {ANOTHER_ADMIN_CAN}" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_an_admin_cannot_deactivate_herself(client_for, admin):
    response = client_for(admin).post(reverse("staff:deactivate", args=[admin.pk]), {"confirmed": "yes"}, follow=True)
    assert f"You cannot deactivate your own account here. {ANOTHER_ADMIN_CAN}" in response.content.decode()
    assert User.objects.get(pk=admin.pk).is_active


def test_her_own_staff_page_offers_none_of_these_forms(client_for, admin):
    page = client_for(admin).get(reverse("staff:detail", args=[admin.pk])).content.decode()
    for name in ("role", "two_step_off", "deactivate"):
        assert reverse(f"staff:{name}", args=[admin.pk]) not in page


def test_a_coachs_new_e_mail_waits_for_a_supervisor_and_she_is_told_at_her_old_address(
    client_for, admin, coach, supervisor, patient, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    response = client_for(admin).post(
        reverse("staff:edit", args=[coach.pk]), staff_details(coach, email="mq@elsewhere.org"), follow=True
    )
    assert "The new e-mail address waits for a supervisor." in response.content.decode()
    assert User.objects.get(pk=coach.pk).email == coach.email
    proposal = coach.change_requests.get(kind="email")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(supervisor).post(reverse("staff:role_change_decide", args=[proposal.pk]), {"decision": "approve"})
    assert User.objects.get(pk=coach.pk).email == "mq@elsewhere.org"
    (mail,) = mailoutbox
    assert mail.to == [coach.email]
    assert "Iris Vance changed the e-mail address of your Recovery Coaching account" in mail.body
    assert "mq@elsewhere.org" not in mail.body
    assert patient.legal_name not in mail.body


def test_a_change_of_her_phone_alone_sends_no_e_mail(
    client_for, admin, coach, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(reverse("staff:edit", args=[coach.pk]), staff_details(coach, phone="603-555-0101"))
    assert mailoutbox == []


def test_an_admins_e_mail_changed_by_another_admin_is_told_at_her_old_address_at_once(
    client_for, admin, other_admin, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(other_admin).post(
            reverse("staff:edit", args=[admin.pk]), staff_details(admin, email="lp@example.org")
        )
    assert User.objects.get(pk=admin.pk).email == "lp@example.org"
    (mail,) = mailoutbox
    assert mail.to == [admin.email]
