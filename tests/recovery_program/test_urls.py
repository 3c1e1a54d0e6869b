"""Anonymous people reach nothing but the login page, static files and /healthz."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {
    "login",
    "password_ask",
    "healthz",
    "healthz_web",
    "sms_receipt",  # Twilio's delivery receipts: signed, or refused with 403
    "service_worker",
    "admin_login",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",  # the login page's choice of language: a cookie, nothing else
}


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern)


def _example_path(route: str) -> str:
    """A concrete path for a route, with 1 for every parameter."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    route = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = re.sub(r"\(\?:[^)]*\)\??", "", route)
    return "/" + route


def test_every_page_but_the_public_ones_sends_anonymous_visitors_to_log_in(client):
    checked = 0
    for pattern, route in _patterns(get_resolver()):
        if pattern.name in PUBLIC:
            continue
        path = _example_path(route)
        response = client.get(path, follow=True)
        assert response.redirect_chain, f"{path} answered {response.status_code} without a redirect"
        final = response.redirect_chain[-1][0]
        assert final.startswith("/login/"), f"{path} ended at {final}"
        assert response.status_code == 200
        checked += 1
    assert checked > 10


def test_login_page_and_health_check_are_public(client):
    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code in {200, 503}
