"""Writes of clinical actions. Each writes its access-log row in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from coaching.models import Concern, Draft
from coaching.services import draft_discard
from patients.models import Patient
from recovery_program.audit import AccessAction, Actor, log_access
from recovery_program.versioning import check_version
from referrals.models import (
    NEXT_STATUSES,
    ClinicalRecord,
    CPSReport,
    Disclosure,
    LegalBasis,
    PatientCommunication,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)

Record = TypeVar("Record", bound=ClinicalRecord)
AnswerToConcerns = TypeVar("AnswerToConcerns", Referral, CPSReport, PatientCommunication)


def _create(
    actor: Actor, model: type[Record], patient: Patient, fields: dict[str, Any], concerns: Iterable[Concern] = ()
) -> Record:
    record = model._default_manager.create(program_id=patient.program_id, patient=patient, **fields)
    if concerns:
        if not isinstance(record, Referral | CPSReport | PatientCommunication):
            raise TypeError(f"A {model.__name__} answers no concern.")
        record.concerns.set(concerns)
    log_access(actor, AccessAction.CREATE, patient=patient, record=record)
    return record


@transaction.atomic
def referral_record(
    *,
    actor: Actor,
    patient: Patient,
    fields: dict[str, Any],
    concerns: Iterable[Concern] = (),
    disclosure: dict[str, Any] | None = None,
) -> Referral:
    """Records a referral; when it sends her information to the provider, the disclosure too."""
    referral = _create(actor, Referral, patient, fields, concerns)
    ReferralStatusChange.objects.create(
        referral=referral, status=referral.status, changed_on=referral.referred_on, changed_by=actor.user
    )
    if disclosure is not None:
        _disclosure_create(
            actor=actor,
            patient=patient,
            fields={
                "recipient": referral.receiving_provider,
                "disclosed_on": referral.referred_on,
                "referral": referral,
                **disclosure,
            },
        )
    draft_discard(user=actor.user, form=Draft.Form.REFERRAL, key=str(patient.pk))
    return referral


@transaction.atomic
def record_update(
    *,
    actor: Actor,
    record: AnswerToConcerns,
    fields: dict[str, Any],
    concerns: Iterable[Concern] | None = None,
    version: int | None = None,
) -> AnswerToConcerns:
    """A correction: pghistory keeps the earlier version. A corrected CPS report corrects its disclosure too.

    `version`: the record's version her form was opened at; if one of `fields` was changed since, her correction is
    refused with an EditConflict saying what it holds now (None: no check)."""
    record = type(record)._default_manager.select_for_update().get(pk=record.pk)
    if version is not None:
        check_version(record, seen=version, saving=fields, user=actor.user)
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()
    if concerns is not None:
        record.concerns.set(concerns)
    if isinstance(record, CPSReport):
        for disclosure in Disclosure.objects.select_for_update().filter(cps_report=record):
            disclosure.disclosed_on = record.made_at.date()
            disclosure.recipient = record.agency
            disclosure.information = record.what_was_reported
            _disclosure_save(disclosure)
    log_access(actor, AccessAction.CHANGE, patient=record.patient, record=record)
    return record


@transaction.atomic
def referral_change_status(
    *, actor: Actor, referral: Referral, status: str, changed_on: datetime.date, note: str = ""
) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if status not in NEXT_STATUSES[referral.status]:
        raise ValidationError(
            {
                "status": f"A referral that is {referral.get_status_display().lower()} cannot become "
                f"{ReferralStatus(status).label.lower()}."
            }
        )
    last = referral.status_changes.order_by("-changed_on").first()
    if last and changed_on < last.changed_on:
        raise ValidationError(
            {"changed_on": f"The last change was on {last.changed_on:%B %d, %Y}: pick that day or later."}
        )
    ReferralStatusChange.objects.create(
        referral=referral, status=status, changed_on=changed_on, note=note, changed_by=actor.user
    )
    referral.status = status
    referral.save(update_fields=["status", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=referral.patient, record=referral)
    return referral


@transaction.atomic
def cps_report_record(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], concerns: Iterable[Concern] = ()
) -> CPSReport:
    """A mandated report: no consent needed, and it goes into her accounting of disclosures."""
    report = _create(actor, CPSReport, patient, fields, concerns)
    _disclosure_create(
        actor=actor,
        patient=patient,
        fields={
            "disclosed_on": report.made_at.date(),
            "recipient": report.agency,
            "information": report.what_was_reported,
            "purpose": "Mandated report of suspected child abuse or neglect",
            "legal_basis": LegalBasis.MANDATED_REPORT,
            "cps_report": report,
        },
    )
    draft_discard(user=actor.user, form=Draft.Form.CPS_REPORT, key=str(patient.pk))
    return report


@transaction.atomic
def communication_record(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], concerns: Iterable[Concern] = ()
) -> PatientCommunication:
    communication = _create(actor, PatientCommunication, patient, fields, concerns)
    draft_discard(user=actor.user, form=Draft.Form.COMMUNICATION, key=str(patient.pk))
    return communication


@transaction.atomic
def disclosure_record(*, actor: Actor, patient: Patient, fields: dict[str, Any]) -> Disclosure:
    """Records her information leaving the program, in her accounting of disclosures, only if the 42 CFR Part 2
    rule allows it (`Disclosure.check_legal_basis`); otherwise raises ValidationError keyed by field. Her draft of
    a disclosure of this patient is done with."""
    disclosure = _disclosure_create(actor=actor, patient=patient, fields=fields)
    draft_discard(user=actor.user, form=Draft.Form.DISCLOSURE, key=str(patient.pk))
    return disclosure


def _disclosure_create(*, actor: Actor, patient: Patient, fields: dict[str, Any]) -> Disclosure:
    disclosure = Disclosure(program_id=patient.program_id, patient=patient, disclosed_by=actor.user, **fields)
    _disclosure_save(disclosure)
    log_access(actor, AccessAction.CREATE, patient=patient, record=disclosure)
    return disclosure


def _disclosure_save(disclosure: Disclosure) -> None:
    # The one way a disclosure is written: every service that records or changes one goes through the rule.
    disclosure.check_legal_basis()
    disclosure.save()
