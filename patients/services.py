"""Writes about patients. Each writes its access-log row in the same transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from guardian.shortcuts import assign_perm, remove_perm

from patients.interviews import follow_up_window
from patients.models import (
    DEFAULT_DISCHARGE_REASONS,
    DISCHARGE_STATUSES,
    FULL_TERM_WEEKS,
    Child,
    ChildCustody,
    CoachAssignment,
    Consent,
    CoverGrant,
    CPSInvolvement,
    DischargeReason,
    Episode,
    ExpiryEvent,
    GrantInterview,
    HigherCareStay,
    InterviewKind,
    InterviewOutcome,
    Patient,
    PatientUserObjectPermission,
    Pregnancy,
    ProgramStatus,
    StatusChange,
)
from patients.permissions import (
    CASELOAD_PERMISSIONS,
    can_correct_interviews,
    can_give_cover,
    can_keep_discharge_reasons,
    can_record_interviews,
    coaches_assignable_by,
    forget_object_perms,
    has_patient_perm,
)
from recovery_program.audit import AccessAction, Actor, log_access, log_access_many
from recovery_program.uploads import checked_document
from recovery_program.validators import not_in_future
from recovery_program.versioning import check_version
from staff.models import Program, User
from staff.roles import Role, members_with_role
from staff.training import Status, compliance_for


def _check_clinical_provider(program_id: int, provider: User | None) -> None:
    """A woman's clinical provider, when she has one, is an active supervisor of her program (the database holds
    it too, `patient_clinical_provider_is_an_active_supervisor`)."""
    supervisors = members_with_role(Role.SUPERVISOR, program_id=program_id)
    if provider is not None and not supervisors.filter(pk=provider.pk).exists():
        raise ValidationError(
            {"clinical_provider": _("Choose an active supervisor of her program as her clinical provider, or nobody.")}
        )


@transaction.atomic
def patient_enroll(
    *,
    actor: Actor,
    fields: dict[str, Any],
    coach: User | None,
    token: uuid.UUID | None = None,
    over_cap_confirmed: bool = False,
    compliance_override_reason: str = "",
) -> tuple[Patient, bool]:
    """Enrolls a patient in the actor's program, with her first status and (optionally) her coach (past the
    program's caseload cap only when `over_cap_confirmed`, as `assignment_start` says).

    With a token (the demo data's, derived from her name), the same token again returns the patient enrolled
    the first time, and False. The enroll form is kept from saving twice by its one-time key
    (`recovery_program.once`), like every create form.
    """
    token = token or uuid.uuid4()
    existing = Patient.objects.filter(enrollment_token=token, program_id=actor.user.program_id).first()
    if existing:
        return existing, False
    _check_clinical_provider(actor.user.program_id, fields.get("clinical_provider"))
    fields = dict(fields)
    due, delivered = fields.pop("due_date", None), fields.pop("delivery_date", None)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                **fields, program_id=actor.user.program_id, status=ProgramStatus.ACTIVE, enrollment_token=token
            )
    except IntegrityError:
        # A second copy of the form, sent at the same moment, won the race.
        return Patient.objects.get(enrollment_token=token, program_id=actor.user.program_id), False
    StatusChange.objects.create(
        patient=patient,
        status=ProgramStatus.ACTIVE,
        changed_on=patient.enrollment_date,
        reason="Enrolled",
        shared_with_coach=True,
        changed_by=actor.user,
    )
    Episode.objects.create(
        program_id=patient.program_id, patient=patient, started_on=patient.enrollment_date, started_by=actor.user
    )
    log_access(actor, AccessAction.CREATE, patient=patient)
    enroll_pregnancies(actor=actor, patient=patient, due_date=due, delivery_date=delivered)
    if coach is not None:
        assignment_start(
            actor=actor,
            patient=patient,
            coach=coach,
            started_on=patient.enrollment_date,
            over_cap_confirmed=over_cap_confirmed,
            compliance_override_reason=compliance_override_reason,
        )
    return patient, True


@transaction.atomic
def patient_update(
    *,
    actor: Actor,
    patient: Patient,
    fields: dict[str, Any],
    version: int | None = None,
) -> Patient:
    """Saves changed fields of her record; pghistory keeps the earlier values.

    `version`: her record's version the form was opened at; if one of `fields` was changed since, her save is
    refused with an EditConflict saying what it holds now (None: no check)."""
    if PREGNANCY_DATES & set(fields):
        # Her dates are a copy of her latest pregnancy's, written by `pregnancy_save` alone.
        raise ValidationError(_("Change her due date or delivery date on her pregnancy, on her page."))
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if version is not None:
        check_version(patient, seen=version, saving=fields, user=actor.user)
    if "clinical_provider" in fields and fields["clinical_provider"] != patient.clinical_provider:
        _check_clinical_provider(patient.program_id, fields["clinical_provider"])
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.save(update_fields=list(fields))
    log_access(actor, AccessAction.CHANGE, patient=patient)
    return patient


@transaction.atomic
def patient_change_status(
    *,
    actor: Actor,
    patient: Patient,
    status: ProgramStatus,
    changed_on: datetime.date,
    reason: str,
    shared_with_coach: bool = False,
) -> StatusChange:
    """Records her new status. Discharged or graduated, it is her discharge: consents that end at it end that day,
    and her open episode ends (graduated: "completed"; otherwise "other": `patient_discharge` asks the reason).

    `shared_with_coach`: her coach may read the reason (by default only the clinical staff do)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if status in DISCHARGE_STATUSES and patient.status in DISCHARGE_STATUSES:
        raise ValidationError(
            {"status": _("She is already %(status)s.") % {"status": patient.get_status_display().lower()}}
        )
    if status in DISCHARGE_STATUSES:
        episode = _open_episode(patient)
        if episode is not None:
            code = "completed" if status == ProgramStatus.GRADUATED else "other"
            why = discharge_reasons_for(patient.program).get(code=code)
            _end_episode(actor, episode, reason=why, ended_on=changed_on, summary=reason)
    change = StatusChange.objects.create(
        patient=patient,
        status=status,
        changed_on=changed_on,
        reason=reason,
        shared_with_coach=shared_with_coach,
        changed_by=actor.user,
    )
    patient.status = status
    patient.save(update_fields=["status"])
    log_access(actor, AccessAction.CHANGE, patient=patient, record=change)
    if status in DISCHARGE_STATUSES:
        _end_consents_at(actor, patient, ExpiryEvent.DISCHARGE, changed_on)
    return change


def reason_text(reason: DischargeReason, on: datetime.date) -> str:
    return f"Discharged on {date_format(on, 'M j, Y')}: {reason.label}"


def _end_consents_at(actor: Actor, patient: Patient, event: ExpiryEvent, on: datetime.date) -> None:
    consents = Consent.objects.select_for_update().filter(patient=patient, expiry_event=event, ended_on__isnull=True)
    for consent in consents:
        # A consent signed after the event (a status change dated back) never came into force.
        consent.ended_on = max(on, consent.signed_on)
        consent.save(update_fields=["ended_on"])
        log_access(actor, AccessAction.CHANGE, patient=patient, record=consent)


def _end_open_assignment(
    patient: Patient, ended_on: datetime.date, reason: str, *, shared_with_coach: bool
) -> CoachAssignment | None:
    current = patient.assignments.filter(ended_on__isnull=True).select_related("coach").first()
    if current is None:
        return None
    if ended_on < current.started_on:
        raise ValidationError(
            {
                "started_on": _("%(coach)s has been her coach since %(day)s: the change cannot start before that.")
                % {"coach": current.coach, "day": date_format(current.started_on)}
            }
        )
    current.ended_on = ended_on
    current.end_reason = reason
    current.end_reason_shared_with_coach = shared_with_coach
    current.save(update_fields=["ended_on", "end_reason", "end_reason_shared_with_coach"])
    for perm in CASELOAD_PERMISSIONS:
        remove_perm(perm, current.coach, patient)
    forget_object_perms()
    return current


OVER_CAP = "over_cap"
OUT_OF_COMPLIANCE = "out_of_compliance"


def caseload_cap_check(*, coach: User, adding: int = 1) -> tuple[int, int]:
    """The women on her caseload once `adding` more join it, and her program's cap."""
    carried = CoachAssignment.objects.filter(coach=coach, ended_on__isnull=True).count()
    return carried + adding, coach.program.caseload_cap


@transaction.atomic
def assignment_start(
    *,
    actor: Actor,
    patient: Patient,
    coach: User,
    started_on: datetime.date,
    over_cap_confirmed: bool = False,
    compliance_override_reason: str = "",
    handoff_note: str = "",
    previous_coach_note: str = "",
) -> CoachAssignment:
    """Makes `coach` her coach from `started_on`, ending the open assignment that day.

    The old coach loses her permissions on the patient and the new coach gains
    them in this same transaction: the patient leaves one caseload as she joins the other.

    An assignment that takes the coach past her program's caseload cap is refused (code OVER_CAP, saying how many
    women she would carry) unless `over_cap_confirmed`; a confirmed one is marked `over_cap`.
    A coach out of compliance with the training her role requires (`staff.training`) is refused (code
    OUT_OF_COMPLIANCE, naming what is missing) unless the supervisor gives `compliance_override_reason`: the override
    is stored on the assignment with who gave it and when.
    `handoff_note` and `previous_coach_note`: a transfer's notes (`assignment_transfer`).
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    refusal = logging_refusal([patient], doing="given a coach")
    if refusal:
        raise ValidationError({"coach": refusal})
    current = patient.assignments.filter(ended_on__isnull=True).select_related("coach").first()
    if current is not None and current.coach_id == coach.pk:
        raise ValidationError({"coach": _("%(coach)s is already her coach.") % {"coach": coach}})
    # Two assignments to her at once count each other: her row is the lock.
    coach = User.objects.select_for_update(of=("self",)).select_related("program").get(pk=coach.pk)
    override = compliance_override_reason.strip()
    missing = compliance_for([coach], timezone.localdate())[coach.pk]
    if missing.status != Status.OUT:
        override = ""  # nothing to override: no override is recorded
    elif not override:
        raise ValidationError(
            _(
                "%(coach)s is out of compliance with her required training (%(missing)s). A supervisor may give "
                "her this woman anyway with a reason."
            )
            % {"coach": coach.first_name or coach, "missing": "; ".join(str(m) for m in missing.missing)},
            code=OUT_OF_COMPLIANCE,
        )
    carrying, cap = caseload_cap_check(coach=coach)
    over_cap = carrying > cap
    if over_cap and not over_cap_confirmed:
        raise ValidationError(
            ngettext(
                "This would give %(coach)s %(carrying)d women; the program's cap is %(cap)d.",
                "This would give %(coach)s %(carrying)d women; the program's cap is %(cap)d.",
                carrying,
            )
            % {"coach": coach.first_name or coach, "carrying": carrying, "cap": cap},
            code=OVER_CAP,
        )
    reason = f"Transferred to {coach}" if handoff_note else f"Reassigned to {coach}"
    _end_open_assignment(patient, started_on, reason=reason, shared_with_coach=True)
    assignment = CoachAssignment.objects.create(
        patient=patient,
        coach=coach,
        started_on=started_on,
        assigned_by=actor.user,
        over_cap=over_cap,
        handoff_note=handoff_note,
        previous_coach_note=previous_coach_note,
        compliance_override_reason=override,
        compliance_override_by=actor.user if override else None,
        compliance_override_at=timezone.now() if override else None,
    )
    for perm in CASELOAD_PERMISSIONS:
        assign_perm(perm, coach, patient)
    forget_object_perms()
    log_access(actor, AccessAction.CHANGE, patient=patient, record=assignment)
    return assignment


@transaction.atomic
def assignment_transfer(
    *,
    actor: Actor,
    patient: Patient,
    coach: User,
    handoff_note: str,
    previous_coach_note: str = "",
    over_cap_confirmed: bool = False,
    compliance_override_reason: str = "",
) -> CoachAssignment:
    """A supervisor moves her from her coach to another coach of the program today, with a handoff note (required)
    and, if the old coach had something to pass on, what she said (the supervisor writes it after talking with her:
    no pending state, nothing waits on the old coach). The old assignment ends (her access goes at once, as in
    `assignment_start`), the new one starts; both stay in her history. The new coach sees her earlier encounters in
    the program (`coaching.permissions.encounters_visible_to`)."""
    if not has_patient_perm(actor.user, "patients.assign_coach", patient):
        raise ValidationError(_("Only a supervisor of her program transfers her."))
    handoff_note = handoff_note.strip()
    if not handoff_note:
        raise ValidationError({"handoff_note": _("Write a handoff note for her new coach.")})
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.assignments.filter(ended_on__isnull=True).exists():
        raise ValidationError({"coach": _("She has no coach to transfer from: assign her a coach instead.")})
    if not coaches_assignable_by(actor.user).filter(pk=coach.pk).exists():
        raise ValidationError({"coach": _("Choose an active coach of your program.")})
    return assignment_start(
        actor=actor,
        patient=patient,
        coach=coach,
        started_on=timezone.localdate(),
        over_cap_confirmed=over_cap_confirmed,
        compliance_override_reason=compliance_override_reason,
        handoff_note=handoff_note,
        previous_coach_note=previous_coach_note.strip(),
    )


@transaction.atomic
def assignment_end(
    *, actor: Actor, patient: Patient, ended_on: datetime.date, reason: str, shared_with_coach: bool = False
) -> CoachAssignment:
    """Leaves her without a coach from `ended_on`; the coach loses access at once.

    `shared_with_coach`: coaches may read the reason (by default only the clinical staff do)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    ended = _end_open_assignment(patient, ended_on, reason, shared_with_coach=shared_with_coach)
    if ended is None:
        raise ValidationError(_("She has no coach at the moment."))
    log_access(actor, AccessAction.CHANGE, patient=patient, record=ended)
    return ended


@transaction.atomic
def consent_record(
    *, actor: Actor, patient: Patient, fields: dict[str, Any], signed_form: UploadedFile | None = None
) -> Consent:
    """Records a consent she signed, with the signed form if it is given (checked as `consent_attach_signed_form`
    checks it). One that ends at her discharge cannot be recorded once she has left."""
    # Locked as her status change locks her: a discharge recorded at the same moment cannot miss this consent.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if fields.get("expiry_event") == ExpiryEvent.DISCHARGE and patient.status in DISCHARGE_STATUSES:
        raise ValidationError(
            {
                "expiry_event": _(
                    "She is %(status)s: a consent that ends at her discharge would already have ended. Give the "
                    "date it ends instead."
                )
                % {"status": patient.get_status_display().lower()}
            }
        )
    episode = _open_episode(patient)
    if (
        episode is not None
        and episode.needs_consent
        and fields.get("signed_on")
        and fields["signed_on"] < episode.started_on
    ):
        raise ValidationError(
            {
                "signed_on": _(
                    "She came back on %(day)s: her new episode starts with a consent signed that day or later."
                )
                % {"day": date_format(episode.started_on, _("M j, Y"))}
            }
        )
    consent = Consent(patient=patient, recorded_by=actor.user, episode=episode, **fields)
    if signed_form is not None:
        consent.signed_form = _signed_form(signed_form)
    consent.save()
    log_access(actor, AccessAction.CREATE, patient=patient, record=consent)
    return consent


def _signed_form(upload: UploadedFile) -> UploadedFile:
    try:
        return checked_document(upload, "signed-consent")
    except ValidationError as error:
        raise ValidationError({"signed_form": error.messages}) from None


@transaction.atomic
def consent_attach_signed_form(*, actor: Actor, consent: Consent, upload: UploadedFile) -> Consent:
    """Keeps the form she signed (a PDF, or a photo of it as PNG or JPEG, at most 10 MB, known by its content) in the
    private storage, in place of any kept before (the history keeps the earlier file's name, and the file stays)."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    consent.signed_form = _signed_form(upload)
    consent.save(update_fields=["signed_form"])
    log_access(actor, AccessAction.CHANGE, patient=consent.patient, record=consent)
    return consent


@transaction.atomic
def consent_revoke(*, actor: Actor, consent: Consent, revoked_on: datetime.date) -> Consent:
    consent.revoked_on = revoked_on
    consent.save(update_fields=["revoked_on"])
    log_access(actor, AccessAction.CHANGE, patient=consent.patient, record=consent)
    return consent


@transaction.atomic
def child_save(*, actor: Actor, patient: Patient, child: Child) -> Child:
    """A child of hers: in her program; the year of birth is the date of birth's when that is known (the database
    holds it too, `child_birth_year_is_the_date_of_births`)."""
    created = child.pk is None
    child.patient = patient
    child.program_id = patient.program_id
    if child.date_of_birth is not None:
        if child.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": _("The date of birth cannot be in the future.")})
        child.birth_year = child.date_of_birth.year
    if child.birth_year is None:
        raise ValidationError({"date_of_birth": _("Enter her date of birth, or at least the year.")})
    child.save()
    log_access(actor, AccessAction.CREATE if created else AccessAction.CHANGE, patient=patient, record=child)
    return child


@transaction.atomic
def child_custody_save(*, actor: Actor, child: Child, fields: dict[str, Any]) -> ChildCustody:
    """Custody and CPS involvement of a child, for supervisors (the view fetched the child through
    `get_child_for_custody`). Dates fit the case: none without a case, an open case is not closed, a closed one
    was opened first (the database holds it too, `childcustody_cps_dates_fit_the_case`)."""
    errors = custody_errors(fields)
    if errors:
        raise ValidationError(errors)
    custody = ChildCustody.objects.select_for_update().filter(child=child).first() or ChildCustody(
        child=child, program_id=child.program_id
    )
    created = custody.pk is None
    for name, value in fields.items():
        setattr(custody, name, value)
    custody.save()
    log_access(actor, AccessAction.CREATE if created else AccessAction.CHANGE, patient=child.patient, record=custody)
    return custody


def custody_errors(fields: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a child's CPS dates, by field (the form shows the same messages)."""
    cps, opened, closed = fields.get("cps"), fields.get("cps_opened_on"), fields.get("cps_closed_on")
    errors: dict[str, str] = {}
    if cps == CPSInvolvement.NONE and (opened or closed):
        errors["cps"] = _("With no case, leave the case dates empty.")
    if cps in (CPSInvolvement.OPEN, CPSInvolvement.CLOSED) and not opened:
        errors["cps_opened_on"] = _("Enter the day the case was opened.")
    if cps == CPSInvolvement.OPEN and closed:
        errors["cps_closed_on"] = _("An open case has no closing date: choose Closed case, or leave it empty.")
    if cps == CPSInvolvement.CLOSED and not closed:
        errors["cps_closed_on"] = _("Enter the day the case was closed.")
    if opened and closed and closed < opened:
        errors["cps_closed_on"] = _("A case closes on or after the day it was opened.")
    for name in ("cps_opened_on", "cps_closed_on"):
        if fields.get(name) and fields[name] > timezone.localdate():
            errors[name] = "This date cannot be in the future."
    return errors


