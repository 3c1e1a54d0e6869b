"""Writing the access log. Call these inside the transaction that reads or writes the record."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings

from recovery_program.models import AccessAction, AccessLog, Export

if TYPE_CHECKING:
    # django-stubs reads this alias as settings.AUTH_USER_MODEL (staff.User), so the core layer
    # names the user model without importing the staff app.
    from django.contrib.auth.models import _User


def client_address(request) -> str | None:
    """The address the request came from; behind a trusted proxy, the one it saw."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        # A header the proxy passed on unchecked may hold anything; the log's column holds only addresses.
        if _is_address(forwarded):
            return forwarded
    return request.META.get("REMOTE_ADDR") or None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class Actor(NamedTuple):
    """Who acts, and from where: what services need to write the access log."""

    user: _User
    ip_address: str | None


def actor_from(request) -> Actor:
    return Actor(request.user, client_address(request))


def log_access(
    actor: Actor, action: AccessAction, *, patient=None, record=None, record_type: str = "", record_id: str = ""
) -> AccessLog:
    """One row; `record_id` names what was read when it is no single record (a report's period and filters)."""
    record = record if record is not None else patient
    return AccessLog.objects.create(
        user=actor.user,
        action=action,
        patient=patient,
        record_type=record_type or record._meta.verbose_name_raw,  # in English whoever reads: shown translated
        record_id=str(record.pk) if record is not None else record_id[:64],
        ip_address=actor.ip_address,
    )


def log_access_many(
    actor: Actor, action: AccessAction, patient_ids: Iterable[int], *, record_type: str, record_id: str = ""
) -> AccessLog | None:
    """One row naming every patient shown: for a list, and for a record about several patients (a group session).

    Several patients go in `patient_ids` (sorted); a list of one is a row about her alone (`patient`), as
    `log_access` writes it. `AccessLog.objects.about(patient_id)` finds her either way. No row for an empty list.
    """
    ids = sorted({int(patient_id) for patient_id in patient_ids})
    if not ids:
        return None
    return AccessLog.objects.create(
        user=actor.user,
        action=action,
        patient_id=ids[0] if len(ids) == 1 else None,
        patient_ids=ids if len(ids) > 1 else None,
        record_type=record_type,
        record_id=record_id[:64] or (str(ids[0]) if len(ids) == 1 else ""),
        ip_address=actor.ip_address,
    )


def log_access_records(actor: Actor, action: AccessAction, record_ids: Iterable[int], *, record_type: str) -> None:
    """One row per record about no patient (a coach's private check-in), in one query."""
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                user=actor.user,
                action=action,
                record_type=record_type,
                record_id=str(record_id),
                ip_address=actor.ip_address,
            )
            for record_id in record_ids
        ]
    )


def log_export(actor: Actor, export: Export) -> AccessLog:
    """The one row an export leaves, whatever it holds: it names the `Export` (her choices) and their digest."""
    return AccessLog.objects.create(
        user=actor.user,
        action=AccessAction.EXPORT,
        record_type="export",
        record_id=f"{export.pk}:{export.digest()}",
        ip_address=actor.ip_address,
    )
