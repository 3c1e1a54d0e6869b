"""Password links: none for a deactivated account, and one sent before she was deactivated stops working."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from recovery_program import outbox
from recovery_program.models import Outgoing
from staff.models import StaffEvent
from staff.tokens import password_link_tokens
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-passphrase-9"


def _send_link(admin_client, member, capture) -> str:
    with capture(execute=True):
        return admin_client.post(reverse("staff:password_link", args=[member.pk]), follow=True)


def _link_path(mail) -> str:
    return urlparse(re.search(r"http://\S+/password/reset/\S+/", mail.body).group(0)).path


def _set_password_through(client, path):
    form_page = client.get(path, follow=True)
    client.post(form_page.request["PATH_INFO"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    return form_page


def test_no_link_is_sent_for_a_deactivated_account_and_the_admin_is_told_why(
    client_for, admin, coach, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    admin_client = client_for(admin)
    admin_client.post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    response = _send_link(admin_client, coach, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "account is deactivated. Reactivate it before sending a password link" in response.content.decode()
    assert mailoutbox == []
    assert not StaffEvent.objects.filter(subject=coach, action=StaffEvent.Action.PASSWORD_LINK_SENT).exists()


def test_a_link_sent_before_she_was_deactivated_no_longer_works(
    client_for, client, admin, coach, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    _send_link(client_for(admin), coach, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    client_for(admin).post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    client.logout()
    form_page = _set_password_through(client, _link_path(mail))
    assert "This link no longer works" in form_page.content.decode()
    coach.refresh_from_db()
    assert coach.check_password(TEST_PASSWORD)


def test_reactivating_her_does_not_bring_an_old_link_back(
    client_for, client, admin, coach, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    admin_client = client_for(admin)
    _send_link(admin_client, coach, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    admin_client.post(reverse("staff:deactivate", args=[coach.pk]), {"confirmed": "yes"})
    admin_client.post(reverse("staff:reactivate", args=[coach.pk]))
    client.logout()
    assert "This link no longer works" in _set_password_through(client, _link_path(mail)).content.decode()
    coach.refresh_from_db()
    assert coach.check_password(TEST_PASSWORD)


def test_a_link_of_an_active_account_still_works(
    client_for, client, admin, coach, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    _send_link(client_for(admin), coach, django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    client.logout()
    _set_password_through(client, _link_path(mail))
    coach.refresh_from_db()
    assert coach.check_password(NEW_PASSWORD)


def test_a_link_queued_for_someone_deactivated_meanwhile_is_not_sent(coach, mailoutbox):
    message = outbox.message_add(kind="password_link", recipient=coach, template="password_link")
    type(coach).objects.filter(pk=coach.pk).update(is_active=False)
    assert outbox.deliver(message.pk) is False
    assert mailoutbox == []
    message.refresh_from_db()
    assert message.status == Outgoing.Status.DROPPED


def test_deactivating_her_invalidates_the_token_itself(coach):
    # The page refuses inactive accounts too; the token must not rely on that alone.
    token = password_link_tokens.make_token(coach)
    coach.is_active = False
    assert not password_link_tokens.check_token(coach, token)