def pregnancy_errors(pregnancy: Pregnancy, today: datetime.date) -> dict[str, str]:
    """What is wrong with a pregnancy's fields, by field (the form shows the same messages)."""
    errors: dict[str, str] = {}
    born = pregnancy.delivery_date
    delivered = born is not None
    if born is not None and born > today:
        errors["delivery_date"] = _("The delivery date cannot be in the future.")
    if born is not None and born < pregnancy.due_date - datetime.timedelta(weeks=FULL_TERM_WEEKS - 20):
        errors["delivery_date"] = _("That is more than 20 weeks before the due date: check both dates.")
    if not delivered:
        if pregnancy.gestational_weeks is not None:
            errors["gestational_weeks"] = _("Record the delivery date first.")
        if pregnancy.birth_weight_grams is not None:
            errors["birth_weight_grams"] = _("Record the delivery date first.")
        if pregnancy.infant_withdrawal:
            errors["infant_withdrawal"] = _("Record the delivery date first.")
    if pregnancy.gestational_weeks is not None and not 20 <= pregnancy.gestational_weeks <= 45:
        errors["gestational_weeks"] = _("Enter a number of weeks between 20 and 45.")
    if pregnancy.birth_weight_grams is not None and not 300 <= pregnancy.birth_weight_grams <= 7000:
        errors["birth_weight_grams"] = _("Enter a weight between 300 and 7000 grams.")
    if pregnancy.prenatal_care_where and not pregnancy.prenatal_care:
        errors["prenatal_care_where"] = _("Tick that she has prenatal care, or leave where empty.")
    if pregnancy.safe_care_plan:
        if not (pregnancy.safe_care_with or "").strip():
            errors["safe_care_with"] = _("Say with whom the Plan of Safe Care was made.")
        if pregnancy.safe_care_on is None:
            errors["safe_care_on"] = _("Enter the day the Plan of Safe Care was made.")
        elif pregnancy.safe_care_on > today:
            errors["safe_care_on"] = _("This date cannot be in the future.")
    elif (pregnancy.safe_care_with or "").strip() or pregnancy.safe_care_on is not None:
        errors["safe_care_plan"] = _("Tick that a Plan of Safe Care is made, or leave with whom and when empty.")
    return errors


