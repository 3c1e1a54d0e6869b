"""Texts through Twilio's Programmable Messaging API, and its delivery receipts.

Sending (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
`POST {TWILIO_API_BASE}/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json`, form-encoded `To`, `From` (or
`MessagingServiceSid`), `Body` and `StatusCallback`, with HTTP Basic auth: the account SID and auth token, or an
API key's SID and secret. Twilio answers 201 with JSON carrying the message's `sid` ("SM...") and `status`; an
error is JSON with Twilio's own `code` and a `message` (never kept: it may repeat the number or the text). A 429
or 5xx, or no answer at all, is worth another try; any other 4xx is not (21211: not a valid phone number; 21610:
she replied STOP), so the page fails at once and the next supervisor is paged.

Twilio takes no idempotency key: a text whose answer was lost may go out twice when it is tried again. For a page
that is deliberate (at least once: a second text beats none); see docs/design.md.

Receipts (https://www.twilio.com/docs/usage/webhooks/webhooks-security): Twilio posts the message's
`MessageSid`, `MessageStatus` (queued, sending, sent, delivered, undelivered, failed) and `ErrorCode` to the
`StatusCallback` address, signed in `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed by the account's auth token,
over the address followed by each posted parameter, sorted by name, as name then value. The address names the
page by its key (`sms_receipt`); a higher app (supervision) hands in what to do with a receipt at start-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recovery_program.messaging import SendFailed

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


def messages_url() -> str:
    account = urllib.parse.quote(settings.TWILIO_ACCOUNT_SID, safe="")
    return f"{settings.TWILIO_API_BASE.rstrip('/')}/2010-04-01/Accounts/{account}/Messages.json"


def receipt_url(key: str) -> str:
    """Where Twilio posts the receipts of the message sent under `key` (a page's key)."""
    return settings.SITE_URL.rstrip("/") + reverse("sms_receipt", args=[key])


def signature(url: str, params: Mapping[str, list[str]], auth_token: str) -> str:
    """X-Twilio-Signature of a request to `url` with these POST parameters (each name with its list of values)."""
    payload = url + "".join(name + value for name in sorted(params) for value in sorted(set(params[name])))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def e164(phone: str) -> str:
    """A phone number as Twilio wants it (+15555550123): staff type theirs as they like ("603-555-0177"), and a
    number of ten digits is taken as North American. One that is already +... keeps its country."""
    digits = "".join(c for c in phone if c.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return phone  # Twilio refuses it (21211): the page fails at once and the next supervisor is paged


class TwilioSMSBackend:
    """SMS_BACKEND = "recovery_program.twilio.TwilioSMSBackend" (settings: TWILIO_*)."""

    def send(self, *, to: str, body: str, key: str) -> str:
        if urllib.parse.urlsplit(settings.TWILIO_API_BASE).scheme not in ("http", "https"):
            raise ValueError("TWILIO_API_BASE must be an http or https address.")
        fields = {"To": e164(to), "Body": body, "StatusCallback": receipt_url(key)}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            fields["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            fields["From"] = settings.TWILIO_FROM
        user = settings.TWILIO_API_KEY_SID or settings.TWILIO_ACCOUNT_SID
        password = settings.TWILIO_API_KEY_SECRET if settings.TWILIO_API_KEY_SID else settings.TWILIO_AUTH_TOKEN
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            messages_url(),
            data=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (checked above)
                answer = _json(response.read())
        except urllib.error.HTTPError as error:
            code = _json(error.read()).get("code")
            kind = f"twilio-{code or error.code}"
            raise SendFailed(kind, permanent=error.code != 429 and error.code < 500) from None
        sid = answer.get("sid")
        if not isinstance(sid, str) or not sid:
            raise SendFailed("twilio-no-sid")
        return sid


def _json(raw: bytes) -> dict:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


# What to do with a receipt: handed in by the app that owns the pages (supervision), as this core app imports none.
ReceiptHandler = Callable[..., None]
_receipt_handler: ReceiptHandler | None = None


def receipt_handler_set(handler: ReceiptHandler) -> None:
    """handler(key=UUID, sid=str, status=str, error_code=str), called inside the request's transaction."""
    global _receipt_handler  # set once, at start-up
    _receipt_handler = handler


@csrf_exempt
@login_not_required
@require_POST
def receipt(request, key: uuid.UUID):
    """Twilio's status callback for the text sent under `key`. Signed by Twilio or refused with 403; the same
    receipt twice changes nothing more. Its body (a phone number) is never logged."""
    token = settings.TWILIO_AUTH_TOKEN
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    given = request.headers.get("X-Twilio-Signature", "")
    if not token or not hmac.compare_digest(given, signature(url, dict(request.POST.lists()), token)):
        logger.warning("A text receipt with a wrong or missing signature was refused.")
        return HttpResponse(status=403)
    if _receipt_handler is not None:
        # Signed is not the same as well-formed: only a word, an id and a number of the shapes Twilio sends go on.
        status, sid, code = (request.POST.get(name, "") for name in ("MessageStatus", "MessageSid", "ErrorCode"))
        _receipt_handler(
            key=key,
            sid=sid if re.fullmatch(r"[A-Za-z0-9]{2,64}", sid) else "",
            status=status if re.fullmatch(r"[a-z-]{1,20}", status) else "",
            error_code=code if re.fullmatch(r"[0-9]{1,8}", code) else "",
        )
    return HttpResponse(status=204)
