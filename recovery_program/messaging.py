"""Sending texts and e-mails through pluggable backends (SMS_BACKEND, EMAIL_BACKEND).

Backends take an idempotency `key` (a page's UUID, unique forever): delivering the same page twice sends one
message where the backend can tell (the outbox stores one row per key; the generic HTTP provider gets the key as
a header). Twilio (`recovery_program.twilio`) and SMTP have no such key: see docs/design.md for what each
channel promises. A text backend's `send` returns the provider's id of the message, if it has one, for its
delivery receipts to name.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from recovery_program.models import OutboundMessage

logger = logging.getLogger("recovery_program.messaging")


class SendFailed(Exception):
    """A provider refused or failed a message. `kind` names the failure without the provider's words (which may
    echo what was sent), e.g. "twilio-21211"; `permanent`: trying again cannot help (an invalid number)."""

    def __init__(self, kind: str, *, permanent: bool = False):
        super().__init__(kind)
        self.kind = kind
        self.permanent = permanent


class ConsoleSMSBackend:
    def send(self, *, to: str, body: str, key: str) -> None:
        logger.info("Text message to %s (%s): %s", to, key, body)


class OutboxSMSBackend:
    """Keeps texts in the database, once per key."""

    def send(self, *, to: str, body: str, key: str) -> None:
        _store(channel="sms", to=to, subject="", body=body, key=key)


class HTTPSMSBackend:
    """Posts {"to", "body"} as JSON to SMS_URL with SMS_TOKEN, for a provider or a gateway of the program's."""

    def send(self, *, to: str, body: str, key: str) -> None:
        if urllib.parse.urlsplit(settings.SMS_URL).scheme not in ("http", "https"):
            raise ValueError("SMS_URL must be an http or https address.")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            settings.SMS_URL,
            data=json.dumps({"to": to, "body": body}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_TOKEN}",
                "Idempotency-Key": key,
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the scheme is checked above)
            if response.status >= 300:
                raise OSError(f"SMS provider answered {response.status}")


class OutboxEmailBackend(BaseEmailBackend):
    """Keeps e-mails in the database (development, tests); one per key when the message carries one."""

    def send_messages(self, email_messages):
        for message in email_messages:
            for to in message.to:
                _store(
                    channel="email",
                    to=to,
                    subject=message.subject,
                    body=message.body,
                    key=message.extra_headers.get("X-Idempotency-Key"),
                )
        return len(email_messages)


def _store(*, channel, to, subject, body, key) -> None:
    try:
        with transaction.atomic():
            OutboundMessage.objects.create(channel=channel, to=to, subject=subject, body=body, key=key or "")
    except IntegrityError:
        logger.info("Message %s was already delivered; not sent again.", key)


def send_sms(*, to: str, body: str, key: str) -> str | None:
    """Sends a text; returns the provider's id of the message when the backend has one."""
    return import_string(settings.SMS_BACKEND)().send(to=to, body=body, key=key)


def send_email(*, to: str, subject: str, body: str, key: str) -> None:
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers={"X-Idempotency-Key": key}).send()