PREGNANCY_DATES = {"due_date", "delivery_date"}


@transaction.atomic
def enroll_pregnancies(
    *, actor: Actor, patient: Patient, due_date: datetime.date | None, delivery_date: datetime.date | None
) -> list[Pregnancy]:
    """The pregnancies behind the dates typed when she enrolled, through `pregnancy_save` (the one writer of
    `Patient.due_date` and `delivery_date`): a delivery close enough to the due date is that pregnancy's; an earlier
    one is a pregnancy of its own (its due date taken as the delivery day), before the one she is due with now."""
    saved: list[Pregnancy] = []
    earliest_birth = due_date - datetime.timedelta(weeks=FULL_TERM_WEEKS - 20) if due_date is not None else None
    if delivery_date is not None and (earliest_birth is None or delivery_date < earliest_birth):
        earlier = Pregnancy(due_date=delivery_date, delivery_date=delivery_date)
        saved.append(pregnancy_save(actor=actor, patient=patient, pregnancy=earlier))
        delivery_date = None
    if due_date is not None:
        current = Pregnancy(due_date=due_date, delivery_date=delivery_date)
        saved.append(pregnancy_save(actor=actor, patient=patient, pregnancy=current))
    if saved:
        patient.refresh_from_db(fields=sorted(PREGNANCY_DATES))
    return saved


