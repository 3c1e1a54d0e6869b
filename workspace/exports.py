"""The supervisors' list exports (encounters, concerns, referrals, women in the program) for a period and
optionally one coach, read through each app's permission layer and written while they are sent.

De-identified unless she asks otherwise: no names, dates of birth, contact details or free text; each date
reduced to its month (in the program's zone); each woman and each record named by a pseudonym made with a key
drawn for this one file (an HMAC of its id), so the same woman has the same pseudonym throughout a file and
another one in every other file: two files cannot be joined on her. An identified file carries names, dates
and what was written, and begins with the 42 CFR 2.32 notice (docs/design.md, Exports).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from coaching import permissions as coaching_permissions
from coaching.models import ConcernCategory, ConcernStatus, EncounterKind, EncounterNote, Urgency
from patients import permissions as patient_permissions
from patients.models import InterviewOutcome, ProgramStatus
from recovery_program.models import Export, ExportKind
from recovery_program.routers import from_replica
from referrals import permissions as referral_permissions
from referrals.models import REDISCLOSURE_NOTICE, CareType, Referral, ReferralStatus
from staff.models import User

# Rows fetched from the database at a time, through a server-side cursor.
CHUNK = 2000


class Pseudonyms:
    """Names for the women and records of one file: an HMAC of the id under a key drawn for this file only."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, prefix: str, pk: Any) -> str:
        if pk is None:
            return ""
        digest = hmac.new(self._key, f"{prefix}:{pk}".encode(), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:12]}"


@dataclass(frozen=True)
class Period:
    """From the first day to the last, both included, in the program's time zone."""

    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.starts_on, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        """The first instant after the last day."""
        return timezone.make_aware(
            datetime.datetime.combine(self.ends_on + datetime.timedelta(days=1), datetime.time.min)
        )


