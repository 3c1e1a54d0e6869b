from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

# Pages that must stay reachable before the code is given.
OPEN_PATHS = ("/login/", "/logout/", "/healthz", "/static/", "/password/reset/")


class TwoStepMiddleware:
    """Sends a logged-in user to give her code (or, when TWO_STEP_REQUIRED, to set it up) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(OPEN_PATHS):
            verify, setup = reverse("two_step_verify"), reverse("two_step_setup")
            if user_has_device(user, confirmed=True):
                if request.path != verify:
                    return redirect(f"{verify}?next={request.get_full_path()}")
            elif settings.TWO_STEP_REQUIRED and request.path != setup:
                return redirect(setup)
        return self.get_response(request)


class ProgramTimeZoneMiddleware:
    """Her program's time zone is the clock of her pages: times she types are read in it, times are shown in it,
    and "today" is its date. (The database keeps UTC; anyone not logged in gets the server's zone.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        with timezone.override(request.user.program.zone):
            return self.get_response(request)
