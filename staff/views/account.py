"""Her own account: the language of her pages, and the ways to her password, two-step login and training."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from staff import services
from staff.forms import LanguageForm


@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    form = LanguageForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            services.language_set(user=user, code=form.cleaned_data["language"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # This response, and the message on the next page, are already in the language she picked.
            code = user.language or translation.get_language_from_request(request)
            translation.activate(code)
            messages.success(request, gettext("Saved. Your pages are in this language now."))
            response = redirect("account")
            if user.language:
                # The login page, once she has logged out, speaks it too.
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    user.language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                )
            return response
    return render(request, "staff/account.html", {"form": form})
