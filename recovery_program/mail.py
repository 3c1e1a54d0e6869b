"""Sending e-mail from templates/emails/<name>_subject.txt and <name>_body.txt.

E-mails never carry clinical content: they say something needs attention and link to the app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated(name: str, *, to: list[str], context: dict) -> None:
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = render_to_string(f"emails/{name}_subject.txt", context).strip()
    body = render_to_string(f"emails/{name}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
