"""Sending e-mail from templates/emails/<name>_subject.txt and <name>_body.txt.

E-mails never carry clinical content: they say something needs attention and link to the app. Messages that must
not be lost go through the outbox (`recovery_program.outbox`), which calls this when it sends them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string


def language_of(person) -> str:
    """The language of what the app sends her: the one on her account, else the program's default."""
    chosen = getattr(person, "language", "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_templated(name: str, context: dict) -> tuple[str, str]:
    """The subject and body of the e-mail `name`."""
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = render_to_string(f"emails/{name}_subject.txt", context).strip()
    body = render_to_string(f"emails/{name}_body.txt", context)
    return subject, body


def send_templated(name: str, *, to: list[str], context: dict, key: str = "") -> None:
    """Sends it; `key` (the outbox row's) goes in an X-Idempotency-Key header, which the database outbox backend
    honours (SMTP cannot: the outbox sends at most once instead)."""
    subject, body = render_templated(name, context)
    headers = {"X-Idempotency-Key": key} if key else {}
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to, headers=headers).send(fail_silently=False)
