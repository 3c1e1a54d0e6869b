"""The one-time links that let someone set her password."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class PasswordLinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, which also stop working when the account is deactivated.

    Django's own hash covers the password and the last login, so a link works until it is used or she logs
    in; deactivating her leaves both unchanged. The hash covers `is_active` too, so a link sent before she
    was deactivated no longer works."""

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


password_link_tokens = PasswordLinkTokenGenerator()
