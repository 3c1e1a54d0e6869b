"""Writes about encounters and concerns. Each writes its access-log rows in the same transaction."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone

from coaching import permissions
from coaching.models import (
    PLAN_CONTACTS_MAX,
    Addendum,
    Concern,
    ConcernNote,
    ConcernNoteSeen,
    ConcernStatus,
    Draft,
    Encounter,
    EncounterKind,
    EncounterNote,
    EncounterPatient,
    Resource,
    RiskMoment,
    SafetyPlan,
)
from patients.models import Patient
from patients.services import logging_refusal
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many
from recovery_program.validators import not_in_future
from recovery_program.versioning import EditConflict, check_version, said_when
from staff.models import User

# What a coach or supervisor is told when the record's state no longer allows what she asked.
IN_ERROR = "This encounter is marked entered in error: it can no longer be changed or added to."
CLOSED = "This concern is already closed: nothing more can be done with it here."

# What a draft may hold: up to about ten pages of typing.
DRAFT_MAX_BYTES = 20_000

# How often a draft she keeps typing in is written to the access log again (see draft_save).
DRAFT_LOG_EVERY = datetime.timedelta(minutes=10)

# What her encounter form calls a field whose name says something else, in the message when someone else saved
# the encounter while she was changing it.
ENCOUNTER_LABELS = {"kind": "What you did"}


# How far back an encounter may be logged: further is almost always a mistyped year.
OLDEST = datetime.timedelta(days=365)


def _check_encounter(actor: Actor, fields: dict[str, Any], patient_ids: set[int]) -> None:
    """What an encounter must be, whoever calls: it has happened, within the last year, with women of her caseload;
    a warm handoff names the other coach of her program present, and nothing else names one.
    The database holds the first two against the row's own creation time (`encounter_happened_before_logging`)."""
    errors: dict[str, str] = {}
    occurred_at = fields.get("occurred_at")
    if occurred_at is not None:
        try:
            not_in_future(occurred_at, message="An encounter cannot be in the future. Check the date and time.")
        except ValidationError as error:
            errors["date"] = error.messages[0]
        else:
            if occurred_at < timezone.now() - OLDEST:
                errors["date"] = "This is more than a year ago. Please check the date."
    hers = set(permissions.patients_for_logging(actor.user).filter(pk__in=patient_ids).values_list("pk", flat=True))
    if patient_ids - hers:
        errors["patients"] = "Only women of your caseload can be on an encounter you log."
    other_coach = fields.get("other_coach")
    if fields.get("kind") == EncounterKind.WARM_HANDOFF:
        if other_coach is None or not permissions.handoff_coaches_for(actor.user).filter(pk=other_coach.pk).exists():
            errors["other_coach"] = "Choose the coach of your program who met her with you."
    elif other_coach is not None:
        errors["other_coach"] = "Only a warm handoff names another coach."
    if errors:
        raise ValidationError(errors)


NOTHING_WRITTEN = "Write what happened. For a group, write about the group, or in each woman's own note."


def _names_of(patient: Patient) -> set[str]:
    """The words that name her: each part of her legal and preferred names (initials left out)."""
    return {part for part in re.split(r"[^\w'-]+", f"{patient.legal_name} {patient.preferred_name}") if len(part) > 1}


def _check_notes(summary: str, notes: dict[int, str], patients: list[Patient]) -> None:
    """Something is written: the shared note or a woman's own note. A group's shared note is in every attendee's
    record, so it names none of them (a name, as a whole word, written as it is spelled in her record)."""
    if not summary.strip() and not any(text.strip() for pk, text in notes.items() if pk in {p.pk for p in patients}):
        raise ValidationError({"summary": NOTHING_WRITTEN})
    if len(patients) < 2:
        return
    for patient in patients:
        named = sorted(
            name for name in _names_of(patient) if re.search(rf"(?<![\w'-]){re.escape(name)}(?![\w'-])", summary)
        )
        if named:
            raise ValidationError(
                {
                    "summary": f"The note about the group names {named[0]}: every woman on it reads it in her "
                    "record. Write about her in her own note instead."
                }
            )


