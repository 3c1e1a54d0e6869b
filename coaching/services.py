"""Writes about encounters and concerns. Each writes its access-log rows in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from coaching.forms import ConcernForm, EncounterForm
from coaching.models import (
    Addendum,
    Concern,
    ConcernNote,
    ConcernNoteSeen,
    ConcernStatus,
    Draft,
    Encounter,
    EncounterPatient,
    Resource,
)
from patients.models import Patient
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many
from staff.models import User

# What a coach or supervisor is told when the record's state no longer allows what she asked.
IN_ERROR = "This encounter is marked entered in error: it can no longer be changed or added to."
CLOSED = "This concern is already closed: nothing more can be done with it here."

# What a draft may hold: the fields of the form it is a draft of, up to about ten pages of typing.
DRAFT_FORMS: dict[str, type[forms.Form]] = {Draft.Form.ENCOUNTER: EncounterForm, Draft.Form.CONCERN: ConcernForm}
DRAFT_MAX_BYTES = 20_000


def _log_encounter(actor: Actor, action: AccessAction, encounter: Encounter, patient_ids: Iterable[int]) -> None:
    log_access_many(actor, action, patient_ids, record_type="encounter", record_id=str(encounter.pk))


@transaction.atomic
def encounter_log(
    *, actor: Actor, fields: dict[str, Any], patients: Iterable[Patient], resources: Iterable[Resource]
) -> Encounter:
    """Records what the coach did; her encounter draft is done with."""
    patients = list(patients)
    encounter = Encounter.objects.create(program_id=actor.user.program_id, coach=actor.user, **fields)
    EncounterPatient.objects.bulk_create([EncounterPatient(encounter=encounter, patient=p) for p in patients])
    encounter.resources.set(resources)
    _log_encounter(actor, AccessAction.CREATE, encounter, [p.pk for p in patients])
    Draft.objects.filter(user=actor.user, form=Draft.Form.ENCOUNTER).delete()
    return encounter


@transaction.atomic
def encounter_update(
    *,
    actor: Actor,
    encounter: Encounter,
    fields: dict[str, Any],
    patients: Iterable[Patient],
    resources: Iterable[Resource],
) -> Encounter:
    """Her correction within the 72-hour window; pghistory keeps what it said before."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.is_entered_in_error:
        raise ValidationError(IN_ERROR)
    if not encounter.edit_window_open():
        raise ValidationError("The 72 hours to change this encounter have passed. Add an addendum instead.")
    for name, value in fields.items():
        setattr(encounter, name, value)
    encounter.save()
    wanted = {p.pk for p in patients}
    present = set(EncounterPatient.objects.filter(encounter=encounter).values_list("patient_id", flat=True))
    EncounterPatient.objects.filter(encounter=encounter, patient_id__in=present - wanted).delete()
    EncounterPatient.objects.bulk_create(
        [EncounterPatient(encounter=encounter, patient_id=pk) for pk in sorted(wanted - present)]
    )
    encounter.resources.set(resources)
    _log_encounter(actor, AccessAction.CHANGE, encounter, sorted(wanted | present))
    return encounter


@transaction.atomic
def encounter_add_addendum(*, actor: Actor, encounter: Encounter, text: str) -> Addendum:
    """A dated, signed addition under her encounter; one marked entered in error takes none."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.is_entered_in_error:
        raise ValidationError(IN_ERROR)
    addendum = Addendum.objects.create(encounter=encounter, author=actor.user, text=text)
    _log_encounter(actor, AccessAction.CHANGE, encounter, encounter.patients.values_list("pk", flat=True))
    return addendum


@transaction.atomic
def encounter_mark_in_error(*, actor: Actor, encounter: Encounter, reason: str) -> Encounter:
    """Marks a mistaken entry; it stays, struck through, with its history."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.is_entered_in_error:
        raise ValidationError("This encounter is already marked entered in error.")
    encounter.entered_in_error_at = timezone.now()
    encounter.entered_in_error_reason = reason
    encounter.save(update_fields=["entered_in_error_at", "entered_in_error_reason", "updated_at"])
    _log_encounter(actor, AccessAction.CHANGE, encounter, encounter.patients.values_list("pk", flat=True))
    return encounter


# Paging supervisors is supervision's, and supervision sits above coaching: it hands its pager in when the
# apps are ready (supervision/apps.py), so coaching does not import it. Without one, sharing is an error,
# never an urgent concern that pages nobody.
_pager: Callable[[Concern], object] | None = None