@transaction.atomic
def pregnancy_save(*, actor: Actor, patient: Patient, pregnancy: Pregnancy) -> Pregnancy:
    """Records or corrects one of her pregnancies (her coach or a supervisor; the view fetched her through
    `get_patient_for_pregnancy`). One at a time has no delivery; what is known of the birth comes once she has
    delivered; a Plan of Safe Care is made with someone on a day. Her current pregnancy (the latest due date)
    keeps `Patient.due_date` and `delivery_date` in step, which her status, the weekly queue and the downloads read."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    created = pregnancy.pk is None
    pregnancy.patient, pregnancy.program_id = patient, patient.program_id
    pregnancy.safe_care_with = pregnancy.safe_care_with.strip()
    errors = pregnancy_errors(pregnancy, timezone.localdate())
    open_ones = Pregnancy.objects.filter(patient=patient, delivery_date__isnull=True).exclude(pk=pregnancy.pk)
    if pregnancy.delivery_date is None and open_ones.exists():
        errors["due_date"] = _(
            "She already has a pregnancy with no delivery recorded: record the delivery there first."
        )
    if errors:
        raise ValidationError(errors)
    pregnancy.save()
    current = Pregnancy.objects.filter(patient=patient).order_by("-due_date", "-pk").first()
    if current and (patient.due_date, patient.delivery_date) != (current.due_date, current.delivery_date):
        patient.due_date, patient.delivery_date = current.due_date, current.delivery_date
        patient.save(update_fields=["due_date", "delivery_date"])
    log_access(actor, AccessAction.CREATE if created else AccessAction.CHANGE, patient=patient, record=pregnancy)
    return pregnancy


@transaction.atomic
def coach_leaves(*, actor: Actor, coach: User, on: datetime.date) -> list[int]:
    """Ends every open assignment of a coach who leaves (or stops being a coach); her patients wait, listed, for
    a new coach. Any permission on a patient left behind without an assignment goes too."""
    patient_ids = []
    for assignment in CoachAssignment.objects.select_for_update().filter(coach=coach, ended_on__isnull=True):
        patient = assignment.patient
        _end_open_assignment(
            patient, max(on, assignment.started_on), reason=f"{coach} left the program", shared_with_coach=True
        )
        log_access(actor, AccessAction.CHANGE, patient=patient, record=assignment)
        patient_ids.append(patient.pk)
    PatientUserObjectPermission.objects.filter(user=coach).delete()
    forget_object_perms()
    return patient_ids


@transaction.atomic
def clinical_provider_leaves(*, actor: Actor, provider: User) -> list[int]:
    """She can no longer be anyone's clinical provider (deactivated, or no longer a supervisor): the women who had
    her have none named until a supervisor names another, so that no page or concern sends anyone to her. Their
    history keeps her name. Returns their ids."""
    women = list(Patient.objects.select_for_update().filter(clinical_provider=provider).values_list("pk", flat=True))
    Patient.objects.filter(pk__in=women).update(clinical_provider=None)
    log_access_many(actor, AccessAction.CHANGE, women, record_type="clinical provider")
    return women


# A cover is for days away (a vacation, sick leave), not a second caseload: a longer one is a reassignment.
COVER_MAX_DAYS = 60


@transaction.atomic
def cover_give(
    *, actor: Actor, covering: User, covered: User, starts_on: datetime.date, ends_on: datetime.date
) -> CoverGrant:
    """A supervisor gives one coach of her program the other's current caseload from `starts_on` to `ends_on`
    (both included, the program's days). Nothing is granted now: the permission layer reads the cover by date, so it
    starts and ends by itself. The access log names each woman of the covered caseload (who may now be seen)."""
    user = actor.user
    if not can_give_cover(user):
        raise ValidationError(_("Only a supervisor of the program gives cover."))
    coaches = coaches_assignable_by(user)
    errors = {}
    if not coaches.filter(pk=covering.pk).exists():
        errors["covering"] = _("Choose an active coach of your program.")
    if not coaches.filter(pk=covered.pk).exists():
        errors["covered"] = _("Choose an active coach of your program.")
    elif covering.pk == covered.pk:
        errors["covering"] = _("Choose another coach than the one away.")
    today = timezone.localdate()
    if ends_on < starts_on:
        errors["ends_on"] = _("The last day comes on or after the first.")
    elif ends_on < today:
        errors["ends_on"] = _("The last day is today or later.")
    elif (ends_on - starts_on).days >= COVER_MAX_DAYS:
        errors["ends_on"] = _("A cover lasts at most %(days)d days; for longer, assign her women to a coach.") % {
            "days": COVER_MAX_DAYS
        }
    if errors:
        raise ValidationError(errors)
    cover = CoverGrant.objects.create(
        program_id=user.program_id,
        covering=covering,
        covered=covered,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=user,
    )
    caseload = CoachAssignment.objects.filter(coach=covered, ended_on__isnull=True).values_list("patient_id", flat=True)
    log_access_many(actor, AccessAction.CREATE, caseload, record_type="cover", record_id=str(cover.pk))
    return cover


@transaction.atomic
def cover_end(*, actor: Actor, cover: CoverGrant) -> CoverGrant:
    """A supervisor ends a cover before its last day: from now the covering coach no longer sees the covered
    caseload (the permission layer reads `ended_early_at`). The cover stays, marked ended early, by whom and when."""
    user = actor.user
    if not can_give_cover(user) or cover.program_id != user.program_id:
        raise ValidationError(_("Only a supervisor of the program ends a cover."))
    cover = CoverGrant.objects.select_for_update().get(pk=cover.pk)
    if cover.ended_early_at is not None:
        ended = date_format(timezone.localtime(cover.ended_early_at))
        raise ValidationError(_("This cover was already ended on %(day)s.") % {"day": ended})
    if cover.ends_on < timezone.localdate():
        raise ValidationError(_("This cover is already over."))
    cover.ended_early_at = timezone.now()
    cover.ended_early_by = user
    cover.save(update_fields=["ended_early_at", "ended_early_by"])
    caseload = CoachAssignment.objects.filter(coach=cover.covered, ended_on__isnull=True).values_list(
        "patient_id", flat=True
    )
    log_access_many(actor, AccessAction.CHANGE, caseload, record_type="cover", record_id=str(cover.pk))
    return cover


# Episodes of care: discharge, higher levels of care, re-enrollment.

# What was still open at her discharge, and what a supervisor may do with each.
OPEN_ITEM_KINDS = ("concern", "referral", "action_item")
OUTCOMES = ("closed", "carried")


def discharge_reasons_for(program: Program, *, offered_only: bool = False) -> QuerySet[DischargeReason]:
    """The discharge reasons her program keeps; a program that has none yet is given the defaults first."""
    reasons = DischargeReason.objects.filter(program=program)
    if not reasons.exists():
        DischargeReason.objects.bulk_create(
            [
                DischargeReason(program=program, code=code, label=label, position=i)
                for i, (code, label) in enumerate(DEFAULT_DISCHARGE_REASONS)
            ],
            ignore_conflicts=True,
        )
    return reasons.filter(is_active=True) if offered_only else reasons


def _open_episode(patient: Patient) -> Episode | None:
    """Her open episode, locked. A woman enrolled before episodes existed and not discharged is given hers
    (from her enrollment date) the first time a write needs it."""
    episode = Episode.objects.select_for_update().filter(patient=patient, ended_on__isnull=True).first()
    if episode is None and not patient.has_left_the_program and not patient.episodes.exists():
        episode = Episode.objects.create(
            program_id=patient.program_id, patient=patient, started_on=patient.enrollment_date
        )
    return episode


# What `not_in_future` says for each day the forms and services here check, as whole sentences for the translators.
NOT_IN_FUTURE = {
    "date": gettext_lazy("The date cannot be in the future."),
    "date of birth": gettext_lazy("The date of birth cannot be in the future."),
    "delivery date": gettext_lazy("The delivery date cannot be in the future."),
    "enrollment date": gettext_lazy("The enrollment date cannot be in the future."),
    "signing date": gettext_lazy("The signing date cannot be in the future."),
    "last day": gettext_lazy("The last day cannot be in the future."),
    "date she went": gettext_lazy("The date she went cannot be in the future."),
    "date she came back": gettext_lazy("The date she came back cannot be in the future."),
}


# logging_refusal's sentences, whole for the translators, for each `doing` its callers pass: (discharged, waiting
# for her new consent).
REFUSALS = {
    "logged about": (
        gettext_lazy(
            "%(name)s was discharged: nothing new can be logged about her. A supervisor can re-enroll her if she "
            "comes back."
        ),
        gettext_lazy(
            "%(name)s came back on %(day)s: nothing can be logged about her until a supervisor records the consent "
            "she signs for her new episode."
        ),
    ),
    "given a coach": (
        gettext_lazy(
            "%(name)s was discharged: nothing new can be given a coach her. A supervisor can re-enroll her if she "
            "comes back."
        ),
        gettext_lazy(
            "%(name)s came back on %(day)s: nothing can be given a coach her until a supervisor records the consent "
            "she signs for her new episode."
        ),
    ),
    "shared about": (
        gettext_lazy(
            "%(name)s was discharged: nothing new can be shared about her. A supervisor can re-enroll her if she "
            "comes back."
        ),
        gettext_lazy(
            "%(name)s came back on %(day)s: nothing can be shared about her until a supervisor records the consent "
            "she signs for her new episode."
        ),
    ),
    "planned for": (
        gettext_lazy(
            "%(name)s was discharged: nothing new can be planned for her. A supervisor can re-enroll her if she "
            "comes back."
        ),
        gettext_lazy(
            "%(name)s came back on %(day)s: nothing can be planned for her until a supervisor records the consent "
            "she signs for her new episode."
        ),
    ),
}


def logging_refusal(patients: list[Patient], *, doing: str = "logged about") -> str:
    """Why nothing new may be logged about (or a coach given for) these women, in plain words; empty if nothing
    stands in the way. A discharged woman is re-enrolled first; one re-enrolled waits for her new consent.
    `doing` is one of REFUSALS' keys (a new one is added there, with its sentences)."""
    discharged, waiting_for_consent = REFUSALS[doing]
    for patient in patients:
        if patient.has_left_the_program:
            return discharged % {"name": patient.display_name}
    waiting = Episode.objects.filter(
        patient__in=patients, ended_on__isnull=True, needs_consent=True, consents__isnull=True
    ).select_related("patient")
    for episode in waiting:
        return waiting_for_consent % {
            "name": episode.patient.display_name,
            "day": date_format(episode.started_on, _("M j, Y")),
        }
    return ""


def _end_episode(
    actor: Actor,
    episode: Episode,
    *,
    reason: DischargeReason,
    ended_on: datetime.date,
    summary: str,
    open_items: Iterable[dict] = (),
) -> Episode:
    if ended_on < episode.started_on:
        raise ValidationError(
            {
                "ended_on": _("This episode started on %(day)s: pick that day or later.")
                % {"day": date_format(episode.started_on, _("M j, Y"))}
            }
        )
    episode.ended_on = ended_on
    episode.discharge_reason = reason
    episode.summary = summary
    episode.open_at_discharge = list(open_items)
    episode.discharged_by = actor.user
    episode.save(update_fields=["ended_on", "discharge_reason", "summary", "open_at_discharge", "discharged_by"])
    for stay in HigherCareStay.objects.select_for_update().filter(episode=episode, ended_on__isnull=True):
        stay.ended_on = max(ended_on, stay.started_on)
        stay.save(update_fields=["ended_on"])
    log_access(actor, AccessAction.CHANGE, patient=episode.patient, record=episode)
    return episode


@transaction.atomic
def _not_after_today(value: datetime.date, field: str, what: str) -> None:
    """A day of her course (discharge, return, a stay) is today or earlier, whoever calls: next to `field`."""
    try:
        not_in_future(value, what, message=NOT_IN_FUTURE[what])
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def patient_discharge(
    *,
    actor: Actor,
    patient: Patient,
    reason: DischargeReason,
    ended_on: datetime.date,
    summary: str,
    open_items: Iterable[dict] = (),
) -> Episode:
    """Discharges her: her episode ends with the program's reason and the supervisor's summary, a stay in higher
    care ends, her coach's care ends (the coach loses access, as `assignment_end`), consents that end at her
    discharge end (`patient_change_status`). `open_items` notes what was still open and whether it was closed
    or carried ([{"kind", "id", "outcome"}]); closing them is for the apps that own them (workspace)."""
    _not_after_today(ended_on, "ended_on", "last day")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.has_left_the_program:
        raise ValidationError(_("She is already %(status)s.") % {"status": patient.get_status_display().lower()})
    if reason.program_id != patient.program_id or not reason.is_active:
        raise ValidationError({"reason": _("Choose one of your program's discharge reasons.")})
    for item in open_items:
        if item.get("kind") not in OPEN_ITEM_KINDS or item.get("outcome") not in OUTCOMES:
            raise ValidationError(_("Say for each open item whether it is closed or carried."))
    episode = _open_episode(patient)
    if episode is None:  # pragma: no cover (a woman not discharged always has one, see _open_episode)
        raise ValidationError(_("She has no open episode."))
    _end_episode(actor, episode, reason=reason, ended_on=ended_on, summary=summary, open_items=open_items)
    if patient.assignments.filter(ended_on__isnull=True).exists():
        assignment_end(
            actor=actor, patient=patient, ended_on=ended_on, reason="She was discharged", shared_with_coach=True
        )
    patient_change_status(
        actor=actor,
        patient=patient,
        status=ProgramStatus.DISCHARGED,
        changed_on=ended_on,
        reason=reason_text(reason, ended_on),
        shared_with_coach=True,
    )
    return episode


@transaction.atomic
def patient_reenroll(*, actor: Actor, patient: Patient, started_on: datetime.date) -> Episode:
    """She comes back: the same record, a new episode. Until a consent for it is recorded she cannot be given a
    coach and nothing is logged about her (`logging_refusal`)."""
    _not_after_today(started_on, "started_on", "date")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.has_left_the_program:
        raise ValidationError(_("She is enrolled: there is nothing to re-enroll."))
    last = patient.episodes.order_by("-started_on", "-id").first()
    if last is not None and last.ended_on and started_on < last.ended_on:
        raise ValidationError(
            {
                "started_on": _("She was discharged on %(day)s: pick that day or later.")
                % {"day": date_format(last.ended_on, _("M j, Y"))}
            }
        )
    episode = Episode.objects.create(
        program_id=patient.program_id, patient=patient, started_on=started_on, needs_consent=True, started_by=actor.user
    )
    StatusChange.objects.create(
        patient=patient,
        status=ProgramStatus.ACTIVE,
        changed_on=started_on,
        reason="Re-enrolled",
        shared_with_coach=True,
        changed_by=actor.user,
    )
    patient.status = ProgramStatus.ACTIVE
    patient.save(update_fields=["status"])
    log_access(actor, AccessAction.CHANGE, patient=patient, record=episode)
    return episode


@transaction.atomic
def higher_care_start(
    *, actor: Actor, patient: Patient, kind: str, started_on: datetime.date, expected_return_on: datetime.date | None
) -> HigherCareStay:
    """She went to a higher level of care. She stays on her coach's caseload; nothing else changes."""
    _not_after_today(started_on, "started_on", "date she went")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.has_left_the_program:
        raise ValidationError(_("She was discharged: re-enroll her first."))
    if patient.higher_care_stays.filter(ended_on__isnull=True).exists():
        raise ValidationError(_("She is already in a higher level of care: record her return first."))
    episode = _open_episode(patient)
    if episode is None or started_on < episode.started_on:
        raise ValidationError({"started_on": _("Pick a day in her current time in the program.")})
    if expected_return_on and expected_return_on < started_on:
        raise ValidationError({"expected_return_on": _("She is expected back after she went.")})
    stay = HigherCareStay.objects.create(
        patient=patient,
        episode=episode,
        kind=kind,
        started_on=started_on,
        expected_return_on=expected_return_on,
        recorded_by=actor.user,
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=stay)
    return stay


@transaction.atomic
def higher_care_end(*, actor: Actor, patient: Patient, ended_on: datetime.date) -> HigherCareStay:
    """She came back from her stay in a higher level of care."""
    _not_after_today(ended_on, "ended_on", "date she came back")
    stay = HigherCareStay.objects.select_for_update().filter(patient=patient, ended_on__isnull=True).first()
    if stay is None:
        raise ValidationError(_("She is not in a higher level of care."))
    if ended_on < stay.started_on:
        raise ValidationError(
            {
                "ended_on": _("She went on %(day)s: pick that day or later.")
                % {"day": date_format(stay.started_on, _("M j, Y"))}
            }
        )
    stay.ended_on = ended_on
    stay.save(update_fields=["ended_on"])
    log_access(actor, AccessAction.CHANGE, patient=patient, record=stay)
    return stay


# The program's list of discharge reasons, kept by its supervisors.


def _check_reason_label(program_id: int, label: str, *, besides: DischargeReason | None = None) -> str:
    label = " ".join(label.split())
    if not label:
        raise ValidationError({"label": _("Write the reason as it should be offered.")})
    same = DischargeReason.objects.filter(program_id=program_id, label__iexact=label)
    if besides is not None:
        same = same.exclude(pk=besides.pk)
    if same.exists():
        already = _("Your program already has the reason “%(label)s”.") % {"label": label}
        raise ValidationError({"label": already})
    return label


def _keeper(actor: Actor) -> User:
    if not can_keep_discharge_reasons(actor.user):
        raise ValidationError(_("Only a supervisor of the program changes its discharge reasons."))
    return actor.user


@transaction.atomic
def discharge_reason_add(*, actor: Actor, label: str) -> DischargeReason:
    """A new reason at the end of her program's list, offered at once."""
    user = _keeper(actor)
    reasons = discharge_reasons_for(user.program)
    label = _check_reason_label(user.program_id, label)
    base = slugify(label)[:30] or "reason"
    taken = set(reasons.values_list("code", flat=True))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    last = reasons.order_by("-position").values_list("position", flat=True).first() or 0
    return DischargeReason.objects.create(program_id=user.program_id, code=code, label=label, position=last + 1)


@transaction.atomic
def discharge_reason_rename(*, actor: Actor, reason: DischargeReason, label: str) -> DischargeReason:
    """A new wording; episodes that ended with this reason show the new one (pghistory keeps the old)."""
    user = _keeper(actor)
    reason = DischargeReason.objects.select_for_update().get(pk=reason.pk, program_id=user.program_id)
    reason.label = _check_reason_label(user.program_id, label, besides=reason)
    reason.save(update_fields=["label"])
    return reason


@transaction.atomic
def discharge_reason_set_offered(*, actor: Actor, reason: DischargeReason, offered: bool) -> DischargeReason:
    """Retires a reason (no longer offered at discharge; episodes that name it keep it) or offers it again. A reason
    is never removed. The last reason offered cannot be retired: a discharge needs one."""
    user = _keeper(actor)
    reason = DischargeReason.objects.select_for_update().get(pk=reason.pk, program_id=user.program_id)
    if not offered and reason.is_active:
        others = DischargeReason.objects.filter(program_id=user.program_id, is_active=True).exclude(pk=reason.pk)
        if not others.exists():
            raise ValidationError(_("This is the last reason offered: add another before retiring it."))
    reason.is_active = offered
    reason.save(update_fields=["is_active"])
    return reason


# The grant's interviews (intake, follow-up, discharge): dates and status only; the answers live with the funder.


@transaction.atomic
def grant_interview_record(
    *,
    actor: Actor,
    patient: Patient,
    kind: str,
    outcome: str,
    dated_on: datetime.date,
    outside_window: bool = False,
) -> GrantInterview:
    """Records one of her grant interviews in her latest episode: done on a day, or that she could not be reached
    or declined (that day). Her coach or a supervisor of her program records it; never an admin.

    One of each kind per episode. The intake interview comes first and is done (it starts the follow-up clock);
    the others are dated on or after it. A follow-up done outside its window says so (`outside_window`), and is
    not counted in the follow-up rate. The database holds each of these too (`grant_interview_*`)."""
    if not can_record_interviews(actor.user, patient):
        raise ValidationError(_("Only her coach or a supervisor of her program records her interviews."))
    _not_after_today(dated_on, "dated_on", "date")
    episode = Episode.objects.select_for_update().filter(patient=patient).order_by("-started_on", "-id").first()
    if episode is None:
        episode = _open_episode(patient)
    if episode is None:  # pragma: no cover (every enrolled woman has an episode, see _open_episode)
        raise ValidationError(_("She has no time in the program to record it in."))
    recorded = {i.kind: i for i in GrantInterview.objects.filter(episode=episode)}
    if kind in recorded:
        raise ValidationError(
            {"kind": _("Her %(kind)s interview is already recorded.") % {"kind": InterviewKind(kind).label.lower()}}
        )
    _interview_rules(patient, kind, outcome, dated_on, outside_window, recorded.get(InterviewKind.INTAKE))
    interview = GrantInterview.objects.create(
        program_id=patient.program_id,
        patient=patient,
        episode=episode,
        kind=kind,
        outcome=outcome,
        dated_on=dated_on,
        outside_window=outside_window,
        recorded_by=actor.user,
    )
    log_access(actor, AccessAction.CREATE, patient=patient, record=interview)
    return interview


@transaction.atomic
def grant_interview_correct(
    *,
    actor: Actor,
    interview: GrantInterview,
    outcome: str,
    dated_on: datetime.date,
    outside_window: bool,
    reason: str,
    version: int | None = None,
) -> GrantInterview:
    """A supervisor of her program corrects a recorded interview: its date, what happened, and whether a follow-up
    was done outside its window, saying why. The same rules as recording it (`_interview_rules`, and the database's
    `grant_interview_rules`); which woman, episode and kind it is never changes. pghistory keeps what it said before.

    `version`: the interview's version her form was opened at; a change since is refused (EditConflict)."""
    if not can_correct_interviews(actor.user) or interview.program_id != actor.user.program_id:
        raise ValidationError(_("Only a supervisor of her program corrects her interviews."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it is corrected.")})
    interview = GrantInterview.objects.select_for_update().select_related("patient__program").get(pk=interview.pk)
    fields = {"outcome": outcome, "dated_on": dated_on, "outside_window": outside_window}
    if version is not None:
        check_version(interview, seen=version, saving=fields, user=actor.user)
    _not_after_today(dated_on, "dated_on", "date")
    intake = None
    if interview.kind != InterviewKind.INTAKE:
        intake = GrantInterview.objects.filter(episode_id=interview.episode_id, kind=InterviewKind.INTAKE).first()
    else:
        earlier = GrantInterview.objects.filter(episode_id=interview.episode_id, dated_on__lt=dated_on)
        if earlier.exclude(pk=interview.pk).exists():
            raise ValidationError({"dated_on": _("Her other interviews come after the intake: pick an earlier day.")})
    _interview_rules(interview.patient, interview.kind, outcome, dated_on, outside_window, intake)
    if all(getattr(interview, name) == value for name, value in fields.items()):
        raise ValidationError(_("Nothing was changed: change the date, what happened or the window box."))
    for name, value in fields.items():
        setattr(interview, name, value)
    interview.corrected_by = actor.user
    interview.corrected_at = timezone.now()
    interview.correction_reason = reason
    interview.save(update_fields=[*fields, "corrected_by", "corrected_at", "correction_reason"])
    interview.refresh_from_db(fields=["version"])
    log_access(actor, AccessAction.CHANGE, patient=interview.patient, record=interview)
    return interview


def _interview_rules(
    patient: Patient,
    kind: str,
    outcome: str,
    dated_on: datetime.date,
    outside_window: bool,
    intake: GrantInterview | None,
) -> None:
    """The date and window rules of an interview, recorded or corrected (`intake`: her intake interview in the
    episode, None if not recorded)."""
    if kind == InterviewKind.INTAKE:
        if outcome != InterviewOutcome.DONE:
            raise ValidationError({"outcome": _("The intake interview is recorded once it is done.")})
    elif intake is None:
        raise ValidationError({"kind": _("Record her intake interview first: the others follow from it.")})
    elif dated_on < intake.dated_on:
        intake_day = date_format(intake.dated_on, _("M j, Y"))
        raise ValidationError(
            {"dated_on": _("Her intake interview was on %(day)s: pick that day or later.") % {"day": intake_day}}
        )
    if outside_window and not (kind == InterviewKind.FOLLOW_UP and outcome == InterviewOutcome.DONE):
        raise ValidationError({"outside_window": _("Only a follow-up interview that was done is outside its window.")})
    if kind == InterviewKind.FOLLOW_UP and outcome == InterviewOutcome.DONE and intake is not None:
        window = follow_up_window(patient.program, intake.dated_on)
        if window.holds(dated_on) == outside_window:
            if outside_window:
                message = _("Her window runs from %(opens)s to %(closes)s: this day is not outside it. Untick the box.")
            else:
                message = _(
                    "Her window runs from %(opens)s to %(closes)s: this day is not inside it. Tick the box if it was "
                    "done then."
                )
            days = {"opens": date_format(window.opens, _("M j, Y")), "closes": date_format(window.closes, _("M j, Y"))}
            raise ValidationError({"outside_window": message % days})