def _write_notes(encounter: Encounter, notes: dict[int, str], patient_ids: Iterable[int]) -> None:
    """Each woman's own note, for the women on it. A note is changed, or emptied, never deleted."""
    wanted = {pk: notes.get(pk, "") for pk in patient_ids}
    kept = {note.patient_id: note for note in EncounterNote.objects.filter(encounter=encounter, patient_id__in=wanted)}
    for pk, text in wanted.items():
        note = kept.get(pk)
        if note is None and text:
            EncounterNote.objects.create(encounter=encounter, patient_id=pk, text=text)
        elif note is not None and note.text != text:
            note.text = text
            note.save(update_fields=["text", "updated_at"])


def _log_encounter(actor: Actor, action: AccessAction, encounter: Encounter, patient_ids: Iterable[int]) -> None:
    log_access_many(actor, action, patient_ids, record_type="encounter", record_id=str(encounter.pk))


@transaction.atomic
def encounter_log(
    *,
    actor: Actor,
    fields: dict[str, Any],
    patients: Iterable[Patient],
    resources: Iterable[Resource],
    notes: dict[int, str] | None = None,
) -> Encounter:
    """Records what the coach did; her encounter draft is done with. Nothing is logged about a discharged woman,
    nor about one re-enrolled before the consent for her new episode is recorded (`logging_refusal`).

    `fields["summary"]` is the shared note, in every attendee's record; `notes` maps a patient's id to her own
    note, in hers only. Either may be empty, not both (`_check_notes`)."""
    patients = list(patients)
    if not patients:
        raise ValidationError({"patients": "Pick at least one person who was there."})
    refusal = logging_refusal(patients)
    if refusal:
        raise ValidationError({"patients": refusal})
    _check_encounter(actor, fields, {p.pk for p in patients})
    notes = notes or {}
    _check_notes(fields.get("summary", ""), notes, patients)
    encounter = Encounter.objects.create(program_id=actor.user.program_id, coach=actor.user, **fields)
    EncounterPatient.objects.bulk_create(
        [EncounterPatient(program_id=encounter.program_id, encounter=encounter, patient=p) for p in patients]
    )
    _write_notes(encounter, notes, [p.pk for p in patients])
    encounter.resources.set(resources, through_defaults={"program_id": encounter.program_id})
    _log_encounter(actor, AccessAction.CREATE, encounter, [p.pk for p in patients])
    draft_discard(user=actor.user, form=Draft.Form.ENCOUNTER)
    return encounter


@transaction.atomic
def encounter_update(
    *,
    actor: Actor,
    encounter: Encounter,
    fields: dict[str, Any],
    patients: Iterable[Patient],
    resources: Iterable[Resource],
    notes: dict[int, str] | None = None,
    version: int | None = None,
) -> Encounter:
    """Her correction within the 72-hour window; pghistory keeps what it said before. The notes as in
    `encounter_log`: a woman taken off it keeps her note, unseen, and finds it again if she is put back.

    `version`: the encounter's version her form was opened at; if it was changed since (in another tab), her save
    is refused with an EditConflict that says what it holds now (None: no form, no check)."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.is_entered_in_error:
        raise ValidationError(IN_ERROR)
    if not encounter.edit_window_open():
        raise ValidationError("The 72 hours to change this encounter have passed. Add an addendum instead.")
    if version is not None:
        check_version(encounter, seen=version, saving=fields, user=actor.user, labels=ENCOUNTER_LABELS)
    patients = list(patients)
    wanted = {p.pk for p in patients}
    if not wanted:
        raise ValidationError({"patients": "Pick at least one person who was there."})
    present = set(EncounterPatient.objects.filter(encounter=encounter).values_list("patient_id", flat=True))
    # A woman already on it stays allowed (she may have left the caseload since); one added must be hers.
    _check_encounter(actor, fields, wanted - present)
    if notes is None:  # not asked to change them
        notes = dict(EncounterNote.objects.filter(encounter=encounter).values_list("patient_id", "text"))
    _check_notes(fields.get("summary", encounter.summary), notes, patients)
    for name, value in fields.items():
        setattr(encounter, name, value)
    encounter.save()
    EncounterPatient.objects.filter(encounter=encounter, patient_id__in=present - wanted).delete()
    EncounterPatient.objects.bulk_create(
        [
            EncounterPatient(program_id=encounter.program_id, encounter=encounter, patient_id=pk)
            for pk in sorted(wanted - present)
        ]
    )
    _write_notes(encounter, notes, sorted(wanted))
    encounter.resources.set(resources, through_defaults={"program_id": encounter.program_id})
    _log_encounter(actor, AccessAction.CHANGE, encounter, sorted(wanted | present))
    draft_discard(user=actor.user, form=Draft.Form.ENCOUNTER, key=str(encounter.pk))
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
    """The coach shares a concern with her supervisors; her concern draft is done with. Not about a discharged
    woman, nor one re-enrolled whose new consent is not recorded yet (`logging_refusal`)."""
    refusal = logging_refusal([patient], doing="shared about")
    if refusal:
        raise ValidationError({"patient": refusal})
    concern = Concern.objects.create(
        program_id=actor.user.program_id, patient=patient, coach=actor.user, encounter=encounter, **fields
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=concern)
    draft_discard(user=actor.user, form=Draft.Form.CONCERN)
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


def _still_open(actor: Actor, concern: Concern) -> None:
    """A concern closed while she was writing refuses what she wrote, and says who closed it and when.

    Only its state counts, not its version: another supervisor's note or acknowledgement does not contradict hers."""
    if concern.is_open or concern.closed_at is None:  # a closed concern has its date (a constraint)
        return
    who = "you, in another tab or window," if concern.closed_by_id == actor.user.pk else str(concern.closed_by)
    raise EditConflict(
        f"This concern is already closed: {who} closed it {said_when(concern.closed_at)} while you were writing. "
        f"Status is now Closed (“{concern.close_reason}”). Nothing more can be done with it here, and nothing you "
        "wrote was saved: your text is still below, to keep or copy.",
        version=concern.version,
    )


