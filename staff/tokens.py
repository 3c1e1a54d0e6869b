"""The one-time links that let someone set her password."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from staff.models import StaffEvent


class PasswordLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, which also stop working when the account is deactivated.

    Django's own hash covers the password and the last login, so a link works until it is used or she logs
    in; deactivating her leaves both unchanged. The hash covers `is_active` too, so a link sent before she
    was deactivated no longer works, and how many times she has been deactivated, so that reactivating her
    does not bring it back."""

    def _make_hash_value(self, user, timestamp: int) -> str:
        deactivations = StaffEvent.objects.filter(subject_id=user.pk, action=StaffEvent.Action.DEACTIVATED).count()
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}{deactivations}"


password_link_tokens = PasswordLinkTokenGenerator()
