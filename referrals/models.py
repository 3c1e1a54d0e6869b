"""What clinical providers decide and do after a concern: referrals, CPS reports, what the patient is told,
and every disclosure of her information outside the program (42 CFR Part 2). Supervisors only."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from patients.models import Consent, ProgramFromParent, SameProgram, TPOPurpose, no_delete, recipient_key
from recovery_program.storage import private_storage
from recovery_program.uploads import DOCUMENT_HELP
from recovery_program.versioning import VersionField, bump_version

# The statement that must accompany a disclosure (42 CFR 2.32(a)(1), "Statement 1", as the 2024 final rule words
# it; in force since February 16, 2026). Printed with every disclosure, with the consent's scope or the legal basis.
# Always in the rule's English words; a reader of another language also reads it in hers (`notices()`), above them.
REDISCLOSURE_NOTICE = gettext_noop(
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
REDISCLOSURE_NOTICE_SHORT = gettext_noop("42 CFR part 2 prohibits unauthorized use or disclosure of these records.")


def notices() -> dict[str, str]:
    """The notice for a printed disclosure: the rule's English words, and the same in the reader's language when
    hers is another (empty otherwise)."""
    read, read_short = _(REDISCLOSURE_NOTICE), _(REDISCLOSURE_NOTICE_SHORT)
    return {
        "notice": REDISCLOSURE_NOTICE,
        "notice_short": REDISCLOSURE_NOTICE_SHORT,
        "notice_read": read if read != REDISCLOSURE_NOTICE else "",
        "notice_short_read": read_short if read_short != REDISCLOSURE_NOTICE_SHORT else "",
    }


ONLY_IN_AN_EMERGENCY = gettext_lazy(
    "Without a current consent for this recipient, nothing may be sent except in a medical emergency."
)
IN_PERSON_ONLY = gettext_lazy(
    "What you tell someone in person rests on her consent that names them, or on a medical emergency. For anything "
    "else, ask your supervisor."
)
NO_CURRENT_CONSENT = gettext_lazy(
    "She has no current consent to share her information. Nothing may be sent without one, except in a medical "
    "emergency."
)


class CareType(models.TextChoices):
    WITHDRAWAL = "withdrawal", gettext_lazy("Withdrawal management")
    RESIDENTIAL = "residential", gettext_lazy("Residential treatment")
    IOP = "iop", gettext_lazy("Intensive outpatient")
    MOUD = "moud", gettext_lazy("Change in medication for opioid use disorder")
    MENTAL_HEALTH = "mental_health", gettext_lazy("Mental health")
    DV = "dv", gettext_lazy("Domestic-violence advocacy or shelter")
    HOUSING = "housing", gettext_lazy("Housing")
    OTHER = "other", gettext_lazy("Other")


class ReferralStatus(models.TextChoices):
    PLANNED = "planned", gettext_lazy("Planned")
    SENT = "sent", gettext_lazy("Sent")
    ACCEPTED = "accepted", gettext_lazy("Accepted")
    DECLINED = "declined", gettext_lazy("Declined by the provider")
    PATIENT_DECLINED = "patient_declined", gettext_lazy("Declined by the patient")
    COMPLETED = "completed", gettext_lazy("Completed")
    CLOSED = "closed", gettext_lazy("Closed at her discharge")


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
    care_type = models.CharField(gettext_lazy("level or kind of care"), max_length=20, choices=CareType.choices)
    receiving_provider = models.CharField(max_length=200)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_on = models.DateField(gettext_lazy("date"))
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.PLANNED)
    outcome = models.TextField(blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["patient", "-referred_on"], name="referral_patient_date")]
        triggers = [no_delete, SameProgram("program", "patient", "decided_by", "made_by"), bump_version]

    def __str__(self) -> str:
        return _("Referral to %(provider)s (%(care_type)s)") % {
            "provider": self.receiving_provider,
            "care_type": self.get_care_type_display(),
        }

    def allowed_next_statuses(self) -> list[tuple[str, str]]:
        # Closing at her discharge is done by the discharge itself, never offered on the referral's own form.
        return [
            (value, label)
            for value, label in ReferralStatus.choices
            if value in NEXT_STATUSES[self.status] and value != ReferralStatus.CLOSED
        ]


@pghistory.track()
class ReferralStatusChange(ProgramFromParent):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="status_changes")
    program_from = "referral"
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    changed_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_on", "recorded_at"]
        triggers = [no_delete, SameProgram("program", "referral")]

    def __str__(self) -> str:
        return _("%(status)s on %(day)s") % {"status": self.get_status_display(), "day": self.changed_on}


@pghistory.track()
class CPSReport(ClinicalRecord):
    """A report to child protective services, made by clinical staff. A mandated report needs no consent."""

    concerns = models.ManyToManyField(
        "coaching.Concern", blank=True, related_name="cps_reports", through="CPSReportConcern"
    )
    children = models.ManyToManyField(
        "patients.Child", blank=True, related_name="cps_reports", through="CPSReportChild"
    )
    made_at = models.DateTimeField(gettext_lazy("date and time made"))
    agency = models.CharField(max_length=200)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reference_number = models.CharField(max_length=100, blank=True)
    what_was_reported = models.TextField()
    follow_up = models.TextField(blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = gettext_lazy("CPS report")
        triggers = [no_delete, SameProgram("program", "patient", "made_by"), bump_version]

    def __str__(self) -> str:
        return _("CPS report to %(agency)s") % {"agency": self.agency}


# A record's links to the concerns it answers. A correction that unlinks a concern deletes the link row, and the
# history keeps it: who linked and unlinked it, and when. Each keeps the table Django made for the plain
# many-to-many field (`db_table`, `unique_together`), so the links made before survive.


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class ReferralConcern(ProgramFromParent):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey("Referral", on_delete=models.PROTECT)
    program_from = "referral"
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_referral_concerns"
        unique_together = [("referral", "concern")]
        triggers = [SameProgram("program", "referral", "concern")]

    def __str__(self) -> str:
        return f"Referral {self.referral_id} answers concern {self.concern_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class CPSReportConcern(ProgramFromParent):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    cpsreport = models.ForeignKey("CPSReport", on_delete=models.PROTECT)
    program_from = "cpsreport"
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_cpsreport_concerns"
        unique_together = [("cpsreport", "concern")]
        triggers = [SameProgram("program", "cpsreport", "concern")]

    def __str__(self) -> str:
        return f"CPS report {self.cpsreport_id} answers concern {self.concern_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class CPSReportChild(models.Model):
    """A child a CPS report concerns. Unlinking one (a correction) deletes the link row; the history keeps it."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    cpsreport = models.ForeignKey("CPSReport", on_delete=models.PROTECT)
    child = models.ForeignKey("patients.Child", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cpsreport", "child"], name="cpsreportchild_once_per_report"),
        ]
        triggers = [SameProgram("program", "cpsreport", "child")]

    def __str__(self) -> str:
        return f"CPS report {self.cpsreport_id} concerns child {self.child_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class PatientCommunicationConcern(ProgramFromParent):
    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    patientcommunication = models.ForeignKey("PatientCommunication", on_delete=models.PROTECT)
    program_from = "patientcommunication"
    concern = models.ForeignKey("coaching.Concern", on_delete=models.PROTECT)

    class Meta:
        db_table = "referrals_patientcommunication_concerns"
        unique_together = [("patientcommunication", "concern")]
        triggers = [SameProgram("program", "patientcommunication", "concern")]

    def __str__(self) -> str:
        return f"Communication {self.patientcommunication_id} answers concern {self.concern_id}"