@transaction.atomic
def concern_add_note(*, actor: Actor, concern: Concern, text: str) -> ConcernNote:
    """A note to the coach; the concern is in review from then on. A closed concern takes no more notes."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    _still_open(actor, concern)
    _acknowledge(actor, concern)
    concern.status = ConcernStatus.IN_REVIEW
    concern.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    note = ConcernNote.objects.create(concern=concern, author=actor.user, text=text)
    log_access(actor, AccessAction.CHANGE, patient=concern.patient, record=concern)
    return note


@transaction.atomic
def concern_close(*, actor: Actor, concern: Concern, reason: str, note_to_coach: str = "") -> Concern:
    """Closes it with a reason for the clinical team, and optionally a last note the coach will see. Closed once:
    a second supervisor closing it at the same moment is refused, with who closed it."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    _still_open(actor, concern)
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
        [ConcernNoteSeen(program_id=concern.program_id, note_id=pk, seen_at=now) for pk in new], ignore_conflicts=True
    )
    return len(marks)


@transaction.atomic
def draft_save(
    *,
    actor: Actor,
    form: Draft.Form,
    data: dict[str, list[str]],
    fields: Collection[str],
    key: str = "",
    page: str = "",
    patients: Iterable[int] = (),
) -> Draft:
    """Keeps what she has typed so far; one draft per form and key (see Draft), replaced as she types.

    Only `fields` (the form's own) are kept, without NUL bytes (PostgreSQL's JSON refuses them); a draft larger
    than DRAFT_MAX_BYTES is refused with a ValidationError and the one kept before stays. `patients` are the
    patients the draft is about, already checked by the caller's permission layer: each gets an access-log row."""
    kept = {name: [value.replace("\x00", "") for value in values] for name, values in data.items() if name in fields}
    if len(json.dumps(kept, ensure_ascii=False).encode()) > DRAFT_MAX_BYTES:
        raise ValidationError(
            "Not saved: this is too long to keep as a draft. What you typed is kept on this phone: "
            "save it when you are done."
        )
    draft, _ = Draft.objects.update_or_create(
        user=actor.user, form=form, key=key, defaults={"data": kept, "page": page}
    )
    # Autosaved at every pause in her typing: the access log names each patient once per DRAFT_LOG_EVERY, and
    # at once when the draft comes to name another patient.
    about, now = set(patients), timezone.now()
    if draft.logged_at and now - draft.logged_at < DRAFT_LOG_EVERY and about <= set(draft.logged_patients):
        return draft
    Draft.objects.filter(pk=draft.pk).update(logged_at=now, logged_patients=sorted(about))
    log_access_many(actor, AccessAction.CHANGE, about, record_type="draft", record_id=str(draft.pk))
    return draft


