"""One tap saves once: every form that creates a record carries a one-time key.

A double tap, a retry on a slow link, or Back and Save again sends the same key twice. The first
request claims the key (a row in `Submission`, unique per key and user) in the request's transaction;
a second request with the same key waits on that unique index until the first commits, then finds the
row and is answered with the first result: a redirect to what was created, saying it was already saved.
A refused first submission (the form shown again with its mistakes) gives the key back, so the
corrected form can be sent with it.

- Forms: `OnceFormMixin` adds the hidden key, a fresh one each time an empty form is shown. The key is
  required: a form sent without it, or with a garbled one, is shown again with a plain message and a
  fresh key, never saved unprotected and never a 500.
- Views: `@creates_once` around every view whose POST creates a record. It does nothing for a POST
  without a valid key (the form refuses it).
- `forget_old_submissions` (beat, daily) removes keys older than `KEEP`.
"""

from __future__ import annotations

import datetime
import functools
import json
import uuid
from collections.abc import Callable
from typing import ClassVar

from django import forms
from django.contrib import messages
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django_htmx.http import HttpResponseClientRedirect

from recovery_program.models import Submission

FIELD = "once_key"
KEEP = datetime.timedelta(days=7)
# Marked here, translated where they are shown (gettext_noop keeps them plain strings).
ALREADY_SAVED = gettext_noop("This was already saved. Here it is.")
NOT_MATCHED = gettext_noop(
    "This form could not be matched to the page you opened, so nothing was saved yet. "
    "Check what you typed and save it again."
)


class OnceKeyField(forms.UUIDField):
    widget = forms.HiddenInput
    default_error_messages: ClassVar[dict[str, str]] = {
        "required": gettext_lazy(NOT_MATCHED),
        "invalid": gettext_lazy(NOT_MATCHED),
    }

    def has_changed(self, initial, data) -> bool:
        # A fresh key is not a change she made.
        return False


class OnceFormMixin:
    """Adds the one-time key to a form that creates a record (see the module docstring).

    The key never reaches `cleaned_data`, so views may pass `cleaned_data` on to a service as it is.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = OnceKeyField(initial=uuid.uuid4())

    def full_clean(self) -> None:
        super().full_clean()
        if self._errors and FIELD in self._errors:
            # A hidden field's error would show nowhere: say it at the top, and give the next try a good key.
            self.add_error(None, self._errors.pop(FIELD))
            data = self.data.copy()
            data[self.add_prefix(FIELD)] = str(uuid.uuid4())
            self.data = data
        if hasattr(self, "cleaned_data"):
            self.cleaned_data.pop(FIELD, None)


def posted_key(request: HttpRequest, prefix: str | None = None) -> uuid.UUID | None:
    """The key posted with the form, or None when there is none or it is not a key."""
    name = f"{prefix}-{FIELD}" if prefix else FIELD
    try:
        return uuid.UUID(request.POST.get(name, ""))
    except (ValueError, TypeError, AttributeError):
        return None


def _keys_in(request: HttpRequest) -> uuid.UUID | None:
    """The form's key, prefixed or not (a page with two create forms prefixes them)."""
    for name in request.POST:
        if name == FIELD or name.endswith(f"-{FIELD}"):
            key = posted_key(request, name[: -len(FIELD) - 1] or None)
            if key is not None:
                return key
    return None


def _claim(user, key: uuid.UUID) -> tuple[bool, Submission | None]:
    """Claims the key for this request: (True, None), or (False, the earlier submission that has it).

    INSERT … ON CONFLICT waits for a concurrent request holding the same key to commit or roll back.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Submission._meta.db_table} (key, user_id, created_at, result_url) "  # noqa: S608 (model metadata, never input)
            "VALUES (%s, %s, %s, '') ON CONFLICT (key, user_id) DO NOTHING RETURNING id",
            [key, user.pk, timezone.now()],
        )
        if cursor.fetchone():
            return True, None
    return False, Submission.objects.filter(key=key, user=user).first()


def _result_url(response: HttpResponse) -> str:
    """Where a successful create sent her: a redirect, or htmx's client-side one. Empty if it was refused."""
    if response.status_code in (301, 302, 303):
        return response["Location"]
    location = response.headers.get("HX-Location", "")
    if location.startswith("{"):
        location = json.loads(location).get("path", "")
    return response.headers.get("HX-Redirect", "") or location


def replay(request: HttpRequest, submission: Submission) -> HttpResponse:
    """The answer to a repeat: back to what the first submission created."""
    messages.info(request, gettext(ALREADY_SAVED))
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(submission.result_url)
    return redirect(submission.result_url)


def creates_once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For a view whose POST creates a record: the same one-time key posted twice saves once."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = _keys_in(request) if request.method == "POST" and request.user.is_authenticated else None
        if key is None:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            claimed, earlier = _claim(request.user, key)
            if not claimed and earlier is None:
                # Removed by the cleanup between the two statements: claim it again.
                claimed, earlier = _claim(request.user, key)
            if earlier is not None and earlier.result_url:
                return replay(request, earlier)
            response = view(request, *args, **kwargs)
            result = _result_url(response)
            if result:
                Submission.objects.filter(key=key, user=request.user).update(result_url=result[:500])
            else:
                Submission.objects.filter(key=key, user=request.user).delete()
            return response

    wrapper.creates_once = True  # type: ignore[attr-defined]
    return wrapper


def forget_old_submissions(now: datetime.datetime | None = None) -> int:
    """Removes keys older than KEEP. Safe to run twice: a second run finds nothing more."""
    deleted, _ = Submission.objects.filter(created_at__lt=(now or timezone.now()) - KEEP).delete()
    return deleted