class CommunicationMethod(models.TextChoices):
    IN_PERSON = "in_person", gettext_lazy("In person")
    PHONE = "phone", gettext_lazy("Phone")
    LETTER = "letter", gettext_lazy("Letter")


@pghistory.track()
class PatientCommunication(ClinicalRecord):
    """Who among the clinical staff told the patient what was decided, when, how, and how she responded."""

    concerns = models.ManyToManyField(
        "coaching.Concern", blank=True, related_name="communications", through="PatientCommunicationConcern"
    )
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField(gettext_lazy("when"))
    method = models.CharField(gettext_lazy("how"), max_length=16, choices=CommunicationMethod.choices)
    what_was_said = models.TextField()
    response = models.TextField(gettext_lazy("how she responded"), blank=True)
    version = VersionField()

    class Meta:
        ordering = ["-told_at", "-id"]
        triggers = [no_delete, SameProgram("program", "patient", "told_by", "referral"), bump_version]

    def __str__(self) -> str:
        return _("Told her (%(method)s)") % {"method": self.get_method_display().lower()}


class LegalBasis(models.TextChoices):
    CONSENT = "consent", gettext_lazy("Her written consent")
    EMERGENCY = "emergency", gettext_lazy("Medical emergency")
    MANDATED_REPORT = "mandated_report", gettext_lazy("Mandated report of child abuse or neglect")
    COURT_ORDER = "court_order", gettext_lazy("Court order (42 CFR 2.61 to 2.64)")
    QSOA = "qsoa", gettext_lazy("Qualified service organization agreement")
    AUDIT = "audit", gettext_lazy("Audit or evaluation (42 CFR 2.53)")
    RESEARCH = "research", gettext_lazy("Research approved by an IRB (42 CFR 2.52)")


