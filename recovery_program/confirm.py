"""Actions one tap must not do by mistake (deactivating someone, ending what her role held, removing a rule): their
URL first answers with a page that says what will happen, and acts only when that page's button is pressed.

A POST without the confirmation (a stray tap, an old form, a forged request) is shown the same page and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.shortcuts import render


def confirmed(request) -> bool:
    """True when she pressed the button on the page that said what will happen."""
    return request.method == "POST" and request.POST.get("confirmed") == "yes"


def confirm_page(
    request,
    *,
    title: str,
    effects: Iterable[str],
    button: str,
    action: str,
    cancel_url: str,
    back_label: str,
    hidden: Iterable[tuple[str, str]] = (),
):
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "effects": list(effects),
            "button": button,
            "action": action,
            "cancel_url": cancel_url,
            "back_label": back_label,
            "hidden": list(hidden),
        },
    )
