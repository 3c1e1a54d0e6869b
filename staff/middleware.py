from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

# Pages that must stay reachable before the code is given.
OPEN_PATHS = ("/login/", "/logout/", "/healthz", "/static/", "/password/reset/", "/language/")


class TwoStepMiddleware:
    """Sends a logged-in user to give her code (or, when TWO_STEP_REQUIRED, to set it up) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(OPEN_PATHS):
            verify, setup = reverse("two_step_verify"), reverse("two_step_setup")
            # Her authenticator app is what enrolls her; recovery codes come with it and go with it, so one
            # query (not one per kind of device) answers on every page before she gives her code.
            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                if request.path != verify:
                    return redirect(f"{verify}?next={request.get_full_path()}")
            elif settings.TWO_STEP_REQUIRED and request.path != setup:
                return redirect(setup)
        return self.get_response(request)


LOGGED_IN_AT_KEY = "logged_in_at"
TOUCHED_AT_KEY = "touched_at"


def stamp_login(sender, request, user, **kwargs) -> None:
    """At login (the user_logged_in signal), the session starts its lifetime and its idle timeout: saved with the
    login itself, so that no page after it has to write the session to stamp it."""
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[LOGGED_IN_AT_KEY] = now
        request.session[TOUCHED_AT_KEY] = now


class SessionLifetimeMiddleware:
    """A session ends SESSION_ABSOLUTE_HOURS after she logged in, however active it has been (besides ending after
    SESSION_IDLE_MINUTES without activity): a session someone took over does not last for ever.

    The login time is stamped on the first request that sees her logged in (the login page's redirect). Activity
    renews the session's idle timeout once a minute (SESSION_TOUCH_SECONDS): a request within a minute of the
    last renewal writes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            session = request.session
            logged_in_at = session.setdefault(LOGGED_IN_AT_KEY, now)
            if now - logged_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
                logout(request)  # the login page follows, from LoginRequiredMiddleware
            elif not 0 <= now - session.get(TOUCHED_AT_KEY, 0) < settings.SESSION_TOUCH_SECONDS:
                session[TOUCHED_AT_KEY] = now  # modified: saved, with a new expiry, after the response
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


class LanguageMiddleware:
    """After login, pages are in the language she chose on her account page (User.language); with none chosen,
    LocaleMiddleware's choice stands (the login page's pick, else the browser's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
