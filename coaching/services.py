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
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from coaching import permissions
from coaching.models import (
    ACTIVE_GOALS_MAX,
    BARC10_CORRECTION_WINDOW,
    BARC10_ITEMS,
    GOAL_STEPS_MAX,
    PLAN_CONTACTS_MAX,
    Addendum,
    Appointment,
    AppointmentStatus,
    Barc10,
    Barc10Occasion,
    Concern,
    ConcernNote,
    ConcernNoteSeen,
    ConcernStatus,
    Draft,
    Encounter,
    EncounterKind,
    EncounterNote,
    EncounterPatient,
    GoalArea,
    GoalStatus,
    GoalStep,
    RecoveryGoal,
    Reminder,
    ReminderStatus,
    Resource,
    RiskMoment,
    SafetyPlan,
    StepStatus,
)
from patients.models import Patient
from patients.services import logging_refusal
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many
from recovery_program.validators import not_in_future
from recovery_program.versioning import EditConflict, check_version, said_when
from staff.models import User

# What a coach or supervisor is told when the record's state no longer allows what she asked.
IN_ERROR = gettext_lazy("This encounter is marked entered in error: it can no longer be changed or added to.")
CLOSED = gettext_lazy("This concern is already closed: nothing more can be done with it here.")

# What a draft may hold: up to about ten pages of typing.
DRAFT_MAX_BYTES = 20_000

# How often a draft she keeps typing in is written to the access log again (see draft_save).
DRAFT_LOG_EVERY = datetime.timedelta(minutes=10)

# What her encounter form calls a field whose name says something else, in the message when someone else saved
# the encounter while she was changing it.
ENCOUNTER_LABELS = {"kind": gettext_lazy("What you did")}


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
            not_in_future(occurred_at, message=_("An encounter cannot be in the future. Check the date and time."))
        except ValidationError as error:
            errors["date"] = error.messages[0]
        else:
            if occurred_at < timezone.now() - OLDEST:
                errors["date"] = _("This is more than a year ago. Please check the date.")
    hers = set(permissions.patients_for_logging(actor.user).filter(pk__in=patient_ids).values_list("pk", flat=True))
    if patient_ids - hers:
        errors["patients"] = _("Only women of your caseload can be on an encounter you log.")
    other_coach = fields.get("other_coach")
    if fields.get("kind") == EncounterKind.WARM_HANDOFF:
        if other_coach is None or not permissions.handoff_coaches_for(actor.user).filter(pk=other_coach.pk).exists():
            errors["other_coach"] = _("Choose the coach of your program who met her with you.")
    elif other_coach is not None:
        errors["other_coach"] = _("Only a warm handoff names another coach.")
    if errors:
        raise ValidationError(errors)


# A plain string (the tests look for it in the page); translated where it is said.
NOTHING_WRITTEN = gettext_noop("Write what happened. For a group, write about the group, or in each woman's own note.")


def _names_of(patient: Patient) -> set[str]:
    """The words that name her: each part of her legal and preferred names (initials left out)."""
    return {part for part in re.split(r"[^\w'-]+", f"{patient.legal_name} {patient.preferred_name}") if len(part) > 1}


