"""What clinical providers decide and do after a concern: referrals, CPS reports, what the patient is told,
and every disclosure of her information outside the program (42 CFR Part 2). Supervisors only."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils.formats import date_format

from patients.models import Consent, SameProgram, no_delete
from recovery_program.versioning import VersionField, bump_version

# The statement that must accompany a disclosure (42 CFR 2.32(a)(1), "Statement 1", as the 2024 final rule words
# it; in force since February 16, 2026). Printed with every disclosure, with the consent's scope or the legal basis.
REDISCLOSURE_NOTICE = (
    "This record which has been disclosed to you is protected by Federal confidentiality rules (42 CFR part 2). "
    "These rules prohibit you from using or disclosing this record, or testimony that describes the information "
    "contained in this record, in any civil, criminal, administrative, or legislative proceedings by any Federal, "
    "State, or local authority, against the patient, unless authorized by the consent of the patient, except as "
    "provided at 42 CFR 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, "
    "the Federal rules prohibit you from making any other use or disclosure of this record unless at least one of "
    "the following applies: (1) Further use or disclosure is expressly permitted by the written consent of the "
    "individual whose information is being disclosed in this record or as otherwise permitted by 42 CFR part 2. "
    "(2) You are a covered entity or business associate and have received the record for treatment, payment, or "
    "health care operations, or (3) You have received the record from a covered entity or business associate as "
    "permitted by 45 CFR part 164, subparts A and E. A general authorization for the release of medical or other "
    "information is NOT sufficient to meet the required elements of written consent to further use or redisclose "
    "the record (see 42 CFR 2.31)."
)
# Its abbreviated form (42 CFR 2.32(a)(2), "Statement 2"), where space is short: the head of each printed page.
REDISCLOSURE_NOTICE_SHORT = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."

ONLY_IN_AN_EMERGENCY = (
    "Without a current consent for this recipient, nothing may be sent except in a medical emergency."
)
NO_CURRENT_CONSENT = (
    "She has no current consent to share her information. Nothing may be sent without one, except in a medical "
    "emergency."
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
    CLOSED = "closed", "Closed at her discharge"


# Still to be done: what a supervisor closes or carries when she discharges the woman.
OPEN_REFERRAL_STATUSES = (ReferralStatus.PLANNED, ReferralStatus.SENT, ReferralStatus.ACCEPTED)

# Where a referral may go next. Nothing goes back: a completed referral never returns to planned.
NEXT_STATUSES: dict[str, set[str]] = {
    ReferralStatus.PLANNED: {ReferralStatus.SENT, ReferralStatus.PATIENT_DECLINED, ReferralStatus.CLOSED},
    ReferralStatus.SENT: {
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.PATIENT_DECLINED,
        ReferralStatus.CLOSED,
    },
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED, ReferralStatus.PATIENT_DECLINED, ReferralStatus.CLOSED},
    ReferralStatus.DECLINED: set(),
    ReferralStatus.PATIENT_DECLINED: set(),
    ReferralStatus.COMPLETED: set(),
    ReferralStatus.CLOSED: set(),
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
    concerns = models.ManyToManyField(
        "coaching.Concern", blank=True, related_name="referrals", through="ReferralConcern"
    )
    care_type = models.CharField("level or kind of care", max_length=20, choices=CareType.choices)
    receiving_provider = models.CharField(max_length=200)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField("date")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.PLANNED)
    outcome = models.TextField(blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["patient", "-referred_on"], name="referral_patient_date")]
        triggers = [no_delete, SameProgram("program", "patient", "decided_by", "made_by"), bump_version]

    def __str__(self) -> str:
        return f"Referral to {self.receiving_provider} ({self.get_care_type_display()})"

    def allowed_next_statuses(self) -> list[tuple[str, str]]:
        # Closing at her discharge is done by the discharge itself, never offered on the referral's own form.
        return [
            (value, label)
            for value, label in ReferralStatus.choices
            if value in NEXT_STATUSES[self.status] and value != ReferralStatus.CLOSED
        ]


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

    concerns = models.ManyToManyField(
        "coaching.Concern", blank=True, related_name="cps_reports", through="CPSReportConcern"
    )
    made_at = models.DateTimeField("date and time made")
    agency = models.CharField(max_length=200)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reference_number = models.CharField(max_length=100, blank=True)
    what_was_reported = models.TextField()
    follow_up = models.TextField(blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = "CPS report"
        triggers = [no_delete, SameProgram("program", "patient", "made_by"), bump_version]

    def __str__(self) -> str:
        return f"CPS report to {self.agency}"


# A record's links to the concerns it answers. A correction that unlinks a concern deletes the link row, and the
# history keeps it: who linked and unlinked it, and when. Each keeps the table Django made for the plain
# many-to-many field (`db_table`, `unique_together`), so the links made before survive.


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ReferralConcern(models.Model):
    referral = models.ForeignKey("Referral", on_delete=models.PROTECT)
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_referral_concerns"
        unique_together = [("referral", "concern")]

    def __str__(self) -> str:
        return f"Referral {self.referral_id} answers concern {self.concern_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class CPSReportConcern(models.Model):
    cpsreport = models.ForeignKey("CPSReport", on_delete=models.PROTECT)
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_cpsreport_concerns"
        unique_together = [("cpsreport", "concern")]

    def __str__(self) -> str:
        return f"CPS report {self.cpsreport_id} answers concern {self.concern_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class PatientCommunicationConcern(models.Model):
    patientcommunication = models.ForeignKey("PatientCommunication", on_delete=models.PROTECT)
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_patientcommunication_concerns"
        unique_together = [("patientcommunication", "concern")]

    def __str__(self) -> str:
        return f"Communication {self.patientcommunication_id} answers concern {self.concern_id}"


class CommunicationMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"


@pghistory.track()
class PatientCommunication(ClinicalRecord):
    """Who among the clinical staff told the patient what was decided, when, how, and how she responded."""

    concerns = models.ManyToManyField(
        "coaching.Concern", blank=True, related_name="communications", through="PatientCommunicationConcern"
    )
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField("when")
    method = models.CharField("how", max_length=16, choices=CommunicationMethod.choices)
    what_was_said = models.TextField()
    response = models.TextField("how she responded", blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-told_at", "-id"]
        triggers = [no_delete, SameProgram("program", "patient", "told_by", "referral"), bump_version]

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
                condition=~Q(legal_basis=LegalBasis.EMERGENCY)
                | Q(
                    GreaterThan(Length(Trim("emergency_nature")), 0),
                    GreaterThan(Length(Trim("recipient_person")), 0),
                ),
                name="disclosure_in_emergency_says_why_and_who",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.MANDATED_REPORT) | Q(cps_report__isnull=False),
                name="disclosure_mandated_is_a_cps_report",
            ),
        ]
        # Also in the database: a composite foreign key (consent_id, patient_id) to the consent's (id, patient_id),
        # so that a disclosure never names another patient's consent (migration disclosure_consent_is_the_patients).
        triggers = [no_delete, SameProgram("program", "patient", "disclosed_by", "referral", "cps_report")]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient} on {self.disclosed_on}"

    def check_legal_basis(self) -> None:
        """The 42 CFR Part 2 rule, which every service that records a disclosure applies (and forms, to show the
        message next to its field): on her written consent, a consent of hers that covers this recipient on the day
        (`Consent.covers`); in a medical emergency, what the emergency was and who received her information; a
        mandated report, only as a CPS report. Raises ValidationError keyed by field."""
        errors = {}
        if self.legal_basis == LegalBasis.CONSENT:
            errors = self._consent_errors()
        elif self.legal_basis == LegalBasis.EMERGENCY:
            if not self.emergency_nature.strip():
                errors["emergency_nature"] = "Describe the medical emergency."
            if not self.recipient_person.strip():
                errors["recipient_person"] = "Say who received her information."
        elif self.legal_basis == LegalBasis.MANDATED_REPORT and self.cps_report_id is None:
            errors["legal_basis"] = "A mandated report is recorded as a CPS report."
        if errors:
            raise ValidationError(errors)

    def _consent_errors(self) -> dict[str, str]:
        consent, on = self.consent, self.disclosed_on
        if consent is None:
            if not Consent.objects.filter(patient_id=self.patient_id).current(on).exists():
                return {"legal_basis": NO_CURRENT_CONSENT}
            return {"consent": "Choose the consent that covers this recipient."}
        if consent.patient_id != self.patient_id:
            return {"consent": "This consent is another patient's. Choose one of hers."}
        if not consent.is_current(on):
            return {"consent": f"{consent.why_not_current(on)} {ONLY_IN_AN_EMERGENCY}"}
        if not consent.covers(self.recipient, on):
            return {"consent": f"This consent covers {consent.recipient}, not {self.recipient}. {ONLY_IN_AN_EMERGENCY}"}
        return {}

    @property
    def basis_statement(self) -> str:
        """What allowed it, in words printed with it: the consent's scope, or the legal basis without one."""
        if self.legal_basis == LegalBasis.CONSENT:
            consent = self.consent
            return (
                f"Disclosed on her written consent signed {date_format(consent.signed_on, 'M j, Y')}, to "
                f"{consent.recipient}, for: {consent.purpose}. It allows sharing: {consent.information_scope}. "
                f"It ends {consent.ends}."
            )
        if self.legal_basis == LegalBasis.EMERGENCY:
            return (
                "Disclosed without her consent in a medical emergency (42 CFR 2.51): "
                f"{self.emergency_nature.rstrip('.')}. Received by {self.recipient_person}."
            )
        return (
            "Disclosed without her consent in a report of suspected child abuse or neglect that state law requires "
            "(42 CFR 2.12(c)(6))."
        )