# What each basis needs, beyond the recipient and what was disclosed: held by `Disclosure.check_legal_basis` and by
# the table's CHECK constraints. A basis that needs nothing more than its own record (a CPS report) is left out.
BASIS_NEEDS = {
    LegalBasis.CONSENT: ("consent",),
    LegalBasis.EMERGENCY: ("emergency_nature", "recipient_person"),
    LegalBasis.COURT_ORDER: ("court_order_reference",),
    LegalBasis.QSOA: ("agreement",),
    LegalBasis.AUDIT: ("recipient_person",),
    LegalBasis.RESEARCH: ("irb_approval_reference",),
}

# The bases a coach may record a disclosure she made in person on: her consent that names the recipient, or an
# emergency. Court orders, agreements, audits and research are the clinical staff's.
IN_PERSON_BASES = (LegalBasis.CONSENT, LegalBasis.EMERGENCY)


def agreement_path(agreement: ServiceAgreement, filename: str) -> str:
    return f"agreements/{agreement.program_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ServiceAgreementQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date) -> ServiceAgreementQuerySet:
        return self.filter(Q(starts_on__lte=on), Q(ends_on__isnull=True) | Q(ends_on__gte=on))


@pghistory.track()
class ServiceAgreement(models.Model):
    """A qualified service organization agreement (QSOA, 42 CFR 2.11 and 2.12(c)(4)): an organization that serves
    the program (a lab, a billing service) and has agreed in writing to be bound by Part 2. The program's, on file
    with the signed agreement; a disclosure under it names it."""

    program = models.ForeignKey("staff.Program", on_delete=models.PROTECT, related_name="+")
    organization = models.CharField(
        gettext_lazy("organization"), max_length=200, help_text=gettext_lazy("As named on the agreement.")
    )
    services = models.CharField(gettext_lazy("what it does for the program"), max_length=300)
    starts_on = models.DateField(gettext_lazy("in force from"))
    ends_on = models.DateField(
        gettext_lazy("until"), null=True, blank=True, help_text=gettext_lazy("Leave blank if it has no end date.")
    )
    document = models.FileField(
        gettext_lazy("signed agreement"), upload_to=agreement_path, storage=private_storage, help_text=DOCUMENT_HELP
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ServiceAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "-starts_on", "id"]
        verbose_name = gettext_lazy("qualified service organization agreement")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="service_agreement_ends_after_it_starts",
            ),
            models.CheckConstraint(condition=~Q(document=""), name="service_agreement_document_on_file"),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("organization")), 0), name="service_agreement_names_organization"
            ),
        ]
        triggers = [no_delete, SameProgram("program", "recorded_by")]

    def __str__(self) -> str:
        return _("Agreement with %(organization)s") % {"organization": self.organization}

    def in_force_on(self, on: datetime.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)

    @property
    def dates(self) -> str:
        start = date_format(self.starts_on, _("M j, Y"))
        if self.ends_on is None:
            return _("from %(start)s, no end date") % {"start": start}
        return _("from %(start)s to %(end)s") % {"start": start, "end": date_format(self.ends_on, _("M j, Y"))}