def _check_notes(summary: str, notes: dict[int, str], patients: list[Patient]) -> None:
    """Something is written: the shared note or a woman's own note. A group's shared note is in every attendee's
    record, so it names none of them (a name, as a whole word, written as it is spelled in her record)."""
    if not summary.strip() and not any(text.strip() for pk, text in notes.items() if pk in {p.pk for p in patients}):
        raise ValidationError({"summary": _(NOTHING_WRITTEN)})
    if len(patients) < 2:
        return
    for patient in patients:
        named = sorted(
            name for name in _names_of(patient) if re.search(rf"(?<![\w'-]){re.escape(name)}(?![\w'-])", summary)
        )
        if named:
            raise ValidationError(
                {
                    "summary": _(
                        "The note about the group names %(name)s: every woman on it reads it in her record. Write "
                        "about her in her own note instead."
                    )
                    % {"name": named[0]}
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
    appointment: Appointment | None = None,
) -> Encounter:
    """Records what the coach did; her encounter draft is done with. `appointment`: the planned appointment of
    hers this encounter logs: it is marked done and linked to the encounter in the same transaction
    (`appointment_mark_done`). Nothing is logged about a discharged woman,
    nor about one re-enrolled before the consent for her new episode is recorded (`logging_refusal`).

    `fields["summary"]` is the shared note, in every attendee's record; `notes` maps a patient's id to her own
    note, in hers only. Either may be empty, not both (`_check_notes`)."""
    patients = list(patients)
    if not patients:
        raise ValidationError({"patients": _("Pick at least one person who was there.")})
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
    if appointment is not None:
        appointment_mark_done(actor=actor, appointment=appointment, encounter=encounter)
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
        raise ValidationError(_("The 72 hours to change this encounter have passed. Add an addendum instead."))
    if version is not None:
        check_version(encounter, seen=version, saving=fields, user=actor.user, labels=ENCOUNTER_LABELS)
    patients = list(patients)
    wanted = {p.pk for p in patients}
    if not wanted:
        raise ValidationError({"patients": _("Pick at least one person who was there.")})
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
        raise ValidationError(_("This encounter is already marked entered in error."))
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
    if concern.closed_by_id == actor.user.pk:
        said = _(
            "This concern is already closed: you, in another tab or window, closed it %(when)s while you were "
            "writing. Status is now Closed (“%(reason)s”). Nothing more can be done with it here, and nothing you "
            "wrote was saved: your text is still below, to keep or copy."
        )
    else:
        said = _(
            "This concern is already closed: %(who)s closed it %(when)s while you were writing. Status is now "
            "Closed (“%(reason)s”). Nothing more can be done with it here, and nothing you wrote was saved: your "
            "text is still below, to keep or copy."
        )
    raise EditConflict(
        said % {"who": concern.closed_by, "when": said_when(concern.closed_at), "reason": concern.close_reason},
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
            _(
                "Not saved: this is too long to keep as a draft. What you typed is kept on this phone: "
                "save it when you are done."
            )
        )
    draft, _created = Draft.objects.update_or_create(
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
PLAN_LABELS = {"contacts": gettext_lazy("People and places she can call")}
PHONE_CHARACTERS = set("0123456789+-(). ")
NOT_HER_COACH = gettext_lazy("Only her coach keeps her safety plan with her.")


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
        errors["contacts"] = _("A plan lists at most %(most)s people and places.") % {"most": PLAN_CONTACTS_MAX}
    for contact in contacts:
        if not contact.get("name", "").strip():
            errors["contacts"] = _("Write who each phone number is for, like “Dana, my sponsor”.")
        elif not set(contact.get("phone", "")) <= PHONE_CHARACTERS or not any(c.isdigit() for c in contact["phone"]):
            errors["contacts"] = _("Check the phone number for %(name)s: use digits, like 603-555-0100.") % {
                "name": contact["name"]
            }
    if not set(fields.get("risk_moments", [])) <= set(RiskMoment.values):
        errors["risk_moments"] = _("Choose the moments from the list.")
    if fields.get("safety_at_home_plan", "").strip() and not fields.get("safety_at_home"):
        errors["safety_at_home"] = _(
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
        raise ValidationError(_("She has no safety plan yet. Make one with her first."))
    plan.reviewed_at, plan.reviewed_by = timezone.now(), actor.user
    plan.save(update_fields=["reviewed_at", "reviewed_by", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=patient, record=plan, record_type="safety plan")
    return plan


# What she is told when the appointment was already logged, cancelled or marked missed (in another tab).
NOT_PLANNED = gettext_lazy(
    "This appointment is no longer planned: it was already logged, cancelled or marked as missed."
)


def _check_her_woman(actor: Actor, patient: Patient, field: str = "patient") -> None:
    if not permissions.patients_for_logging(actor.user).filter(pk=patient.pk).exists():
        raise ValidationError({field: _("Choose a woman of your caseload.")})
    refusal = logging_refusal([patient], doing="planned for")
    if refusal:
        raise ValidationError({field: refusal})


@transaction.atomic
def appointment_add(*, actor: Actor, patient: Patient, fields: dict[str, Any]) -> Appointment:
    """An appointment she will go to with a woman of her caseload, in her week. Not in the past (a day's grace:
    she may note one she forgot this morning)."""
    _check_her_woman(actor, patient)
    starts_at = fields["starts_at"]
    if starts_at < timezone.now() - datetime.timedelta(days=1):
        raise ValidationError({"appointment_day": _("This is in the past. Log what happened as an encounter instead.")})
    appointment = Appointment.objects.create(
        program_id=actor.user.program_id, patient=patient, coach=actor.user, created_by=actor.user, **fields
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=appointment)
    return appointment


@transaction.atomic
def appointment_mark_done(*, actor: Actor, appointment: Appointment, encounter: Encounter) -> Appointment:
    """Her planned appointment is done: the encounter that logs it has her on it, and was logged by its coach."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PLANNED:
        raise ValidationError(NOT_PLANNED)
    if appointment.coach_id != actor.user.pk or encounter.coach_id != actor.user.pk:
        raise ValidationError(_("Only the coach of the appointment logs it."))
    if not encounter.patients.filter(pk=appointment.patient_id).exists():
        raise ValidationError({"patients": _("The woman of the appointment must be on the encounter that logs it.")})
    appointment.status = AppointmentStatus.DONE
    appointment.encounter = encounter
    appointment.save(update_fields=["status", "encounter", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=appointment.patient, record=appointment)
    return appointment


@transaction.atomic
def appointment_close(*, actor: Actor, appointment: Appointment, status: str) -> Appointment:
    """Cancelled, or she did not come: only a planned appointment, never deleted. Done is for `encounter_log`."""
    if status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        raise ValidationError(_("An appointment is done only by logging it as an encounter."))
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PLANNED:
        raise ValidationError(NOT_PLANNED)
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=appointment.patient, record=appointment)
    return appointment


@transaction.atomic
def reminder_add(*, actor: Actor, patient: Patient, fields: dict[str, Any]) -> Reminder:
    """A next contact she means to make with a woman of her caseload ("call Thursday"), from today on."""
    _check_her_woman(actor, patient)
    if fields["due_on"] < timezone.localdate():
        raise ValidationError({"reminder_day": _("Choose today or a day to come.")})
    if not fields.get("what", "").strip():
        raise ValidationError({"what": _("Write what you mean to do, like “call her”.")})
    reminder = Reminder.objects.create(
        program_id=actor.user.program_id, patient=patient, coach=actor.user, created_by=actor.user, **fields
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=reminder)
    return reminder


@transaction.atomic
def reminder_close(*, actor: Actor, reminder: Reminder, status: str) -> Reminder:
    """Done, or dismissed: an open reminder only; it stays, closed, with its history."""
    if status not in (ReminderStatus.DONE, ReminderStatus.DISMISSED):
        raise ValidationError(_("A reminder is closed as done or dismissed."))
    reminder = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.status != ReminderStatus.OPEN:
        raise ValidationError(_("This reminder is already closed."))
    reminder.status = status
    reminder.closed_at = timezone.now()
    reminder.save(update_fields=["status", "closed_at", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=reminder.patient, record=reminder)
    return reminder


# Her recovery plan: goals in her words, steps toward them. Each write logs "recovery plan" in the same transaction.
NOT_HER_PLAN = gettext_lazy("Only her coach, or a supervisor of her program, changes her recovery plan.")
GOAL_CLOSED = gettext_lazy("This goal is no longer one she is working on: open a new goal with her instead.")
GOAL_LABELS = {"in_her_words": gettext_lazy("Her goal"), "target_on": gettext_lazy("When she hopes to get there")}


def _check_goal_keeper(actor: Actor, patient: Patient) -> None:
    if not permissions.patients_for_goals(actor.user).filter(pk=patient.pk).exists():
        raise ValidationError(NOT_HER_PLAN)


def _check_goal_fields(fields: dict[str, Any], *, before: RecoveryGoal | None = None) -> None:
    """Her goal is written, about one of the areas; a date she hopes for is not already past (a date kept from
    before may be)."""
    errors: dict[str, str] = {}
    if fields.get("area") not in GoalArea.values:
        errors["area"] = _("Choose what her goal is about.")
    if not fields.get("in_her_words", "").strip():
        errors["in_her_words"] = _("Write her goal, in her words.")
    target = fields.get("target_on")
    if target and target < timezone.localdate() and (before is None or before.target_on != target):
        errors["target_on"] = _("This date has passed: choose a date from today on, or leave it empty.")
    if errors:
        raise ValidationError(errors)


def _check_step_fields(what: str, due_on: datetime.date | None, field: str = "what", due: str = "due_on") -> None:
    errors: dict[str, str] = {}
    if not what.strip():
        errors[field] = _("Write the step, like “Call the housing office”.")
    if due_on and due_on < timezone.localdate():
        errors[due] = _("This date has passed: choose a date from today on, or leave it empty.")
    if errors:
        raise ValidationError(errors)


def _add_step(actor: Actor, goal: RecoveryGoal, what: str, due_on: datetime.date | None) -> GoalStep:
    steps = list(goal.steps.select_for_update().values_list("order", flat=True))
    if len(steps) >= GOAL_STEPS_MAX:
        raise ValidationError(
            {"what": _("A goal holds at most %(most)s steps. Make a second goal with her.") % {"most": GOAL_STEPS_MAX}}
        )
    return GoalStep.objects.create(
        program_id=goal.program_id,
        goal=goal,
        what=what.strip(),
        due_on=due_on,
        order=max(steps, default=0) + 1,
        created_by=actor.user,
    )


@transaction.atomic
def recovery_goal_add(
    *,
    actor: Actor,
    patient: Patient,
    fields: dict[str, Any],
    first_step: str = "",
    first_step_due: datetime.date | None = None,
) -> RecoveryGoal:
    """A new goal of her plan, in her words, with its first step if they have one; she works on at most
    ACTIVE_GOALS_MAX goals at a time (the database holds that too)."""
    _check_goal_keeper(actor, patient)
    _check_goal_fields(fields)
    if first_step.strip() or first_step_due:
        _check_step_fields(first_step, first_step_due, "first_step", "first_step_due")
    # Her row locked: two goals added at once cannot both be the one over the limit.
    Patient.objects.select_for_update().filter(pk=patient.pk).exists()
    if RecoveryGoal.objects.filter(patient=patient, status=GoalStatus.ACTIVE).count() >= ACTIVE_GOALS_MAX:
        raise ValidationError(
            _("She is working on %(most)s goals already. Mark one reached or set one aside with her first.")
            % {"most": ACTIVE_GOALS_MAX}
        )
    goal = RecoveryGoal.objects.create(
        program_id=patient.program_id,
        patient=patient,
        area=fields["area"],
        in_her_words=fields["in_her_words"].strip(),
        target_on=fields.get("target_on"),
        created_by=actor.user,
    )
    if first_step.strip():
        _add_step(actor, goal, first_step, first_step_due)
    log_access(actor, AccessAction.CREATE, patient=patient, record=goal, record_type="recovery plan")
    return goal


@transaction.atomic
def recovery_goal_change(*, actor: Actor, goal: RecoveryGoal, fields: dict[str, Any], version: int) -> RecoveryGoal:
    """Her goal as she puts it now. `version`: the goal's version her form was opened at; if someone changed it
    since, an EditConflict says what it holds now."""
    goal = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
    _check_goal_keeper(actor, goal.patient)
    if not goal.is_active:
        raise ValidationError(GOAL_CLOSED)
    _check_goal_fields(fields, before=goal)
    fields = fields | {"in_her_words": fields["in_her_words"].strip()}
    check_version(goal, seen=version, saving=fields, user=actor.user, labels=GOAL_LABELS)
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.save()
    log_access(actor, AccessAction.CHANGE, patient=goal.patient, record=goal, record_type="recovery plan")
    return goal


@transaction.atomic
def recovery_goal_close(*, actor: Actor, goal: RecoveryGoal, status: str) -> RecoveryGoal:
    """She reached the goal, or set it aside: today, by the acting coach or supervisor. Closing it twice says so."""
    goal = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
    _check_goal_keeper(actor, goal.patient)
    if status not in (GoalStatus.REACHED, GoalStatus.SET_ASIDE):
        raise ValidationError(_("Choose whether she reached this goal or set it aside."))
    if not goal.is_active:
        raise ValidationError(
            _("This goal is already marked %(status)s.") % {"status": goal.get_status_display().lower()}
        )
    goal.status, goal.closed_on, goal.closed_by = status, timezone.localdate(), actor.user
    goal.save()
    log_access(actor, AccessAction.CHANGE, patient=goal.patient, record=goal, record_type="recovery plan")
    return goal


@transaction.atomic
def goal_step_add(*, actor: Actor, goal: RecoveryGoal, what: str, due_on: datetime.date | None) -> GoalStep:
    """A step toward a goal she is working on, at the end of its list."""
    goal = RecoveryGoal.objects.select_for_update().get(pk=goal.pk)
    _check_goal_keeper(actor, goal.patient)
    if not goal.is_active:
        raise ValidationError(GOAL_CLOSED)
    _check_step_fields(what, due_on)
    step = _add_step(actor, goal, what, due_on)
    log_access(actor, AccessAction.CREATE, patient=goal.patient, record=step, record_type="recovery plan")
    return step


@transaction.atomic
def goal_step_mark(*, actor: Actor, step: GoalStep, status: str) -> GoalStep:
    """Ticks a step done or marks it not needed (today, by the acting person), or opens it again after a
    mistaken tap; only on a goal she is working on. Asking for the state it is in changes nothing."""
    step = GoalStep.objects.select_for_update().select_related("goal__patient").get(pk=step.pk)
    _check_goal_keeper(actor, step.goal.patient)
    if status not in StepStatus.values:
        raise ValidationError(_("Choose whether the step is done, not needed, or still to do."))
    if not step.goal.is_active:
        raise ValidationError(GOAL_CLOSED)
    if step.status == status:
        return step
    step.status = status
    step.done_on, step.done_by = (None, None) if status == StepStatus.OPEN else (timezone.localdate(), actor.user)
    step.save()
    log_access(actor, AccessAction.CHANGE, patient=step.goal.patient, record=step, record_type="recovery plan")
    return step


NOT_FOR_BARC10 = gettext_lazy(
    "Only her coach, or a supervisor of her program, takes a BARC-10 with her while she is in the program."
)
BARC10_CLOSED = gettext_lazy(
    "It can be corrected only by whoever entered it, within 72 hours. Take a new one with her instead."
)


def _check_barc10(actor: Actor, patient: Patient, taken_on: datetime.date, occasion: str, answers: dict) -> None:
    """What a BARC-10 must be, whoever calls: taken by someone who may take one with her now; on a day from her
    enrollment to today; at a known point of her course; every statement answered from 1 to 6 (the database
    holds the answers and their total too)."""
    if not permissions.patients_for_barc10(actor.user).filter(pk=patient.pk).exists():
        raise ValidationError(NOT_FOR_BARC10)
    errors: dict[str, str] = {}
    if taken_on > timezone.localdate():
        errors["taken_on"] = _("The day she answered it cannot be after today.")
    elif taken_on < patient.enrollment_date:
        errors["taken_on"] = _("She enrolled on %(day)s: choose a day from then on.") % {
            "day": date_format(patient.enrollment_date, _("M j, Y"))
        }
    if occasion not in Barc10Occasion.values:
        errors["occasion"] = _("Choose when in her course she answered it.")
    for name in BARC10_ITEMS:
        if answers.get(name) not in range(1, 7):
            errors[name] = _("Choose her answer, from strongly disagree to strongly agree.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def barc10_record(
    *, actor: Actor, patient: Patient, taken_on: datetime.date, occasion: str, answers: dict[str, int]
) -> Barc10:
    """Keeps a BARC-10 she answered: her ten answers and their total, on the day she answered them."""
    _check_barc10(actor, patient, taken_on, occasion, answers)
    barc = Barc10(
        program_id=patient.program_id,
        patient=patient,
        taken_on=taken_on,
        occasion=occasion,
        entered_by=actor.user,
        total=sum(answers[name] for name in BARC10_ITEMS),
        **{name: answers[name] for name in BARC10_ITEMS},
    )
    barc.save()
    log_access(actor, AccessAction.CREATE, patient=patient, record=barc, record_type="BARC-10")
    return barc


@transaction.atomic
def barc10_correct(
    *, actor: Actor, barc: Barc10, taken_on: datetime.date, occasion: str, answers: dict[str, int], version: int
) -> Barc10:
    """Corrects a mistyped BARC-10 in place: only whoever entered it, within `BARC10_CORRECTION_WINDOW` of
    entering it; pghistory keeps what it held before. Someone who saved it since she opened the form: an
    EditConflict."""
    barc = Barc10.objects.select_for_update().select_related("patient").get(pk=barc.pk)
    if barc.entered_by_id != actor.user.pk or timezone.now() >= barc.created_at + BARC10_CORRECTION_WINDOW:
        raise ValidationError(BARC10_CLOSED)
    _check_barc10(actor, barc.patient, taken_on, occasion, answers)
    fields = {"taken_on": taken_on, "occasion": occasion, **{name: answers[name] for name in BARC10_ITEMS}}
    check_version(barc, seen=version, saving=fields, user=actor.user)
    for name, value in fields.items():
        setattr(barc, name, value)
    barc.total = sum(answers[name] for name in BARC10_ITEMS)
    barc.save()
    log_access(actor, AccessAction.CHANGE, patient=barc.patient, record=barc, record_type="BARC-10")
    return barc


# What she is told when the reminder was marked done or dismissed (in another tab) while she changed it.
REMINDER_CLOSED = gettext_lazy("This reminder is already closed: it was marked done or dismissed.")
APPOINTMENT_LABELS = {"starts_at": gettext_lazy("Day and time"), "kind": gettext_lazy("Where to")}
REMINDER_LABELS = {"due_on": gettext_lazy("Day"), "due_time": gettext_lazy("Time"), "what": gettext_lazy("What")}


@transaction.atomic
def appointment_change(
    *, actor: Actor, appointment: Appointment, fields: dict[str, Any], version: int | None
) -> Appointment:
    """She moves or corrects a planned appointment of her own (day, time, place, note, kind), by the rules of
    adding one: a woman of her caseload still, not more than a day in the past. Once logged, cancelled or missed
    it stays as it was. `version`: the one her form was opened at (an EditConflict if someone changed it since)."""
    appointment = Appointment.objects.select_for_update().select_related("patient").get(pk=appointment.pk)
    if appointment.coach_id != actor.user.pk:
        raise ValidationError(_("Only the coach of the appointment changes it."))
    if appointment.status != AppointmentStatus.PLANNED:
        raise ValidationError(NOT_PLANNED)
    _check_her_woman(actor, appointment.patient)
    if fields["starts_at"] < timezone.now() - datetime.timedelta(days=1):
        raise ValidationError({"appointment_day": _("This is in the past. Log what happened as an encounter instead.")})
    check_version(appointment, seen=version, saving=fields, user=actor.user, labels=APPOINTMENT_LABELS)
    for name, value in fields.items():
        setattr(appointment, name, value)
    appointment.save()
    log_access(actor, AccessAction.CHANGE, patient=appointment.patient, record=appointment)
    return appointment


@transaction.atomic
def reminder_change(*, actor: Actor, reminder: Reminder, fields: dict[str, Any], version: int | None) -> Reminder:
    """She moves an open reminder of her own to another day or time, or says better what she means to do; by the
    rules of setting one. A reminder done or dismissed stays as it was."""
    reminder = Reminder.objects.select_for_update().select_related("patient").get(pk=reminder.pk)
    if reminder.coach_id != actor.user.pk:
        raise ValidationError(_("Only the coach of the reminder changes it."))
    if reminder.status != ReminderStatus.OPEN:
        raise ValidationError(REMINDER_CLOSED)
    _check_her_woman(actor, reminder.patient)
    if fields["due_on"] < timezone.localdate():
        raise ValidationError({"reminder_day": _("Choose today or a day to come.")})
    if not fields.get("what", "").strip():
        raise ValidationError({"what": _("Write what you mean to do, like “call her”.")})
    check_version(reminder, seen=version, saving=fields, user=actor.user, labels=REMINDER_LABELS)
    for name, value in fields.items():
        setattr(reminder, name, value)
    reminder.save()
    log_access(actor, AccessAction.CHANGE, patient=reminder.patient, record=reminder)
    return reminder
