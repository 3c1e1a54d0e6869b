"""The one reader of the environment.

Every setting is read once, here or in settings.py through these helpers, and
parsed strictly: a value that does not parse stops the app at start-up instead
of quietly meaning something else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import overload

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@overload
def string(name: str, default: str) -> str: ...
@overload
def string(name: str, default: None = None) -> str | None: ...
def string(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def boolean(name: str, default: bool) -> bool:
    value = string(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def integer(name: str, default: int) -> int:
    value = string(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def listing(name: str, default: list[str]) -> list[str]:
    value = string(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and Kubernetes secrets)."""
    value = string(name)
    path = string(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text().strip() or None
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {error}") from None
    return value
