"""Writes of clinical actions. Each writes its access-log row in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coaching.models import Concern, Draft
from coaching.services import draft_discard
from patients.models import Child, Patient
from recovery_program import outbox
from recovery_program.audit import AccessAction, Actor, log_access
from recovery_program.models import Outgoing
from recovery_program.uploads import checked_document
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
    ServiceAgreement,
)
from staff.permissions import supervisors_of_coach
from staff.roles import Role, members_with_role

Record = TypeVar("Record", bound=ClinicalRecord)
AnswerToConcerns = TypeVar("AnswerToConcerns", Referral, CPSReport, PatientCommunication)


def _create(
    actor: Actor, model: type[Record], patient: Patient, fields: dict[str, Any], concerns: Iterable[Concern] = ()
) -> Record:
    record = model._default_manager.create(program_id=patient.program_id, patient=patient, **fields)
    if concerns:
        if not isinstance(record, Referral | CPSReport | PatientCommunication):
            raise TypeError(f"A {model.__name__} answers no concern.")
        record.concerns.set(concerns, through_defaults={"program_id": record.program_id})
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
    fields = dict(fields)
    children = fields.pop("children", None)
    if children is not None and isinstance(record, CPSReport):
        _link_children(record, children)
    if version is not None:
        check_version(record, seen=version, saving=fields, user=actor.user)
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()
    if concerns is not None:
        record.concerns.set(concerns, through_defaults={"program_id": record.program_id})
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
                "status": _("A referral that is %(status)s cannot become %(new_status)s.")
                % {"status": referral.get_status_display().lower(), "new_status": ReferralStatus(status).label.lower()}
            }
        )
    last = referral.status_changes.order_by("-changed_on").first()
    if last and changed_on < last.changed_on:
        raise ValidationError(
            {
                "changed_on": _("The last change was on %(day)s: pick that day or later.")
                % {"day": date_format(last.changed_on, _("F d, Y"))}
            }
        )
    ReferralStatusChange.objects.create(
        referral=referral, status=status, changed_on=changed_on, note=note, changed_by=actor.user
    )
    referral.status = status
    referral.save(update_fields=["status", "updated_at"])
    log_access(actor, AccessAction.CHANGE, patient=referral.patient, record=referral)
    return referral


def _link_children(report: CPSReport, children: Iterable[Child]) -> None:
    """The children a CPS report concerns: hers only (the database keeps them in her program too)."""
    children = list(children)
    if any(child.patient_id != report.patient_id for child in children):
        raise ValidationError({"children": _("Choose among her own children.")})
    report.children.set(children, through_defaults={"program_id": report.program_id})


@transaction.atomic
def cps_report_record(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], concerns: Iterable[Concern] = ()
) -> CPSReport:
    """A mandated report: no consent needed, and it goes into her accounting of disclosures. `fields` may name
    the children it concerns ("children"), each hers."""
    fields = dict(fields)
    children = fields.pop("children", [])
    report = _create(actor, CPSReport, patient, fields, concerns)
    _link_children(report, children)
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


# The e-mail her supervisor gets when a coach records a disclosure she made in person: a link, nothing else.
IN_PERSON_NOTICE = "disclosure_in_person"


@transaction.atomic
def disclosure_in_person_record(*, actor: Actor, patient: Patient, fields: dict[str, Any]) -> Disclosure:
    """A coach records what she told someone about the woman in person (at court, at the Family Resource Center):
    into her accounting of disclosures, on her consent that names that recipient or in a medical emergency, and on
    nothing else (`Disclosure.check_legal_basis` with `in_person`); otherwise raises ValidationError keyed by field.
    Her supervisor (the woman's clinical provider if the coach has none now, and with neither, every supervisor of the
    program) is told through the outbox: that a
    disclosure was recorded, and a link; nothing of what was said."""
    if not actor.user.has_perm("referrals.record_in_person_disclosure"):
        raise ValidationError(_("Only a coach records a disclosure she made in person."))
    disclosure = _disclosure_create(actor=actor, patient=patient, fields={**fields, "in_person": True})
    supervisors = (
        list(supervisors_of_coach(actor.user).exclude(email=""))
        or ([patient.clinical_provider] if patient.clinical_provider else [])
        or list(members_with_role(Role.SUPERVISOR, program_id=patient.program_id).exclude(email=""))
    )
    for supervisor in supervisors:
        outbox.message_add(
            kind=IN_PERSON_NOTICE, recipient=supervisor, template=IN_PERSON_NOTICE, context={"patient": patient.pk}
        )
    return disclosure


def disclosure_in_person_notice_build(message: Outgoing) -> outbox.Built:
    """The outbox builds the notice when it sends it: a link to the woman's accounting of disclosures, no name."""
    link = settings.SITE_URL.rstrip("/") + reverse("referrals:accounting", args=[message.context["patient"]])
    return outbox.Built({"link": link})


@transaction.atomic
def agreement_record(*, actor: Actor, fields: dict[str, Any], document: UploadedFile) -> ServiceAgreement:
    """Keeps a qualified service organization agreement of her program, with the signed agreement (a PDF, PNG or
    JPEG, at most 10 MB, known by its content) in the private storage. Supervisors only."""
    if not actor.user.has_perm("referrals.add_serviceagreement"):
        raise ValidationError(_("Only a supervisor keeps the program's agreements."))
    try:
        document = checked_document(document, "agreement")
    except ValidationError as error:
        raise ValidationError({"document": error.messages}) from None
    agreement = ServiceAgreement(program_id=actor.user.program_id, recorded_by=actor.user, document=document, **fields)
    if not agreement.organization.strip():
        raise ValidationError({"organization": _("Name the organization, as the agreement does.")})
    if agreement.ends_on and agreement.ends_on < agreement.starts_on:
        raise ValidationError({"ends_on": _("It cannot end before it is in force.")})
    agreement.save()
    return agreement