def concern_pager_set(pager: Callable[[Concern], object]) -> None:
    """Who pages supervisors about a concern as it is shared: supervision.paging.concern_raise_pages."""
    global _pager
    _pager = pager


def _concern_pager() -> Callable[[Concern], object]:
    if _pager is None:
        raise ImproperlyConfigured("Nothing pages supervisors about urgent concerns: is supervision installed?")
    return _pager


@transaction.atomic
def concern_share(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], encounter: Encounter | None = None
) -> Concern:
    """The coach shares a concern with her supervisors; her concern draft is done with."""
    concern = Concern.objects.create(
        program_id=actor.user.program_id, patient=patient, coach=actor.user, encounter=encounter, **fields
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=concern)
    Draft.objects.filter(user=actor.user, form=Draft.Form.CONCERN).delete()
    # An urgent concern pages a supervisor now: the pages are written in this transaction.
    _concern_pager()(concern)
    return concern


def _acknowledge(actor: Actor, concern: Concern) -> None:
    if concern.acknowledged_at is None:
        concern.acknowledged_at = timezone.now()
        concern.acknowledged_by = actor.user
    if concern.status == ConcernStatus.SHARED:
        concern.status = ConcernStatus.SEEN


@transaction.atomic
def concern_acknowledge(*, actor: Actor, concern: Concern) -> Concern:
    """A supervisor has seen it. Acknowledging again changes nothing; a closed concern is done with."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if not concern.is_open:
        raise ValidationError(CLOSED)
    if concern.acknowledged_at is None:
        _acknowledge(actor, concern)
        concern.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
        log_access(actor, AccessAction.CHANGE, patient=concern.patient, record=concern)
    return concern


@transaction.atomic
def concern_add_note(*, actor: Actor, concern: Concern, text: str) -> ConcernNote:
    """A note to the coach; the concern is in review from then on."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if not concern.is_open:
        raise ValidationError(CLOSED)
    _acknowledge(actor, concern)
    concern.status = ConcernStatus.IN_REVIEW
    concern.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    note = ConcernNote.objects.create(concern=concern, author=actor.user, text=text)
    log_access(actor, AccessAction.CHANGE, patient=concern.patient, record=concern)
    return note


@transaction.atomic
def concern_close(*, actor: Actor, concern: Concern, reason: str, note_to_coach: str = "") -> Concern:
    """Closes it with a reason for the clinical team, and optionally a last note the coach will see."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    if not concern.is_open:
        raise ValidationError(CLOSED)
    if note_to_coach:
        ConcernNote.objects.create(concern=concern, author=actor.user, text=note_to_coach)
    _acknowledge(actor, concern)
    concern.status = ConcernStatus.CLOSED
    concern.closed_at = timezone.now()
    concern.closed_by = actor.user
    concern.close_reason = reason
    concern.save()
    log_access(actor, AccessAction.CHANGE, patient=concern.patient, record=concern)
    return concern


def concern_notes_mark_seen(*, user: User, concern: Concern) -> int:
    """She opened her concern: every note on it is seen by her from now on. Only the coach who shared it marks
    notes; anyone else opening it changes nothing. Returns how many notes were new to her."""
    if concern.coach_id != user.pk:
        return 0
    new = ConcernNote.objects.filter(concern=concern, seen_by_coach__isnull=True).values_list("pk", flat=True)
    now = timezone.now()
    marks = ConcernNoteSeen.objects.bulk_create(
        [ConcernNoteSeen(note_id=pk, seen_at=now) for pk in new], ignore_conflicts=True
    )
    return len(marks)


def draft_save(*, user: User, form: Draft.Form, data: dict[str, list[str]]) -> Draft:
    """Keeps what she has typed so far; one draft per form, replaced as she types.

    Only the form's own fields are kept, without NUL bytes (PostgreSQL's JSON refuses them); a draft larger
    than DRAFT_MAX_BYTES is refused with a ValidationError and the one kept before stays."""
    fields = DRAFT_FORMS[form].base_fields
    kept = {name: [value.replace("\x00", "") for value in values] for name, values in data.items() if name in fields}
    if len(json.dumps(kept, ensure_ascii=False).encode()) > DRAFT_MAX_BYTES:
        raise ValidationError(
            "This is too long to keep as a draft. What you typed is still on the screen: save it when you are done."
        )
    draft, _ = Draft.objects.update_or_create(user=user, form=form, defaults={"data": kept})
    return draft


def draft_discard(*, user: User, form: Draft.Form) -> None:
    Draft.objects.filter(user=user, form=form).delete()


def drafts_discard_all(*, user: User) -> None:
    Draft.objects.filter(user=user).delete()