def draft_discard(*, user: User, form: Draft.Form, key: str = "") -> None:
    """Her draft of this form is done with: saved as a record, or she started over."""
    Draft.objects.filter(user=user, form=form, key=key).delete()


def drafts_discard_all(*, user: User) -> None:
    Draft.objects.filter(user=user).delete()


# What her plan's form calls its fields, in the message when someone else saved the plan while she was changing it.
PLAN_LABELS = {"contacts": "People and places she can call"}
PHONE_CHARACTERS = set("0123456789+-(). ")
NOT_HER_COACH = "Only her coach keeps her safety plan with her."


def _check_plan(actor: Actor, patient: Patient, fields: dict[str, Any]) -> None:
    """What a plan must be, whoever calls: kept by a coach of her caseload while she is in the program; each person
    or place named, with a phone number made of digits; the moments from the list; a plan for safety at home only
    when she said it is part of her plan (the database holds the last two, and the number of contacts)."""
    if not permissions.patients_for_logging(actor.user).filter(pk=patient.pk).exists() or not actor.user.has_perm(
        "coaching.change_safetyplan"
    ):
        raise ValidationError(NOT_HER_COACH)
    errors: dict[str, str] = {}
    contacts = fields.get("contacts", [])
    if len(contacts) > PLAN_CONTACTS_MAX:
        errors["contacts"] = f"A plan lists at most {PLAN_CONTACTS_MAX} people and places."
    for contact in contacts:
        if not contact.get("name", "").strip():
            errors["contacts"] = "Write who each phone number is for, like \u201cDana, my sponsor\u201d."
        elif not set(contact.get("phone", "")) <= PHONE_CHARACTERS or not any(c.isdigit() for c in contact["phone"]):
            errors["contacts"] = f"Check the phone number for {contact['name']}: use digits, like 603-555-0100."
    if not set(fields.get("risk_moments", [])) <= set(RiskMoment.values):
        errors["risk_moments"] = "Choose the moments from the list."
    if fields.get("safety_at_home_plan", "").strip() and not fields.get("safety_at_home"):
        errors["safety_at_home"] = (
            "Tick this to keep her plan for safety at home, or clear that plan if she does not want one."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def safety_plan_save(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], reviewed: bool, version: int | None = None
) -> SafetyPlan:
    """Writes her plan as she and her coach have it now: the first save makes it, later ones change it in place
    (pghistory keeps every version). `reviewed`: they went over it together, so it counts as reviewed now.

    `version`: the plan's version her form was opened at (None for a new plan); if someone saved it since, the
    save is refused with an EditConflict that says what it holds now."""
    _check_plan(actor, patient, fields)
    # Her row locked: two first saves at once make one plan.
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()
    plan = SafetyPlan.objects.select_for_update().filter(patient=patient).first()
    action = AccessAction.CHANGE
    if plan is None:
        plan = SafetyPlan(program_id=patient.program_id, patient=patient, created_by=actor.user)
        action = AccessAction.CREATE
    elif version is not None:
        check_version(plan, seen=version, saving=fields, user=actor.user, labels=PLAN_LABELS)
    for name, value in fields.items():
        setattr(plan, name, value)
    if reviewed:
        plan.reviewed_at, plan.reviewed_by = timezone.now(), actor.user
    plan.save()
    log_access(actor, action, patient=patient, record=plan, record_type="safety plan")
    return plan


@transaction.atomic
def safety_plan_review(*, actor: Actor, patient: Patient) -> SafetyPlan:
    """She and her coach went over her plan today and it still holds: it counts as reviewed now, by her coach."""
    _check_plan(actor, patient, {})
    plan = SafetyPlan.objects.select_for_update().filter(patient=patient).first()
    if plan is None:
        raise ValidationError("She has no safety plan yet. Make one with her first.")
    plan.reviewed_at, plan.reviewed_by = timezone.now(), actor.user
    plan.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=patient, record=plan, record_type="safety plan")
    return plan
