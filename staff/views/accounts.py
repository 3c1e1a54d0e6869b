from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from recovery_program.audit import client_address
from staff import services
from staff.context_processors import PROGRAM_COOKIE, PROGRAM_COOKIE_SALT
from staff.forms import LoginForm, NewPasswordForm, PasswordAskForm
from staff.tokens import password_link_tokens

PROGRAM_COOKIE_DAYS = 400


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        """Logs her in, and remembers on this phone which program she belongs to, so that the login page can show
        her program's on-call line when she is logged out (staff.context_processors.on_call_line)."""
        response = super().form_valid(form)
        response.set_signed_cookie(
            PROGRAM_COOKIE,
            str(form.get_user().program_id),
            salt=PROGRAM_COOKIE_SALT,
            max_age=PROGRAM_COOKIE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        """Logs her out, and has her browser remove everything this site kept on the phone: the forms kept for
        logging with no signal, entries still waiting to send, drafts (workspace/offline.py, static/js/offline.js).
        The page's script removes them too; this holds if it did not run."""
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response


class PasswordLinkView(auth_views.PasswordResetConfirmView):
    """Where the link in a password e-mail leads. A deactivated account's link is refused, like a used one."""

    token_generator = password_link_tokens
    form_class = NewPasswordForm
    post_reset_login = False

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None


@login_not_required
@require_http_methods(["GET", "POST"])
def password_ask(request):
    """ "Forgot your password?": a link by e-mail to set a new one. The answer is the same whether or not what she
    typed names an account, so that the page tells no one who works here."""
    form = PasswordAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_link_ask(typed=form.cleaned_data["typed"], ip_address=client_address(request))
        messages.info(
            request,
            _(
                "If that is the username or e-mail address of an active account, a link to set a new password is on "
                "its way to that account's e-mail address. It can take a few minutes; look in your spam folder too. "
                "If nothing comes, ask your program's admin."
            ),
        )
        return redirect("login")
    return render(request, "registration/password_ask.html", {"form": form})