def _filled(field: str) -> GreaterThan:
    return GreaterThan(Length(Trim(field)), 0)


@pghistory.track()
class Disclosure(ClinicalRecord):
    """Her information leaving the program: the accounting of disclosures is made of these rows."""

    disclosed_on = models.DateField()
    recipient = models.CharField(max_length=200)
    recipient_person = models.CharField(gettext_lazy("who received it"), max_length=200, blank=True)
    information = models.TextField(gettext_lazy("what was disclosed"))
    purpose = models.CharField(max_length=300)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    consent = models.ForeignKey("patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # On a consent to treatment, payment and operations: which of the three this disclosure was for.
    tpo_purpose = models.CharField(
        gettext_lazy("for"), max_length=12, choices=TPOPurpose.choices, blank=True, db_default=""
    )
    emergency_nature = models.TextField(gettext_lazy("nature of the emergency"), blank=True)
    court_order_reference = models.CharField(
        gettext_lazy("court order"),
        max_length=200,
        blank=True,
        db_default="",
        help_text=gettext_lazy("The court and the order's docket or reference number."),
    )
    agreement = models.ForeignKey(
        ServiceAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=gettext_lazy("qualified service organization agreement"),
    )
    irb_approval_reference = models.CharField(
        gettext_lazy("IRB approval"),
        max_length=200,
        blank=True,
        db_default="",
        help_text=gettext_lazy("The review board and its approval number."),
    )
    # Told in person by the one who recorded it (a coach at court, at the Family Resource Center).
    in_person = models.BooleanField(default=False, db_default=False)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures")
    cps_report = models.OneToOneField(
        CPSReport, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )

    class Meta:
        ordering = ["-disclosed_on", "-id"]
        indexes = [models.Index(fields=["patient", "-disclosed_on"], name="disclosure_patient_date")]
        permissions = [("record_in_person_disclosure", "Can record a disclosure she made in person")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.CONSENT) | Q(consent__isnull=False),
                name="disclosure_on_consent_names_it",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.EMERGENCY)
                | Q(_filled("emergency_nature"), _filled("recipient_person")),
                name="disclosure_in_emergency_says_why_and_who",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.MANDATED_REPORT) | Q(cps_report__isnull=False),
                name="disclosure_mandated_is_a_cps_report",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.COURT_ORDER) | Q(_filled("court_order_reference")),
                name="disclosure_court_order_names_it",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.QSOA) | Q(agreement__isnull=False),
                name="disclosure_qsoa_names_the_agreement",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.AUDIT) | Q(_filled("recipient_person")),
                name="disclosure_audit_says_who",
            ),
            models.CheckConstraint(
                condition=~Q(legal_basis=LegalBasis.RESEARCH) | Q(_filled("irb_approval_reference")),
                name="disclosure_research_names_irb_approval",
            ),
            models.CheckConstraint(
                condition=Q(legal_basis__in=LegalBasis.values), name="disclosure_legal_basis_is_known"
            ),
            models.CheckConstraint(
                condition=Q(tpo_purpose__in=["", *TPOPurpose.values]), name="disclosure_tpo_purpose_is_known"
            ),
            models.CheckConstraint(
                condition=~Q(in_person=True) | Q(legal_basis__in=IN_PERSON_BASES),
                name="disclosure_in_person_on_consent_or_emergency",
            ),
        ]
        # Also in the database: a composite foreign key (consent_id, patient_id) to the consent's (id, patient_id),
        # so that a disclosure never names another patient's consent (migration disclosure_consent_is_the_patients).
        triggers = [
            no_delete,
            SameProgram("program", "patient", "disclosed_by", "referral", "cps_report", "agreement"),
        ]

    def __str__(self) -> str:
        return _("Disclosure to %(recipient)s on %(day)s") % {"recipient": self.recipient, "day": self.disclosed_on}

    def check_legal_basis(self) -> None:
        """The 42 CFR Part 2 rule, which every service that records a disclosure applies (and forms, to show the
        message next to its field): on her written consent, a consent of hers that covers this recipient on the day
        (`Consent.covers`; on a consent to treatment, payment and operations, which of the three); in a medical
        emergency, what the emergency was and who received her information; a mandated report, only as a CPS report;
        under a court order, its reference; under a qualified service organization agreement, the program's
        agreement with this recipient, in force that day; for an audit or evaluation, who carried it out; for
        research, the IRB's approval. One told in person (by a coach) rests on her consent that names this recipient,
        or on an emergency, and nothing else. Raises ValidationError keyed by field."""
        errors = {}
        if self.in_person and self.legal_basis not in IN_PERSON_BASES:
            errors["legal_basis"] = IN_PERSON_ONLY
        elif self.in_person and self.consent is not None and self.consent.is_tpo:
            errors["consent"] = _(
                "A consent to treatment, payment and operations is for the clinical staff to use. Choose the consent "
                "that names who you told."
            )
        elif self.legal_basis == LegalBasis.CONSENT:
            errors = self._consent_errors()
        elif self.legal_basis == LegalBasis.EMERGENCY:
            if not self.emergency_nature.strip():
                errors["emergency_nature"] = _("Describe the medical emergency.")
            if not self.recipient_person.strip():
                errors["recipient_person"] = _("Say who received her information.")
        elif self.legal_basis == LegalBasis.MANDATED_REPORT and self.cps_report_id is None:
            errors["legal_basis"] = _("A mandated report is recorded as a CPS report.")
        elif self.legal_basis == LegalBasis.COURT_ORDER and not self.court_order_reference.strip():
            errors["court_order_reference"] = _("Give the court order's reference: the court and its docket number.")
        elif self.legal_basis == LegalBasis.QSOA:
            errors = self._agreement_errors()
        elif self.legal_basis == LegalBasis.AUDIT and not self.recipient_person.strip():
            errors["recipient_person"] = _("Say who carried out the audit or evaluation.")
        elif self.legal_basis == LegalBasis.RESEARCH and not self.irb_approval_reference.strip():
            errors["irb_approval_reference"] = _("Give the IRB's approval reference: research needs one.")
        elif self.legal_basis not in LegalBasis.values:
            errors["legal_basis"] = _("Choose on what basis her information was disclosed.")
        if errors:
            raise ValidationError(errors)

    def _consent_errors(self) -> dict[str, str]:
        consent, on = self.consent, self.disclosed_on
        if consent is None:
            if not Consent.objects.filter(patient_id=self.patient_id).current(on).exists():
                return {"legal_basis": NO_CURRENT_CONSENT}
            return {"consent": _("Choose the consent that covers this recipient.")}
        if consent.patient_id != self.patient_id:
            return {"consent": _("This consent is another patient's. Choose one of hers.")}
        if not consent.is_current(on):
            return {"consent": f"{consent.why_not_current(on)} {ONLY_IN_AN_EMERGENCY}"}
        if not consent.covers(self.recipient, on):
            covers = _("This consent covers %(covered)s, not %(recipient)s.") % {
                "covered": consent.recipient,
                "recipient": self.recipient,
            }
            return {"consent": f"{covers} {ONLY_IN_AN_EMERGENCY}"}
        if consent.is_tpo and self.tpo_purpose not in TPOPurpose.values:
            return {"tpo_purpose": _("Say whether it was for her treatment, payment or health care operations.")}
        return {}

    def _agreement_errors(self) -> dict[str, str]:
        agreement, on = self.agreement, self.disclosed_on
        if agreement is None:
            return {"agreement": _("Choose the program's agreement with this organization.")}
        if agreement.program_id != self.program_id:
            return {"agreement": _("This agreement is another program's.")}
        if not agreement.in_force_on(on):
            return {
                "agreement": _("This agreement is in force %(dates)s, not on %(day)s.")
                % {"dates": agreement.dates, "day": date_format(on, _("M j, Y"))}
            }
        if recipient_key(agreement.organization) != recipient_key(self.recipient):
            return {
                "agreement": _("This agreement is with %(organization)s, not %(recipient)s.")
                % {"organization": agreement.organization, "recipient": self.recipient}
            }
        return {}

    @property
    def basis_statement(self) -> str:
        """What allowed it, in words printed with it: the consent's scope, or the legal basis without one."""
        basis = self.legal_basis
        if basis == LegalBasis.CONSENT:
            return self._consent_statement()
        if basis == LegalBasis.EMERGENCY:
            return _(
                "Disclosed without her consent in a medical emergency (42 CFR 2.51): %(nature)s. "
                "Received by %(person)s."
            ) % {"nature": self.emergency_nature.rstrip("."), "person": self.recipient_person}
        if basis == LegalBasis.COURT_ORDER:
            return _("Disclosed under a court order (42 CFR 2.61 to 2.64): %(reference)s.") % {
                "reference": self.court_order_reference.rstrip(".")
            }
        if basis == LegalBasis.QSOA:
            agreement = self.agreement
            return _(
                "Disclosed to a qualified service organization under its written agreement with the program "
                "(42 CFR 2.12(c)(4)): %(organization)s, %(services)s, in force %(dates)s."
            ) % {"organization": agreement.organization, "services": agreement.services, "dates": agreement.dates}
        if basis == LegalBasis.AUDIT:
            return _("Disclosed for an audit or evaluation (42 CFR 2.53), carried out by %(person)s.") % {
                "person": self.recipient_person
            }
        if basis == LegalBasis.RESEARCH:
            return _("Disclosed for research (42 CFR 2.52), approved by: %(approval)s.") % {
                "approval": self.irb_approval_reference.rstrip(".")
            }
        return _(
            "Disclosed without her consent in a report of suspected child abuse or neglect that state law requires "
            "(42 CFR 2.12(c)(6))."
        )

    def _consent_statement(self) -> str:
        consent = self.consent
        signed = date_format(consent.signed_on, _("M j, Y"))
        if consent.is_tpo:
            return _(
                "Disclosed for her %(purpose)s on her single written consent to uses and disclosures for treatment, "
                "payment and health care operations (42 CFR 2.33(b)), signed %(signed)s, to %(recipient)s. It allows "
                "sharing: %(scope)s. It ends %(ends)s."
            ) % {
                "purpose": self.get_tpo_purpose_display().lower(),
                "signed": signed,
                "recipient": consent.recipient,
                "scope": consent.information_scope,
                "ends": consent.ends,
            }
        return _(
            "Disclosed on her written consent signed %(signed)s, to %(recipient)s, for: %(purpose)s. It allows "
            "sharing: %(scope)s. It ends %(ends)s."
        ) % {
            "signed": signed,
            "recipient": consent.recipient,
            "purpose": consent.purpose,
            "scope": consent.information_scope,
            "ends": consent.ends,
        }
