"""Logging with no signal: the service worker that keeps the log-an-encounter and share-a-concern forms on a coach's
phone (static/js/offline.js queues what she saves there and sends it when the signal returns).

It is served from the site's root, so that its scope covers the forms' addresses, and rendered, so that it names
the static files those pages need by their current addresses (hashed in production)."""

from __future__ import annotations

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

# What the two forms load: kept with them, so that they work with no signal.
OFFLINE_ASSETS = (
    "css/app.css",
    "favicon.svg",
    "vendor/htmx-2.0.11/htmx.min.js",
    "js/forms.js",
    "js/errors.js",
    "js/keep.js",
    "js/offline.js",
)


def _version() -> str:
    """Changes whenever one of the files changes, so that phones fetch the new ones (their names do not change
    outside production's hashed storage). Static files change only with a deploy, which starts new processes:
    read once per process, except while developing, when they change under a running server."""
    return _files_digest() if settings.DEBUG else _files_digest_once()


def _files_digest() -> str:
    digest = hashlib.sha256()
    for name in OFFLINE_ASSETS:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


_files_digest_once = functools.cache(_files_digest)


@login_not_required
@require_GET
def service_worker(request):
    """The service worker script. Public: it holds no data, and a phone checks it for updates whoever is logged in."""
    response = render(
        request,
        "workspace/sw.js",
        {
            "version": _version(),
            # JSON is JavaScript: a list of strings, quoted and escaped.
            "assets": json.dumps([static(name) for name in OFFLINE_ASSETS]),
            "form_paths": json.dumps([reverse("coaching:encounter_new"), reverse("coaching:concern_new")]),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    add_never_cache_headers(response)
    return response