def _month(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return f"{value:%Y-%m}"


def _moment(value: datetime.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _name(first: str | None, last: str | None) -> str:
    return f"{first or ''} {last or ''}".strip()


def _yes(value: object) -> str:
    return "yes" if value else "no"


@dataclass(frozen=True)
class Choices:
    """What she asked for, as the export's rows read it."""

    user: User
    period: Period
    coach_id: int | None
    identified: bool


Rows = Iterator[list[Any]]


def _encounters(choices: Choices, pseudonym: Pseudonyms) -> Rows:
    encounters = coaching_permissions.encounters_visible_to(choices.user).filter(
        occurred_at__gte=choices.period.start, occurred_at__lt=choices.period.end
    )
    if choices.coach_id:
        encounters = encounters.filter(coach_id=choices.coach_id)
    if choices.identified:
        # Her own note on a group encounter: in her row alone, never in another woman's.
        own_note = EncounterNote.objects.filter(encounter=OuterRef("pk"), patient=OuterRef("patients__pk"))
        encounters = encounters.annotate(own_note=Subquery(own_note.values("text")[:1]))
    # One row per woman of each encounter (a group session has several).
    rows = encounters.order_by("occurred_at", "pk").values_list(
        "pk",
        "patients__pk",
        "occurred_at",
        "kind",
        "duration_minutes",
        "coach__first_name",
        "coach__last_name",
        "entered_in_error_at",
        # Names and notes are read only for a file that carries them.
        *(("patients__legal_name", "place", "summary", "own_note") if choices.identified else ()),
    )
    header = [_("Encounter"), _("Woman"), _("When"), _("Kind"), _("Minutes"), _("Coach"), _("Entered in error")]
    if choices.identified:
        yield [*header[:2], _("Woman's name"), *header[2:], _("Place"), _("What happened"), _("Her own note")]
    else:
        yield header
    for pk, patient, at, kind, minutes, first, last, error, *written in rows.iterator(chunk_size=CHUNK):
        details = [EncounterKind(kind).label, minutes, _name(first, last), _yes(error)]
        if choices.identified:
            name, place, summary, own_note = written
            yield [pk, patient, name, _moment(at), *details, place, summary, own_note or ""]
        else:
            yield [pseudonym("E", pk), pseudonym("W", patient), _month(at), *details]


def _concerns(choices: Choices, pseudonym: Pseudonyms) -> Rows:
    concerns = coaching_permissions.concerns_visible_to(choices.user).filter(
        created_at__gte=choices.period.start, created_at__lt=choices.period.end
    )
    if choices.coach_id:
        concerns = concerns.filter(coach_id=choices.coach_id)
    fields = ["pk", "patient_id", "created_at", "category", "urgency", "status", "coach__first_name"]
    fields += ["coach__last_name", "acknowledged_at", "closed_at"]
    written = ("patient__legal_name", "description") if choices.identified else ()
    rows = concerns.order_by("created_at", "pk").values_list(*fields, *written)
    header = [_("Concern"), _("Woman"), _("Shared"), _("About"), _("How soon"), _("Status"), _("Coach")]
    header += [_("Seen"), _("Closed")]
    if choices.identified:
        yield [*header[:2], _("Woman's name"), *header[2:], _("What the coach saw or heard")]
    else:
        yield header
    for pk, patient, shared, category, urgency, status, first, last, seen, closed, *words in rows.iterator(
        chunk_size=CHUNK
    ):
        labels = [ConcernCategory(category).label, Urgency(urgency).label, ConcernStatus(status).label]
        if choices.identified:
            name, text = words
            yield [
                pk,
                patient,
                name,
                _moment(shared),
                *labels,
                _name(first, last),
                _moment(seen),
                _moment(closed),
                text,
            ]
        else:
            ids = [pseudonym("C", pk), pseudonym("W", patient)]
            yield [*ids, _month(shared), *labels, _name(first, last), _month(seen), _month(closed)]


def _referrals(choices: Choices, pseudonym: Pseudonyms) -> Rows:
    referrals = referral_permissions.records_visible_to(choices.user, Referral).filter(
        referred_on__gte=choices.period.starts_on, referred_on__lte=choices.period.ends_on
    )
    if choices.coach_id:
        on_caseload = patient_permissions.patients_visible_to(choices.user).with_coach_during(
            choices.coach_id, choices.period.starts_on, choices.period.ends_on
        )
        referrals = referrals.filter(patient__in=on_caseload.values("pk"))
    written = ("patient__legal_name", "receiving_provider", "outcome") if choices.identified else ()
    rows = referrals.order_by("referred_on", "pk").values_list(
        "pk", "patient_id", "referred_on", "care_type", "status", *written
    )
    header = [_("Referral"), _("Woman"), _("Referred"), _("Kind of care"), _("Status")]
    if choices.identified:
        yield [*header[:2], _("Woman's name"), *header[2:], _("Receiving provider"), _("Outcome")]
    else:
        yield header
    for pk, patient, referred_on, care_type, status, *written_values in rows.iterator(chunk_size=CHUNK):
        labels = [CareType(care_type).label, ReferralStatus(status).label]
        if choices.identified:
            name, provider, outcome = written_values
            yield [pk, patient, name, _day(referred_on), *labels, provider, outcome]
        else:
            yield [pseudonym("R", pk), pseudonym("W", patient), _month(referred_on), *labels]


def _patients(choices: Choices, pseudonym: Pseudonyms) -> Rows:
    period = choices.period
    patients = patient_permissions.patients_visible_to(choices.user).in_program_during(period.starts_on, period.ends_on)
    if choices.coach_id:
        patients = patients.with_coach_during(choices.coach_id, period.starts_on, period.ends_on)
    patients = patients.with_current_coach().order_by("enrollment_date", "pk")
    if not choices.identified:
        patients = patients.only("pk", "enrollment_date", "status", "due_date", "delivery_date")
    header = [
        _("Woman"),
        _("Enrolled"),
        _("Status"),
        _("Pregnancy"),
        pgettext("due date", "Due"),
        _("Delivered"),
        _("Coach now"),
    ]
    if choices.identified:
        names = [_("Legal name"), _("Preferred name"), _("Date of birth")]
        header = [*header[:1], *names, *header[1:], _("Phone"), _("Language")]
    yield header
    for patient in patients.iterator(chunk_size=CHUNK):
        coach = str(patient.open_assignments[0].coach) if patient.open_assignments else ""
        common = [ProgramStatus(patient.status).label, patient.current_pregnancy_status.label]
        if choices.identified:
            names = [patient.legal_name, patient.preferred_name, _day(patient.date_of_birth)]
            dates = [_day(patient.enrollment_date), *common, _day(patient.due_date), _day(patient.delivery_date)]
            yield [patient.pk, *names, *dates, coach, patient.phone, patient.preferred_language]
        else:
            dates = [_month(patient.enrollment_date), *common, _month(patient.due_date), _month(patient.delivery_date)]
            yield [pseudonym("W", patient.pk), *dates, coach]


def _interviews(choices: Choices, pseudonym: Pseudonyms) -> Rows:
    """The grant's interviews of each woman whose intake-to-window-close span meets the period: due and done dates,
    and whether each was done, not reached or declined. Never her answers (the funder's system keeps those)."""
    period = choices.period
    patients = patient_permissions.patients_visible_to(choices.user)
    if choices.coach_id:
        patients = patients.with_coach_during(choices.coach_id, period.starts_on, period.ends_on)
    episodes = patient_permissions.episodes_with_interview_dates(choices.user, patients)
    episodes = episodes.filter(intake_on__lte=period.ends_on, closes_on__gte=period.starts_on)
    written = ("patient__legal_name",) if choices.identified else ()
    rows = episodes.order_by("intake_on", "pk").values_list(
        "pk",
        "patient_id",
        "intake_on",
        "opens_on",
        "closes_on",
        "follow_up_outcome",
        "follow_up_on",
        "follow_up_outside",
        "ended_on",
        "discharge_outcome",
        "discharge_on",
        *written,
    )
    header = [_("Woman"), _("Intake interview"), _("Follow-up window opens"), _("Window closes"), _("Follow-up")]
    header += [_("Follow-up on"), _("Outside the window"), pgettext("date", "Discharged"), _("Discharge interview")]
    header += [_("Discharge interview on")]
    if choices.identified:
        header = [header[0], _("Woman's name"), *header[1:]]
    yield header
    day = _day if choices.identified else _month
    for (
        _pk,
        patient,
        intake,
        opens,
        closes,
        follow_up,
        follow_on,
        outside,
        ended,
        discharge,
        discharge_on,
        *name,
    ) in rows.iterator(chunk_size=CHUNK):
        dates = [day(intake), day(opens), day(closes), _outcome(follow_up), day(follow_on)]
        dates += ["" if follow_up is None else _yes(outside), day(ended), _outcome(discharge), day(discharge_on)]
        yield [patient, *name, *dates] if choices.identified else [pseudonym("W", patient), *dates]


def _outcome(value: str | None) -> str:
    return InterviewOutcome(value).label if value else ""


KINDS: dict[str, Callable[[Choices, Pseudonyms], Rows]] = {
    ExportKind.ENCOUNTERS: _encounters,
    ExportKind.CONCERNS: _concerns,
    ExportKind.REFERRALS: _referrals,
    ExportKind.PATIENTS: _patients,
    ExportKind.INTERVIEWS: _interviews,
}

NOTICE_ROWS = [
    [gettext_lazy("Identified: names, dates and notes. Keep it safe and delete it when you are done.")],
    [REDISCLOSURE_NOTICE],
    [],
]


def export_rows(export: Export) -> Rows:
    """The file's rows, read from the database as they are written (a server-side cursor, CHUNK rows at a time).

    Called in the request, read while the response is sent, after the request's transaction and its program's
    time zone have ended: so the zone and the reader's language are taken now, and the rows are read in a
    transaction of their own, which keeps the cursor a plain one (outside a transaction, PostgreSQL would compute
    every row at once to hold it), on the read replica when there is one. Headings and labels are in her
    language; codes and pseudonyms never change.
    """
    choices = Choices(
        user=export.user,
        period=Period(export.starts_on, export.ends_on),
        coach_id=export.coach_id,
        identified=export.identified,
    )
    return _rows_in(timezone.get_current_timezone(), translation.get_language(), choices, KINDS[export.kind])


def _rows_in(
    zone: datetime.tzinfo, language: str | None, choices: Choices, kind: Callable[[Choices, Pseudonyms], Rows]
) -> Rows:
    with (
        timezone.override(zone),
        translation.override(language),
        from_replica() as database,
        transaction.atomic(using=database),
    ):
        if choices.identified:
            yield from NOTICE_ROWS
        yield from kind(choices, Pseudonyms())


def filename(export: Export) -> str:
    identified = "identified" if export.identified else "deidentified"
    return f"{export.kind}-{export.starts_on:%Y%m%d}-{export.ends_on:%Y%m%d}-{identified}.{export.file_format}"
