from __future__ import annotations

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """When a session has ended, an htmx request is sent to log in as a whole page, not swapped into a form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        if (
            request.headers.get("HX-Request") == "true"
            and response.status_code == 302
            and response.get("Location", "").startswith(login_url)
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response


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
