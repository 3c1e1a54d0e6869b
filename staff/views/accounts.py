from __future__ import annotations

from django.contrib.auth import views as auth_views

from staff.forms import LoginForm
from staff.tokens import password_link_tokens


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordLinkView(auth_views.PasswordResetConfirmView):
    """Where the link in a password e-mail leads. A deactivated account's link is refused, like a used one."""

    token_generator = password_link_tokens
    post_reset_login = False

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None
