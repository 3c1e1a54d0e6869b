"""Who may see and record referrals, CPS reports, patient communications and disclosures.

Supervisors (clinical staff) of the patient's program only. Coaches, admins and
supervisors of other programs see none of it: every URL is a 404 for them, as
if the record did not exist, and no page of theirs is given any of it. One
exception: a coach records a disclosure she made in person about a woman she
may see (`get_patient_for_in_person`); she never reads the accounting.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from coaching.models import Concern
from coaching.permissions import concerns_visible_to
from patients import permissions as patient_permissions
from patients.models import Child, Consent, ConsentScope, Patient
from referrals.models import CPSReport, PatientCommunication, Referral, ServiceAgreement
from staff.models import User

Record = TypeVar("Record", Referral, CPSReport, PatientCommunication)


def records_visible_to(user: User, model: type[Record]) -> QuerySet[Record]:
    """Rows of `model` in her own program, if she holds its view permission (supervisors); otherwise none."""
    if not user.is_active or not user.has_perm(f"referrals.view_{model._meta.model_name}"):
        return model.objects.none()
    return model.objects.filter(program_id=user.program_id)


def get_record_for_user(user: User, model: type[Record], pk: int) -> Record:
    try:
        return records_visible_to(user, model).select_related("patient").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def get_record_for_change(user: User, model: type[Record], pk: int) -> Record:
    """Only those who may change it get it at all: for anyone else it does not exist."""
    if not user.has_perm(f"referrals.change_{model._meta.model_name}"):
        raise Http404("Not found.")
    return get_record_for_user(user, model, pk)


def get_patient_for_recording(user: User, model: type[Model], pk: int) -> Patient:
    """The patient, if she may record `model` about her (a supervisor of her program); 404 otherwise."""
    if not user.has_perm(f"referrals.add_{model._meta.model_name}"):
        raise Http404("Not found.")
    return patient_permissions.get_patient_for_user(user, pk)


def sees_clinical_actions(user: User) -> bool:
    return user.has_perm("referrals.view_referral")


def clinical_staff_of(user: User) -> QuerySet[User]:
    """Who may decide, make or tell: the active supervisors of her program."""
    return patient_permissions.clinical_providers_for(user)


def concerns_of(user: User, patient: Patient) -> QuerySet[Concern]:
    """Concerns about this patient that a record may answer."""
    return concerns_visible_to(user).filter(patient=patient)


def children_of(user: User, patient: Patient) -> QuerySet[Child]:
    """Her children a CPS report may concern: for those who record CPS reports about her (supervisors)."""
    if not user.has_perm("referrals.add_cpsreport"):
        return Child.objects.none()
    return Child.objects.filter(program_id=user.program_id, patient=patient)


def current_consents(user: User, patient: Patient) -> QuerySet[Consent]:
    return patient_permissions.consents_visible_to(user, patient).current()


def records_for_concern(user: User, concern: Concern) -> dict[str, list] | None:
    """What supervisors recorded in answer to a concern: its outcome. None for anyone who may not see it."""
    if not sees_clinical_actions(user):
        return None
    return {
        "referrals": list(records_visible_to(user, Referral).filter(concerns=concern)),
        "cps_reports": list(records_visible_to(user, CPSReport).filter(concerns=concern)),
        "communications": list(records_visible_to(user, PatientCommunication).filter(concerns=concern)),
    }


def clinical_actions_counts(user: User, patient: Patient) -> dict[str, int] | None:
    """For the patient page: how many of each record, for supervisors only."""
    if not sees_clinical_actions(user):
        return None
    return {
        "referrals": records_visible_to(user, Referral).filter(patient=patient).count(),
        "cps_reports": records_visible_to(user, CPSReport).filter(patient=patient).count(),
        "communications": records_visible_to(user, PatientCommunication).filter(patient=patient).count(),
    }


def can_record_in_person(user: User, patient: Patient) -> bool:
    """A coach records what she told someone about a woman she may see (her caseload, or one she covers)."""
    return (
        user.is_active
        and user.has_perm("referrals.record_in_person_disclosure")
        and patient_permissions.patients_visible_to(user).filter(pk=patient.pk).exists()
    )


def get_patient_for_in_person(user: User, pk: int) -> Patient:
    """The woman about whom she may record a disclosure made in person; 404 otherwise."""
    if not user.has_perm("referrals.record_in_person_disclosure"):
        raise Http404("Not found.")
    return patient_permissions.get_patient_for_user(user, pk)


def in_person_consents(user: User, patient: Patient) -> QuerySet[Consent]:
    """Her current consents that name a recipient: the ones a coach may have told someone on (what her summary
    shows her). A consent to treatment, payment and operations is for the clinical staff to use."""
    return patient_permissions.consent_summary_for(user, patient).filter(scope=ConsentScope.NAMED)


def can_see_agreements(user: User) -> bool:
    """Supervisors keep and read the program's qualified service organization agreements."""
    return user.is_active and user.has_perm("referrals.view_serviceagreement")


def can_add_agreements(user: User) -> bool:
    return can_see_agreements(user) and user.has_perm("referrals.add_serviceagreement")


def agreements_visible_to(user: User) -> QuerySet[ServiceAgreement]:
    """Her program's agreements, for its supervisors; none for anyone else."""
    if not can_see_agreements(user):
        return ServiceAgreement.objects.none()
    return ServiceAgreement.objects.filter(program_id=user.program_id)


def get_agreement_for_user(user: User, pk: int) -> ServiceAgreement:
    try:
        return agreements_visible_to(user).get(pk=pk)
    except (ServiceAgreement.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None
