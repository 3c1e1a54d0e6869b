"""Lockout after wrong passwords (django-axes), counting the person and the address, not the spelling.

An account is locked after AXES_FAILURE_LIMIT wrong passwords within the cool-off time, whatever was typed to name
it: her username or her e-mail address, in any case, with spaces around. An address is locked after
AXES_ADDRESS_FAILURE_LIMIT, a higher number, because a whole clinic may sit behind one address: a few staff
mistyping must not lock all of them out, while one machine guessing across many accounts is still stopped.
"""

from __future__ import annotations

import secrets

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Q, Sum

from staff.models import User


def account_username(request, credentials) -> str:
    """The username of the account that what was typed names (a username or an e-mail address, in any case), as the
    login backend finds it; what names no account, lower-cased, so that each spelling of it counts as one."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username", "")
    typed = str(typed).strip()
    username = (
        User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))
        .values_list("username", flat=True)
        .first()
    )
    return username or typed.lower()


def wrong_try_count(request) -> None:
    """A wrong two-step code (or password typed again) counts against the address it came from, like a wrong password
    at login, so that logging in again and again for fresh tries ends at AXES_ADDRESS_FAILURE_LIMIT. It is filed
    under a name of this session's own, which no account can have (it has spaces), so that it locks no one's login."""
    name = request.session.setdefault("two_step_tries_name", f"two-step tries {secrets.token_hex(8)}")
    user_login_failed.send(sender=__name__, credentials={"username": name}, request=request)


def client_address(request) -> str | None:
    """The address the request came from. Behind a proxy (BEHIND_PROXY), the last address in X-Forwarded-For, the
    one our proxy added (the ones before it are the client's word); otherwise the connection's."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler, with a limit for the account and a higher one for the address."""

    def get_failures(self, request, credentials=None) -> int:
        by_account = self._failures(request, username=get_client_username(request, credentials))
        by_address = self._failures(request, ip_address=request.axes_ip_address)
        # Axes compares this one number with AXES_FAILURE_LIMIT: the address's count is scaled so that it reaches
        # that limit exactly when it reaches AXES_ADDRESS_FAILURE_LIMIT.
        return max(by_account, by_address * settings.AXES_FAILURE_LIMIT // settings.AXES_ADDRESS_FAILURE_LIMIT)

    def reset_user_attempts(self, request, credentials=None) -> int:
        # The right password clears that account's count only. Axes would clear the address's too, so anyone who
        # knows one password could wipe the count of every account guessed at from her address.
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count

    @staticmethod
    def _failures(request, **match) -> int:
        attempts = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request), **match)
        return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
