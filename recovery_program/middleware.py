from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop
from psycopg import errors as database_errors

SESSION_ENDED = gettext_noop("Your session ended. What you typed is kept on this phone. Log in again to go on.")


class SessionEndedMiddleware:
    """When her session has ended, what she was doing is not lost on the way to the login page.

    LoginRequiredMiddleware sends her to log in with `next` set to the address she asked for. For a page she opened
    that is right; for a form she sent it is not (the address may take POST only: an autosave endpoint, a form
    whose page is elsewhere), so `next` becomes the page she sent it from. A request made by a script (htmx, the
    autosave) is not redirected at all: it gets 401 and an `HX-Trigger: sessionEnded` header carrying the login
    address, and the page keeps what she typed and says so (static/js/keep.js)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        location = response.get("Location", "") if response.status_code == 302 else ""
        # Only the redirect of a request that needs a login (it carries next=), not the one after logging out.
        if not (location.startswith(f"{login_url}?") and "next=" in location):
            return response
        from_script = _from_script(request)
        if request.method == "GET" and not from_script:
            return response
        login = f"{login_url}?{urlencode({'next': _page_sent_from(request)})}"
        if not from_script:
            return HttpResponseRedirect(login)
        answer = HttpResponse(gettext(SESSION_ENDED), status=401, content_type="text/plain; charset=utf-8")
        answer["HX-Trigger"] = json.dumps({"sessionEnded": {"login": login}})
        return answer


def _from_script(request) -> bool:
    """htmx and the page's scripts say so; a browser says whether a request is a page it navigates to."""
    if request.headers.get("HX-Request") == "true" or request.headers.get("X-Requested-With"):
        return True
    mode = request.headers.get("Sec-Fetch-Mode")
    return bool(mode) and mode != "navigate"


def _page_sent_from(request) -> str:
    """The page (path and query) the request was sent from, if it is one of ours; else the home page."""
    for url in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            parts = urlsplit(url)
            if parts.path and parts.path != resolve_url(settings.LOGIN_URL):
                return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class NoStoreForStaffMiddleware:
    """Nothing a logged-in person is shown is kept by her browser or any cache on the way (Cache-Control: no-store).

    The rule is every response to a logged-in user rather than a list of pages with patient data: nearly every
    page she sees names a patient somewhere (lists, menus, the home page, exports, certificates), and a page
    added tomorrow is covered without anyone remembering to. Static files are served before this runs
    (WhiteNoise) and stay cacheable; the login and password pages carry no patient data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class TookTooLongMiddleware:
    """A page whose query the database cancelled (STATEMENT_TIMEOUT_MS) is a plain 503 that says what to do. The
    request's transaction was rolled back: nothing of it was saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and isinstance(exception.__cause__, database_errors.QueryCanceled):
            response = render(request, "took_too_long.html", status=503)
            response["Retry-After"] = "10"
            return response
        return None
