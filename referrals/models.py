"""What clinical providers decide and do after a concern: referrals, CPS reports, what the patient is told,
and every disclosure of her information outside the program (42 CFR Part 2). Supervisors only."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from patients.models import SameProgram, no_delete

REDISCLOSURE_NOTICE = (
    "This information has been disclosed to you from records protected by federal confidentiality rules "
    "(42 CFR part 2). The federal rules prohibit you from making any further disclosure of information in this "
    "record that identifies a patient as having or having had a substance use disorder either directly, by "
    "reference to publicly available information, or through verification of such identification by another "
    "person unless further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general authorization for the "
    "release of medical or other information is NOT sufficient for this purpose (see 42 CFR 2.31). The federal "
    "rules restrict any use of the information to investigate or prosecute with regard to a crime any patient "
    "with a substance use disorder, except as provided at 42 CFR 2.12(c)(5) and 2.65."
)


class CareType(models.TextChoices):
    WITHDRAWAL = "withdrawal", "Withdrawal management"
    RESIDENTIAL = "residential", "Residential treatment"
    IOP = "iop", "Intensive outpatient"
    MOUD = "moud", "Change in medication for opioid use disorder"
    MENTAL_HEALTH = "mental_health", "Mental health"
    DV = "dv", "Domestic-violence advocacy or shelter"
    HOUSING = "housing", "Housing"
    OTHER = "other", "Other"


class ReferralStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined by the provider"
    PATIENT_DECLINED = "patient_declined", "Declined by the patient"
    COMPLETED = "completed", "Completed"


# Where a referral may go next. Nothing goes back: a completed referral never returns to planned.
NEXT_STATUSES: dict[str, set[str]] = {
    ReferralStatus.PLANNED: {ReferralStatus.SENT, ReferralStatus.PATIENT_DECLINED},
    ReferralStatus.SENT: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.PATIENT_DECLINED},
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED, ReferralStatus.PATIENT_DECLINED},
    ReferralStatus.DECLINED: set(),
    ReferralStatus.PATIENT_DECLINED: set(),
    ReferralStatus.COMPLETED: set(),
}


class ClinicalRecord(models.Model):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


@pghistory.track()
class Referral(ClinicalRecord):
    concerns = models.ManyToManyField("coaching.Concern", blank=True, related_name="referrals")
    care_type = models.CharField("level or kind of care", max_length=20, choices=CareType.choices)
    receiving_provider = models.CharField(max_length=200)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField("date")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.PLANNED)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["patient", "-referred_on"], name="referral_patient_date")]
        triggers = [no_delete, SameProgram("program", "patient", "decided_by", "made_by")]

    def __str__(self) -> str:
        return f"Referral to {self.receiving_provider} ({self.get_care_type_display()})"

    def allowed_next_statuses(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label in ReferralStatus.choices if value in NEXT_STATUSES[self.status]]


@pghistory.track()
class ReferralStatusChange(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="status_changes")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    changed_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_on", "recorded_at"]
        triggers = [no_delete]

    def __str__(self) -> str:
        return f"{self.get_status_display()} on {self.changed_on}"


@pghistory.track()
class CPSReport(ClinicalRecord):
    """A report to child protective services, made by clinical staff. A mandated report needs no consent."""

    concerns = models.ManyToManyField("coaching.Concern", blank=True, related_name="cps_reports")
    made_at = models.DateTimeField("date and time made")
    agency = models.CharField(max_length=200)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reference_number = models.CharField(max_length=100, blank=True)
    what_was_reported = models.TextField()
    follow_up = models.TextField(blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = "CPS report"
        triggers = [no_delete, SameProgram("program", "patient", "made_by")]

    def __str__(self) -> str:
        return f"CPS report to {self.agency}"


class CommunicationMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"


@pghistory.track()
class PatientCommunication(ClinicalRecord):
    """Who among the clinical staff told the patient what was decided, when, how, and how she responded."""

    concerns = models.ManyToManyField("coaching.Concern", blank=True, related_name="communications")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField("when")
    method = models.CharField("how", max_length=16, choices=CommunicationMethod.choices)
    what_was_said = models.TextField()
    response = models.TextField("how she responded", blank=True)

    class Meta:
        ordering = ["-told_at", "-id"]
        triggers = [no_delete, SameProgram("program", "patient", "told_by", "referral")]

    def __str__(self) -> str:
        return f"Told her ({self.get_method_display().lower()})"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Her written consent"
    EMERGENCY = "emergency", "Medical emergency"
    MANDATED_REPORT = "mandated_report", "Mandated report of child abuse or neglect"


@pghistory.track()
class Disclosure(ClinicalRecord):
    """Her information leaving the program: the accounting of disclosures is made of these rows."""

    disclosed_on = models.DateField()
    recipient = models.CharField(max_length=200)
    recipient_person = models.CharField("who received it", max_length=200, blank=True)
    information = models.TextField("what was disclosed")
    purpose = models.CharField(max_length=300)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    consent = models.ForeignKey("patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    emergency_nature = models.TextField("nature of the emergency", blank=True)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures")
    cps_report = models.OneToOneField(
        CPSReport, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )

    class Meta:
        ordering = ["-disclosed_on", "-id"]
        indexes = [models.Index(fields=["patient", "-disclosed_on"], name="disclosure_patient_date")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.CONSENT) | Q(consent__isnull=False),
                name="disclosure_on_consent_names_it",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.EMERGENCY) | ~Q(emergency_nature=""),
                name="disclosure_in_emergency_says_why",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.MANDATED_REPORT) | Q(cps_report__isnull=False),
                name="disclosure_mandated_is_a_cps_report",
            ),
        ]
        triggers = [no_delete, SameProgram("program", "patient", "disclosed_by", "referral", "cps_report")]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient} on {self.disclosed_on}"
