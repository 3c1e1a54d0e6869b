"""Invented demo data. Idempotent: running it again changes nothing.

Every name, phone number and e-mail address here is made up (phone numbers are
in the 555-01xx range kept for fiction).
"""

from __future__ import annotations

import datetime
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from coaching import services as coaching_services
from coaching.models import Concern, ConcernCategory, Encounter, EncounterKind, Resource, SafetyPlan, Urgency
from patients import services as patient_services
from patients.interviews import add_months
from patients.models import (
    DISCHARGE_STATUSES,
    Child,
    CoachAssignment,
    Consent,
    ConsentScope,
    CPSInvolvement,
    Custody,
    GrantInterview,
    InterviewKind,
    InterviewOutcome,
    Patient,
    Pregnancy,
    ProgramStatus,
)
from recovery_program.audit import Actor
from recovery_program.models import Export, ExportFormat, ExportKind
from referrals import services as referral_services
from referrals.models import CPSReport, Referral, ServiceAgreement
from staff import services as staff_services
from staff.models import Program, TrainingKind, TrainingRecord, User
from staff.roles import Role
from staff.services import user_set_role
from staff.training import default_expiry
from supervision import services as supervision_services
from supervision.models import (
    ActionItem,
    AgendaItem,
    AgendaKind,
    BoundaryTopic,
    DualRelationship,
    DualRelationshipKind,
    OnCallShift,
    SupervisionAssignment,
    SupervisionSession,
    UnavailableReason,
)
from supervision.services import supervision_assign
from workspace import services as workspace_services
from workspace.demo_barc10 import seed_barc10
from workspace.demo_goals import seed_recovery_plans
from workspace.demo_week import seed_week

DEMO_PASSWORD = "recovery-demo-2026"  # noqa: S105 (invented demo accounts; the README publishes it)
DEMO_PROGRAM = "Riverbend Family Recovery Program"

DEMO_STAFF = [
    # username, first name, last name, phone, role
    ("coach1", "Jolene", "Marsh", "603-555-0141", Role.COACH),
    ("coach2", "Tasha", "Greer", "603-555-0142", Role.COACH),
    ("coach3", "Dee", "Harlow", "603-555-0143", Role.COACH),
    ("supervisor1", "Ruth", "Okonkwo", "603-555-0151", Role.SUPERVISOR),
    ("supervisor2", "Elena", "Brandt", "603-555-0152", Role.SUPERVISOR),
    # The program's group therapist: the supervisor role for her patients, no coaches and no on-call shifts.
    ("clinician1", "Noor", "Ashdown", "603-555-0153", Role.SUPERVISOR),
    ("admin1", "Pat", "Lindqvist", "603-555-0161", Role.ADMIN),
]


# legal name, preferred name, age, coach, weeks until due (None if not pregnant), weeks since delivery,
# children (first name, years old, lives with her), status, OK to text, OK to leave a message, safe-contact notes
DEMO_PATIENTS = [
    (
        "Kayla Renee Dubois",
        "Kay",
        24,
        "coach1",
        10,
        None,
        [("Mason", 3, True)],
        ProgramStatus.ACTIVE,
        True,
        False,
        "Text first. Her partner sometimes answers the phone: say you are calling from the clinic.",
    ),
    (
        "Brianna Lee Santos",
        "",
        29,
        "coach1",
        None,
        6,
        [("Ava", 0, True), ("Liam", 5, False)],
        ProgramStatus.ACTIVE,
        True,
        True,
        "Best after 3 pm, when the baby naps.",
    ),
    (
        "Ashley Marie Pelletier",
        "Ash",
        31,
        "coach1",
        None,
        70,
        [("Noah", 1, True)],
        ProgramStatus.ACTIVE,
        False,
        False,
        "Only call the clinic phone number she gave; do not text.",
    ),
    ("Jessica Ann Thibodeau", "Jess", 27, "coach1", 3, None, [], ProgramStatus.ACTIVE, True, True, ""),
    (
        "Samantha Rose Gagnon",
        "Sam",
        33,
        "coach1",
        None,
        30,
        [("Ella", 0, True), ("Owen", 7, True)],
        ProgramStatus.DISCONNECTED,
        True,
        False,
        "Missed the last two groups. Her sister Dee can reach her.",
    ),
    ("Megan Elise Fortier", "", 22, "coach1", 24, None, [], ProgramStatus.ACTIVE, True, True, ""),
    (
        "Tiffany Dawn Lavoie",
        "Tiff",
        35,
        "coach2",
        None,
        None,
        [("Jayden", 4, False)],
        ProgramStatus.ACTIVE,
        False,
        True,
        "Lives at the recovery house; ask for her by first name only.",
    ),
    ("Courtney Lynn Bouchard", "", 26, "coach2", 16, None, [("Harper", 2, True)], ProgramStatus.ACTIVE, True, True, ""),
    (
        "Danielle Marie Cote",
        "Dani",
        30,
        "coach2",
        None,
        2,
        [("Lucas", 0, True)],
        ProgramStatus.ACTIVE,
        True,
        False,
        "Shared phone with her mother. No voice messages.",
    ),
    (
        "Amber Nicole Roy",
        "",
        28,
        "coach2",
        None,
        90,
        [("Sophia", 1, True), ("Ethan", 9, False)],
        ProgramStatus.ACTIVE,
        True,
        True,
        "",
    ),
    ("Heather Jean Morin", "", 37, "coach2", None, None, [("Chloe", 8, True)], ProgramStatus.GRADUATED, True, True, ""),
    (
        "Crystal Ann Poulin",
        "Crys",
        25,
        "coach2",
        30,
        None,
        [],
        ProgramStatus.ACTIVE,
        False,
        False,
        "Reach her through her counselor at the methadone clinic.",
    ),
]
DEMO_PATIENTS.append(
    (
        "Nicole Marie Ouellette",
        "Nikki",
        32,
        "coach2",
        None,
        40,
        [("Mia", 1, True)],
        ProgramStatus.DISCHARGED,
        True,
        True,
        "",
    )
)
# Brianna first had coach2, then moved to coach1: one reassignment in the history.
REASSIGNED = "Brianna Lee Santos"
# Tiffany went to residential treatment ten days ago; she stays on coach2's caseload.
IN_RESIDENTIAL = "Tiffany Dawn Lavoie"
# Courtney met coach1 with coach2 at a warm handoff yesterday, and was transferred to coach1 today.
TRANSFERRED = "Courtney Lynn Bouchard"


# A woman's own note at the weekly group: invented, and in her record only.
OWN_NOTES = [
    "Quiet at first; said nights are the hardest time. Wants the list of evening meetings.",
    "Shared her thirty days. Asked for help with the ride to her next prenatal visit.",
]


class Command(BaseCommand):
    help = "Create the demo program and staff (all invented). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any staff account exists.")

    @transaction.atomic
    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has staff accounts: no demo data added.")
            return
        program, _ = Program.objects.get_or_create(name=DEMO_PROGRAM, defaults={"on_call_line": "603-555-0110"})
        for username, first_name, last_name, phone, role in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@riverbend.example.org",
                    "phone": phone,
                    "program": program,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                user_set_role(actor=None, user=user, role=role)
        staff_services.program_setup(program=program)
        with timezone.override(program.zone):  # "today" and the times of the demo are the program's
            self._seed_supervision_and_training(program)
            self._seed_rota(program)
            self._seed_patients(program)
            self._seed_coaching(program)
            self._seed_transfer(program)
            self._seed_safety_plans(program)
            seed_recovery_plans(program)
            seed_barc10(program)
            self._seed_clinical_actions(program)
            self._seed_family(program)
            self._seed_clinician(program)
            self._seed_disclosure_bases(program)
            self._seed_sessions(program)
            self._seed_report_history(program)
            self._seed_coach_care(program)
            self._seed_exports(program)
            seed_week(program)
            self._seed_interviews(program)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo account's password is {DEMO_PASSWORD!r}."))
        for username, *_rest, role in DEMO_STAFF:
            self.stdout.write(f"  {username:<12} {role.label}")

    def _seed_interviews(self, program: Program) -> None:
        """The grant's interviews, so that the patient pages and the due lists show each status: intake done at
        enrollment for every woman but the newest; follow-ups done, declined or not reached; others not yet due,
        overdue or missed by their dates alone; the discharged woman's discharge interview still due."""
        if GrantInterview.objects.filter(program=program).exists():
            return
        today = timezone.localdate()
        supervisor = Actor(User.objects.get(username="supervisor1"), None)
        follow_ups = {
            4: (InterviewOutcome.DONE, 6),  # (what happened, months after intake)
            7: (InterviewOutcome.DONE, 5),
            9: (InterviewOutcome.DECLINED, 5),
            10: (InterviewOutcome.UNREACHABLE, 7),
        }
        for index, row in enumerate(DEMO_PATIENTS):
            patient = Patient.objects.get(enrollment_token=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-patient/{row[0]}"))
            if index == len(DEMO_PATIENTS) - 1:
                continue  # enrolled last week: her intake interview is not recorded yet
            record = {"actor": supervisor, "patient": patient}
            intake = patient.episodes.order_by("started_on").first()
            intake_on = intake.started_on if intake else patient.enrollment_date
            patient_services.grant_interview_record(
                **record, kind=InterviewKind.INTAKE, outcome=InterviewOutcome.DONE, dated_on=intake_on
            )
            if index in follow_ups:
                outcome, months = follow_ups[index]
                dated_on = min(add_months(intake_on, months) + datetime.timedelta(days=3), today)
                interview = patient_services.grant_interview_record(
                    **record, kind=InterviewKind.FOLLOW_UP, outcome=outcome, dated_on=dated_on
                )
                if index == 4:  # typed a day late, and corrected by her supervisor
                    patient_services.grant_interview_correct(
                        actor=supervisor,
                        interview=interview,
                        outcome=outcome,
                        dated_on=dated_on - datetime.timedelta(days=1),
                        outside_window=False,
                        reason="The coach typed the day after; her notes say the day before.",
                    )

    def _seed_rota(self, program: Program) -> None:
        """After-hours cover for this week and next: weeknights 5 pm to 9 am, Friday evening to Monday morning."""
        if OnCallShift.live.filter(program=program).exists():
            return
        staff = {user.username: user for user in User.objects.filter(program=program)}
        pair = [staff["supervisor1"], staff["supervisor2"]]
        actor = Actor(staff["admin1"], None)
        zone = program.zone
        today = timezone.localdate()
        day = today - datetime.timedelta(days=today.weekday() + 3)  # the Friday before this week
        turn = 0
        while day < today + datetime.timedelta(days=14):
            if day.weekday() >= 5:
                day += datetime.timedelta(days=1)
                continue
            ends_on = day + datetime.timedelta(days=3 if day.weekday() == 4 else 1)
            supervision_services.shift_add(
                actor=actor,
                starts_at=datetime.datetime.combine(day, program.office_closes, tzinfo=zone),
                ends_at=datetime.datetime.combine(ends_on, program.office_opens, tzinfo=zone),
                primary=pair[turn % 2],
                backup=pair[(turn + 1) % 2],
            )
            turn += 1
            day += datetime.timedelta(days=1)
        # supervisor2 is away in three days (her hours show as needing cover), and supervisor1 covers the first four
        # hours of supervisor2's shift a week on.
        supervision_services.unavailability_add(
            actor=Actor(staff["supervisor2"], None),
            starts_on=today + datetime.timedelta(days=3),
            ends_on=today + datetime.timedelta(days=3),
            reason=UnavailableReason.LEAVE,
        )
        later = OnCallShift.live.filter(
            program=program, primary=staff["supervisor2"], starts_at__gte=timezone.now() + datetime.timedelta(days=7)
        ).first()
        if later is not None:
            supervision_services.cover_add(
                actor=Actor(staff["supervisor1"], None),
                shift=later,
                starts_at=later.starts_at,
                ends_at=later.starts_at + datetime.timedelta(hours=4),
                substitute=staff["supervisor1"],
            )

    def _seed_sessions(self, program: Program) -> None:
        """Eleven weeks of weekly supervision: coach1 missed two, coach2 one; an open action item and a boundary
        question on coach1's agenda."""
        if SupervisionSession.objects.filter(coach__program=program).exists():
            return
        staff = {user.username: user for user in User.objects.filter(program=program)}
        monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
        for coach, supervisor in (("coach1", "supervisor1"), ("coach2", "supervisor2")):
            for week in range(11, 0, -1):
                missed = (coach, week) in {("coach1", 2), ("coach1", 9), ("coach2", 7)}
                SupervisionSession.objects.create(
                    coach=staff[coach],
                    supervisor=staff[supervisor],
                    held_on=monday - datetime.timedelta(weeks=week) + datetime.timedelta(days=2),
                    minutes=0 if missed else 60,
                    status="missed" if missed else "held",
                    notes="" if missed else "Reviewed caseload; coach is steady.",
                    notes_for_coach="" if missed else "Keep up the check-ins; ask for help early.",
                )
        last = SupervisionSession.objects.filter(coach=staff["coach1"], status="held").order_by("-held_on").first()
        ActionItem.objects.create(
            session=last,
            what="Bring the list of shelters to group",
            owner=staff["coach1"],
            due_on=monday + datetime.timedelta(days=4),
        )
        AgendaItem.objects.create(
            coach=staff["coach1"],
            kind=AgendaKind.BOUNDARY,
            boundary_topic=BoundaryTopic.RIDES,
            text="A patient keeps asking me for rides to her boyfriend's place. How do I say no and stay close?",
        )

    def _seed_exports(self, program: Program) -> None:
        """Two downloads for the export page's list: supervisor2's quarter of encounters without names, and
        supervisor1's list of women with names, for the state's quarterly report."""
        if Export.objects.filter(user__program=program).exists():
            return
        staff = {user.username: user for user in User.objects.filter(program=program)}
        today = timezone.localdate()
        for username, kind, identified, reason in (
            ("supervisor2", ExportKind.ENCOUNTERS, False, ""),
            ("supervisor1", ExportKind.PATIENTS, True, "The state's quarterly report asks for each woman by name."),
        ):
            workspace_services.export_record(
                actor=Actor(staff[username], None),
                kind=kind,
                file_format=ExportFormat.CSV,
                starts_on=today - datetime.timedelta(days=90),
                ends_on=today,
                coach=None,
                identified=identified,
                reason=reason,
            )

    def _seed_coach_care(self, program: Program) -> None:
        """coach1's private check-in for her next session, and her declaration that she knows a woman of her
        caseload from her home group, waiting for supervisor1; coach2's boundary question about a gift."""
        staff = {user.username: user for user in User.objects.filter(program=program)}
        if DualRelationship.objects.filter(coach=staff["coach1"]).exists():
            return
        supervision_services.agenda_item_add(
            actor=Actor(staff["coach1"], None),
            kind=AgendaKind.CHECK_IN,
            text="Tired this week. The report about one of my moms brought back my own kids' case. I went to two "
            "meetings and called my sponsor.",
        )
        supervision_services.agenda_item_add(
            actor=Actor(staff["coach2"], None),
            kind=AgendaKind.BOUNDARY,
            boundary_topic=BoundaryTopic.GIFTS,
            text="A mom wants to give me a necklace she made. Can I take it?",
        )
        patient = (
            Patient.objects.filter(assignments__coach=staff["coach1"], assignments__ended_on__isnull=True)
            .order_by("pk")
            .first()
        )
        if patient is not None:
            supervision_services.dual_relationship_declare(
                actor=Actor(staff["coach1"], None),
                patient=patient,
                kind=DualRelationshipKind.HOME_GROUP,
                details="We go to the same Tuesday night meeting.",
            )

    def _seed_supervision_and_training(self, program: Program) -> None:
        """coach1 and coach3 are supervised by supervisor1, coach2 by supervisor2. Training leaves coach1
        compliant, coach2 with her CPR-free requirements but her confidentiality training expiring soon, and
        coach3, new, out of compliance (no Recovery Coach Academy yet)."""
        staff = {user.username: user for user in User.objects.filter(program=program)}
        admin = Actor(staff["admin1"], None)
        today = timezone.localdate()
        for coach, supervisor in (("coach1", "supervisor1"), ("coach2", "supervisor2"), ("coach3", "supervisor1")):
            if not SupervisionAssignment.objects.filter(coach=staff[coach]).exists():
                supervision_assign(
                    actor=admin,
                    coach=staff[coach],
                    supervisor=staff[supervisor],
                    started_on=today - datetime.timedelta(days=200),
                )
        if TrainingRecord.objects.filter(user__program=program).exists():
            return
        kinds = {kind.name: kind for kind in TrainingKind.objects.filter(program=program)}

        def record(username, kind, days_ago, *, hours=8, expires_in=None):
            completed = today - datetime.timedelta(days=days_ago)
            kind = kinds[kind]
            expires = today + datetime.timedelta(days=expires_in) if expires_in is not None else None
            if expires is None and kind.validity_months:
                expires = default_expiry(kind, completed)
            staff_services.training_record_add(
                actor=admin,
                user=staff[username],
                fields={
                    "kind": kind,
                    "completed_on": completed,
                    "hours": hours,
                    "provider": "NH Recovery Coach Academy" if "Academy" in kind.name else "Riverbend training team",
                    "expires_on": expires,
                },
            )

        for username in ("coach1", "coach2"):
            record(username, "Recovery Coach Academy", 700, hours=30)
            record(username, "Ethics for peer recovery", 100, hours=6)
            record(username, "Mandated reporter training", 90, hours=3)
            record(username, "Continuing education", 60, hours=12)
            record(username, "Continuing education", 300, hours=10)
        record("coach1", "Confidentiality (HIPAA and 42 CFR Part 2)", 30, hours=2)
        record("coach2", "Confidentiality (HIPAA and 42 CFR Part 2)", 340, hours=2, expires_in=25)
        record("coach3", "Confidentiality (HIPAA and 42 CFR Part 2)", 20, hours=2)
        record("coach3", "Continuing education", 20, hours=4)
        for username in ("supervisor1", "supervisor2", "clinician1"):
            record(username, "Confidentiality (HIPAA and 42 CFR Part 2)", 60, hours=2)
            record(username, "Mandated reporter training", 60, hours=3)
            record(username, "Suicide prevention", 60, hours=6)
        record("admin1", "Confidentiality (HIPAA and 42 CFR Part 2)", 60, hours=2)

    def _seed_patients(self, program: Program) -> None:
        today = timezone.localdate()
        staff = {user.username: user for user in User.objects.filter(program=program)}
        actor = Actor(staff["supervisor1"], None)
        for index, row in enumerate(DEMO_PATIENTS):
            legal, preferred, age, coach, due_in, delivered_ago, children, status, text_ok, message_ok, notes = row
            token = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-patient/{legal}")
            if Patient.objects.filter(enrollment_token=token).exists():
                continue
            enrolled = today - datetime.timedelta(weeks=ENROLLED_WEEKS_AGO.get(index, 12 + 3 * index))
            first_coach = "coach2" if legal == REASSIGNED else coach
            patient, _ = patient_services.patient_enroll(
                actor=actor,
                token=token,
                coach=staff[first_coach],
                fields={
                    "legal_name": legal,
                    "preferred_name": preferred,
                    "date_of_birth": today.replace(year=today.year - age, day=1),
                    "phone": f"603-555-01{10 + index:02d}",
                    "ok_to_text": text_ok,
                    "ok_to_leave_message": message_ok,
                    "safe_contact_notes": notes,
                    "preferred_language": "Spanish" if index == 7 else "English",
                    "due_date": today + datetime.timedelta(weeks=due_in) if due_in is not None else None,
                    "delivery_date": today - datetime.timedelta(weeks=delivered_ago)
                    if delivered_ago is not None
                    else None,
                    "enrollment_date": enrolled,
                    "clinical_provider": staff["supervisor1" if index % 2 == 0 else "supervisor2"],
                },
            )
            for first_name, years_old, lives_with in children:
                Child.objects.create(
                    program=program,
                    patient=patient,
                    first_name=first_name,
                    birth_year=today.year - years_old,
                    lives_with_patient=lives_with,
                )
            if legal == REASSIGNED:
                patient_services.assignment_start(
                    actor=actor, patient=patient, coach=staff[coach], started_on=enrolled + datetime.timedelta(weeks=4)
                )
            if index % 3 == 0:
                patient_services.consent_record(
                    actor=actor,
                    patient=patient,
                    fields={
                        "recipient": "Harbor Family Resource Center",
                        "purpose": "Coordinate parenting support and childcare",
                        "information_scope": "Enrollment, attendance and parenting needs; no substance use details",
                        "signed_on": enrolled,
                        "expires_on": enrolled + datetime.timedelta(days=365),
                    },
                )
            if index % 4 == 1:
                patient_services.consent_record(
                    actor=actor,
                    patient=patient,
                    fields={
                        "recipient": "Granite Valley Obstetrics",
                        "purpose": "Coordinate prenatal and postpartum care",
                        "information_scope": "Treatment attendance, medication for opioid use disorder",
                        "signed_on": enrolled,
                        "expires_on": None,
                        "expiry_event": "discharge",
                    },
                )
            # After her consents, as in life: leaving ends those that end at her discharge.
            if status == ProgramStatus.DISCHARGED:
                patient_services.patient_discharge(
                    actor=actor,
                    patient=patient,
                    reason=patient_services.discharge_reasons_for(program).get(code="moved"),
                    ended_on=today - datetime.timedelta(weeks=2),
                    summary="Moved to her mother's in Maine with the baby; linked with a program there.",
                )
            elif status != ProgramStatus.ACTIVE:
                patient_services.patient_change_status(
                    actor=actor,
                    patient=patient,
                    status=status,
                    changed_on=today - datetime.timedelta(weeks=1),
                    reason="Completed the program." if status == ProgramStatus.GRADUATED else "No contact for 3 weeks.",
                )
            if legal == IN_RESIDENTIAL:
                patient_services.higher_care_start(
                    actor=actor,
                    patient=patient,
                    kind="residential",
                    started_on=today - datetime.timedelta(days=10),
                    expected_return_on=today + datetime.timedelta(days=18),
                )

    def _seed_coaching(self, program: Program) -> None:
        for name, kind in DEMO_RESOURCES:
            Resource.objects.get_or_create(program=program, name=name, defaults={"kind": kind})
        if Encounter.objects.filter(program=program).exists():
            return
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        staff = {user.username: user for user in User.objects.filter(program=program)}
        resources = list(Resource.objects.filter(program=program))
        for username in ("coach1", "coach2"):
            coach = staff[username]
            actor = Actor(coach, None)
            caseload = list(
                Patient.objects.filter(assignments__coach=coach, assignments__ended_on__isnull=True)
                .exclude(status__in=DISCHARGE_STATUSES)  # nothing new is logged about a woman who left
                .order_by("pk")
            )
            # A weekly group with everyone, and a one-on-one with each patient in between, for four weeks; coach2
            # has not reached her last patient since the first week, so the supervisors' overview shows "no contact".
            quiet = caseload[-1] if username == "coach2" else None
            for week in range(4, 0, -1):
                present = [patient for patient in caseload if patient != quiet or week == 4]
                coaching_services.encounter_log(
                    actor=actor,
                    fields={
                        "kind": EncounterKind.GROUP,
                        "occurred_at": now - datetime.timedelta(weeks=week, hours=2),
                        "duration_minutes": 90,
                        "place": "Clinic group room",
                        "summary": "Group on coping with cravings after the baby comes. I shared how I used my "
                        "sponsor's number at 3 am. Good energy; two moms swapped numbers.",
                        "resources_other": "",
                    },
                    patients=present,
                    resources=resources[:1],
                    # Each woman's own note, in her record only; the group's note names no one.
                    notes={patient.pk: OWN_NOTES[i % len(OWN_NOTES)] for i, patient in enumerate(present[:2])},
                )
                for offset, patient in enumerate(present):
                    kind = [EncounterKind.COMMUNITY, EncounterKind.PHONE, EncounterKind.TWELVE_STEP][offset % 3]
                    coaching_services.encounter_log(
                        actor=actor,
                        fields={
                            "kind": kind,
                            "occurred_at": now
                            - datetime.timedelta(weeks=week)
                            + datetime.timedelta(days=2, hours=offset),
                            "duration_minutes": 45,
                            "place": "Maple Street coffee shop" if kind == EncounterKind.COMMUNITY else "",
                            "summary": "Checked in about the week. She talked about sleep and the WIC appointment.",
                            "resources_other": "",
                            # Naloxone and test strips handed out now and then: the overview counts them.
                            "naloxone_kits": 1 if offset == 0 else 0,
                            "test_strips": 5 if offset == 0 else 0,
                        },
                        patients=[patient],
                        resources=resources[offset % len(resources) : offset % len(resources) + 1],
                    )
            # This week's first call with each woman (just before now: Monday just after midnight, it is last week's).
            for patient in caseload[:2] if username == "coach1" else []:
                coaching_services.encounter_log(
                    actor=actor,
                    fields={
                        "kind": EncounterKind.PHONE,
                        "occurred_at": now - datetime.timedelta(minutes=30),
                        "duration_minutes": 15,
                        "place": "",
                        "summary": "Quick call to confirm the ride to her prenatal visit.",
                        "resources_other": "",
                    },
                    patients=[patient],
                    resources=[],
                )
            for urgency, category, text in DEMO_CONCERNS:
                patient = caseload[Concern.objects.filter(coach=coach).count() % len(caseload)]
                coaching_services.concern_share(
                    actor=actor, patient=patient, fields={"category": category, "description": text, "urgency": urgency}
                )
        # One concern already seen and answered, so the coach's view shows a supervisor's note.
        answered = Concern.objects.filter(coach=staff["coach1"], urgency=Urgency.ROUTINE).first()
        coaching_services.concern_add_note(
            actor=Actor(staff["supervisor1"], None),
            concern=answered,
            text="Thank you for sharing this. I will talk with her at her next visit; keep being there for her.",
        )

    def _seed_transfer(self, program: Program) -> None:
        """coach2 logs a warm handoff with Courtney and coach1 (in both coaches' records), then supervisor2 transfers
        her to coach1 with a handoff note and what coach2 wanted to pass on. coach1 reads her earlier encounters."""
        staff = {user.username: user for user in User.objects.filter(program=program)}
        patient = Patient.objects.filter(program=program, legal_name=TRANSFERRED).first()
        if patient is None or patient.assignments.exclude(handoff_note="").exists():
            return
        coaching_services.encounter_log(
            actor=Actor(staff["coach2"], None),
            fields={
                "kind": EncounterKind.WARM_HANDOFF,
                "other_coach": staff["coach1"],
                "occurred_at": timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=1),
                "duration_minutes": 40,
                "place": "Maple Street coffee shop",
                "summary": "Introduced Jolene. Courtney told her about Harper's daycare and her Tuesday meetings.",
                "resources_other": "",
            },
            patients=[patient],
            resources=[],
        )
        patient_services.assignment_transfer(
            actor=Actor(staff["supervisor2"], None),
            patient=patient,
            coach=staff["coach1"],
            handoff_note="Tasha's caseload is full. Courtney does best with a morning text before a visit; her "
            "goal is to keep Harper in daycare while she starts the evening IOP.",
            previous_coach_note="She opens up on walks more than at the coffee shop. Ask about her sister.",
            over_cap_confirmed=True,
        )

    def _seed_safety_plans(self, program: Program) -> None:
        """Safety plans for three of coach1's women: one gone over 10 days ago (with a plan for safety at home), one
        overdue (120 days), one gone over before a concern about a return to use; the rest have none yet. The
        weekly queue lists the last three kinds."""
        if SafetyPlan.objects.filter(program=program).exists():
            return
        coach = User.objects.get(username="coach1")
        caseload = list(
            Patient.objects.filter(assignments__coach=coach, assignments__ended_on__isnull=True)
            .exclude(status__in=DISCHARGE_STATUSES)
            .order_by("legal_name", "pk")
        )
        relapsed = set(
            Concern.objects.filter(patient__in=caseload, category=ConcernCategory.RETURN_TO_USE).values_list(
                "patient_id", flat=True
            )
        )
        # Two with no concern about a return to use (gone over lately, and overdue), then one with such a concern.
        caseload = [p for p in caseload if p.pk not in relapsed][:2] + [p for p in caseload if p.pk in relapsed][:1]
        # Days back on the program's wall clock: 120 days of 24 hours across the change of the clocks would land on
        # the day before, in the evening's last hour.
        now = timezone.localtime(timezone.now(), program.zone)
        plans = [
            (10, True, "Bag packed at my sister's on Elm Street. Code word with Jolene: 'blue sweater'."),
            (120, False, ""),
            (20, False, ""),
        ]
        for patient, (days_ago, at_home, home_plan) in zip(caseload, plans, strict=False):
            plan = coaching_services.safety_plan_save(
                actor=Actor(coach, None),
                patient=patient,
                fields={
                    "warning_signs": "I stop texting back. I skip group. I start thinking one time won't hurt.",
                    "what_helps": "Calling my sponsor. A walk with the stroller. A meeting at St. Mark's at noon.",
                    "contacts": [
                        {"name": "Dana, my sponsor", "phone": "603-555-0188"},
                        {"name": "Crisis line", "phone": "988"},
                        {"name": "Jolene, my coach", "phone": "603-555-0141"},
                    ],
                    "naloxone": "yes" if days_ago < 100 else "no",
                    "risk_moments": ["postpartum", "after_relapse"],
                    "safety_at_home": at_home,
                    "safety_at_home_plan": home_plan,
                },
                reviewed=True,
            )
            # The demo's plans were gone over on earlier days.
            SafetyPlan.objects.filter(pk=plan.pk).update(reviewed_at=now - datetime.timedelta(days=days_ago))
        if len(caseload) == 3 and caseload[2].pk not in relapsed:
            coaching_services.concern_share(
                actor=Actor(coach, None),
                patient=caseload[2],
                fields={
                    "category": ConcernCategory.RETURN_TO_USE,
                    "description": "She told me she used on Saturday after a fight with her mother. She is scared.",
                    "urgency": Urgency.ROUTINE,
                },
            )

    def _seed_clinical_actions(self, program: Program) -> None:
        """The urgent domestic-violence concern of coach1 answered by a referral and a talk with the patient;
        the return-to-use concern of coach2 by a CPS report. Coaches see none of it."""
        if Referral.objects.filter(program=program).exists():
            return
        supervisor = User.objects.get(username="supervisor1")
        actor = Actor(supervisor, None)
        now = timezone.now()
        dv = Concern.objects.get(coach__username="coach1", urgency=Urgency.URGENT_NOW)
        referral = referral_services.referral_record(
            actor=actor,
            patient=dv.patient,
            concerns=[dv],
            fields={
                "care_type": "dv",
                "receiving_provider": "Harbor Haven Domestic Violence Shelter",
                "decided_by": supervisor,
                "made_by": supervisor,
                "referred_on": timezone.localdate(),
                "status": "sent",
                "outcome": "Bed offered for tonight.",
            },
            disclosure={
                "information": "Name, pregnancy, and that she is in treatment",
                "purpose": "Emergency shelter placement",
                "legal_basis": "emergency",
                "recipient_person": "Intake advocate on duty",
                "emergency_nature": "Threat of violence at home, 28 weeks pregnant",
            },
        )
        referral_services.communication_record(
            actor=actor,
            patient=dv.patient,
            concerns=[dv],
            fields={
                "referral": referral,
                "told_by": supervisor,
                "told_at": now - datetime.timedelta(minutes=30),
                "method": "phone",
                "what_was_said": "We found a shelter bed for tonight and can arrange a ride.",
                "response": "Relieved; she accepted the ride.",
            },
        )
        coaching_services.concern_acknowledge(actor=actor, concern=dv)
        child = Concern.objects.get(coach__username="coach2", urgency=Urgency.WITHIN_24_HOURS)
        referral_services.cps_report_record(
            actor=actor,
            patient=child.patient,
            concerns=[child],
            fields={
                "made_at": now - datetime.timedelta(hours=3),
                "agency": "Division for Children, Youth and Families",
                "made_by": supervisor,
                "reference_number": "DEMO-4471",
                "what_was_reported": "Mother reported using while caring for her infant alone.",
                "follow_up": "Caseworker visit scheduled.",
            },
        )

    def _seed_family(self, program: Program) -> None:
        """Pregnancies behind the pregnant and postpartum women's dates (one due soon with no Plan of Safe Care, the
        births with and without one, a baby treated for withdrawal), a child's custody with an open CPS case, and
        the demo CPS report linked to the child it concerns."""
        # Enrolling made her pregnancies from the dates typed (patients.services.enroll_pregnancies): fill in the rest.
        if Pregnancy.objects.filter(program=program, prenatal_care=True).exists():
            return
        actor = Actor(User.objects.get(username="supervisor1"), None)
        today = timezone.localdate()
        pregnancies = Pregnancy.objects.filter(program=program).select_related("patient")
        for index, pregnancy in enumerate(pregnancies.order_by("patient_id", "-due_date", "-pk")):
            delivered = pregnancy.delivery_date
            plan = index % 2 == 0
            pregnancy.prenatal_care = True
            pregnancy.prenatal_care_where = "Riverbend Women's Health"
            pregnancy.moud = index % 3 != 2
            pregnancy.gestational_weeks = 39 if delivered else None
            pregnancy.birth_weight_grams = 3100 + 40 * index if delivered else None
            pregnancy.infant_withdrawal = ("yes" if index % 3 == 0 else "no") if delivered else ""
            pregnancy.safe_care_plan = plan
            pregnancy.safe_care_with = "Hospital social worker" if plan else ""
            pregnancy.safe_care_on = (delivered or today) - datetime.timedelta(days=10) if plan else None
            patient_services.pregnancy_save(actor=actor, patient=pregnancy.patient, pregnancy=pregnancy)
        report = CPSReport.objects.filter(program=program).order_by("pk").first()
        if report is None:
            return
        child = Child.objects.filter(patient=report.patient).order_by("pk").first() or patient_services.child_save(
            actor=actor,
            patient=report.patient,
            child=Child(first_name="Noah", date_of_birth=today - datetime.timedelta(days=200), lives_with_patient=True),
        )
        child.next_court_date = today + datetime.timedelta(days=12)
        child.visitation = "Family court review at 9 am; her coach goes with her."
        patient_services.child_save(actor=actor, patient=report.patient, child=child)
        patient_services.child_custody_save(
            actor=actor,
            child=child,
            fields={
                "custody": Custody.WITH_HER,
                "cps": CPSInvolvement.OPEN,
                "cps_opened_on": timezone.localdate(report.made_at),
            },
        )
        report.children.set([child], through_defaults={"program_id": program.pk})

    def _seed_clinician(self, program: Program) -> None:
        """clinician1 becomes the clinical provider of three women (a supervisor names her on each record, so
        their history shows the change): one has the open "within 24 hours" concern of coach2, and she plans a
        mental-health referral for another."""
        clinician = User.objects.get(username="clinician1")
        if Patient.objects.filter(clinical_provider=clinician).exists():
            return
        actor = Actor(User.objects.get(username="supervisor1"), None)
        names = [DEMO_PATIENTS[1][0], DEMO_PATIENTS[4][0]]
        women = [*Patient.objects.filter(program=program, legal_name__in=names).order_by("pk")]
        women.append(Concern.objects.get(coach__username="coach2", urgency=Urgency.WITHIN_24_HOURS).patient)
        for woman in women:
            patient_services.patient_update(actor=actor, patient=woman, fields={"clinical_provider": clinician})
        referral_services.referral_record(
            actor=Actor(clinician, None),
            patient=women[0],
            concerns=[],
            fields={
                "care_type": "mental_health",
                "receiving_provider": "Riverbend Perinatal Mood Clinic",
                "decided_by": clinician,
                "made_by": clinician,
                "referred_on": timezone.localdate(),
                "status": "planned",
                "outcome": "",
            },
        )

    def _seed_report_history(self, program: Program) -> None:
        """Weeks 5 to 11 before now, so that each chart of the supervisors' reports shows something: one-on-one
        encounters of every kind, concerns of each category (urgent ones acknowledged after so many minutes, and
        each closed), returns to use followed by a contact, and referrals of each level of care moving on."""
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        if Concern.objects.filter(program=program, created_at__lt=now - datetime.timedelta(weeks=4)).exists():
            return
        staff = {user.username: user for user in User.objects.filter(program=program)}
        supervisor = Actor(staff["supervisor1"], None)
        for username in ("coach1", "coach2"):
            coach = staff[username]
            assignments = list(
                CoachAssignment.objects.filter(coach=coach, ended_on__isnull=True)
                .exclude(patient__status__in=DISCHARGE_STATUSES)
                .select_related("patient")
                .order_by("patient_id")
            )
            for week in range(11, 4, -1):
                for offset, assignment in enumerate(assignments):
                    moment = now - datetime.timedelta(weeks=week) + datetime.timedelta(days=offset % 5, hours=offset)
                    if timezone.localtime(moment).date() < assignment.started_on:
                        continue
                    kind = PAST_KINDS[(week + offset) % len(PAST_KINDS)]
                    coaching_services.encounter_log(
                        actor=Actor(coach, None),
                        fields={
                            "kind": kind,
                            "occurred_at": moment,
                            "duration_minutes": 40,
                            "place": "",
                            "summary": "Checked in about her week and what comes next.",
                            "resources_other": "",
                        },
                        patients=[assignment.patient],
                        resources=[],
                    )
        for index, (weeks, username, category, urgency, minutes) in enumerate(PAST_CONCERNS):
            coach = staff[username]
            patient = (
                Patient.objects.filter(assignments__coach=coach, assignments__ended_on__isnull=True, status="active")
                .order_by("pk")
                .distinct()[index % 4]
            )
            concern = coaching_services.concern_share(
                actor=Actor(coach, None),
                patient=patient,
                fields={
                    "category": category,
                    "description": "Noted at the time; talked over in supervision.",
                    "urgency": urgency,
                },
            )
            coaching_services.concern_acknowledge(actor=supervisor, concern=concern)
            coaching_services.concern_close(actor=supervisor, concern=concern, reason="Talked over; plan in place.")
            shared = now - datetime.timedelta(weeks=weeks, hours=3 + index)
            Concern.objects.filter(pk=concern.pk).update(
                created_at=shared, acknowledged_at=shared + datetime.timedelta(minutes=minutes or 60 * 20)
            )
        women = list(Patient.objects.filter(program=program, status="active").order_by("pk"))
        for index, (weeks, care_type, steps) in enumerate(PAST_REFERRALS):
            referred_on = timezone.localdate() - datetime.timedelta(weeks=weeks)
            referral = referral_services.referral_record(
                actor=supervisor,
                patient=women[index % len(women)],
                concerns=[],
                fields={
                    "care_type": care_type,
                    "receiving_provider": "Granite Valley Treatment Services",
                    "decided_by": staff["supervisor1"],
                    "made_by": staff["supervisor1"],
                    "referred_on": referred_on,
                    "status": "planned",
                    "outcome": "",
                },
                disclosure=None,
            )
            for days, status in steps:
                referral_services.referral_change_status(
                    actor=supervisor,
                    referral=referral,
                    status=status,
                    changed_on=referred_on + datetime.timedelta(days=days),
                )

    def _seed_disclosure_bases(self, program: Program) -> None:
        """Part 2 beyond consent: the lab's service agreement on file and a disclosure under it, a court order, a
        woman's single consent to treatment, payment and operations, signed forms kept, and what coach1 told the
        Family Resource Center in person on a consent (her supervisor is told)."""
        if ServiceAgreement.objects.filter(program=program).exists():
            return
        today = timezone.localdate()
        supervisor = User.objects.get(username="supervisor1")
        actor = Actor(supervisor, None)
        lab = referral_services.agreement_record(
            actor=actor,
            fields={
                "organization": "Seacoast Toxicology Lab",
                "services": "Urine drug screens and their results",
                "starts_on": today - datetime.timedelta(days=400),
                "ends_on": today + datetime.timedelta(days=330),
            },
            document=_demo_pdf("qsoa.pdf", "Qualified service organization agreement (demo)"),
        )
        coach1_patients = Patient.objects.filter(
            program=program, assignments__coach__username="coach1", assignments__ended_on__isnull=True
        ).order_by("pk")
        first = coach1_patients.first()
        told = {"disclosed_on": today - datetime.timedelta(days=3)}
        referral_services.disclosure_record(
            actor=actor,
            patient=first,
            fields=told
            | {
                "recipient": "Seacoast Toxicology Lab",
                "information": "Her name and date of birth with this week's sample",
                "purpose": "Urine drug screen",
                "legal_basis": "qsoa",
                "agreement": lab,
            },
        )
        referral_services.disclosure_record(
            actor=actor,
            patient=first,
            fields=told
            | {
                "recipient": "Riverbend Family Court",
                "information": "Dates she attended group since January",
                "purpose": "Custody hearing",
                "legal_basis": "court_order",
                "court_order_reference": "Riverbend Family Court, docket DEMO-218-CV-0042",
            },
        )
        tpo = patient_services.consent_record(
            actor=actor,
            patient=first,
            fields={
                "scope": ConsentScope.TPO,
                "recipient": "Her treating providers, health plans and their business associates",
                "purpose": "Her treatment, payment and health care operations",
                "information_scope": "Her substance use treatment records",
                "signed_on": today - datetime.timedelta(days=20),
                "expires_on": today + datetime.timedelta(days=345),
            },
            signed_form=_demo_pdf("tpo.pdf", "Consent to treatment, payment and operations (demo)"),
        )
        referral_services.disclosure_record(
            actor=actor,
            patient=first,
            fields=told
            | {
                "recipient": "Granite Health Plan",
                "information": "Dates of service this month",
                "purpose": "Billing for her care",
                "legal_basis": "consent",
                "consent": tpo,
                "tpo_purpose": "payment",
            },
        )
        frc = (
            Consent.objects.current()
            .filter(patient__in=coach1_patients, recipient="Harbor Family Resource Center")
            .first()
        )
        if frc is not None:
            patient_services.consent_attach_signed_form(
                actor=actor, consent=frc, upload=_demo_pdf("frc.pdf", "Consent to share with the FRC (demo)")
            )
            referral_services.disclosure_in_person_record(
                actor=Actor(User.objects.get(username="coach1"), None),
                patient=frc.patient,
                fields={
                    "disclosed_on": today - datetime.timedelta(days=1),
                    "recipient": frc.recipient,
                    "recipient_person": "Front desk, parenting class sign-up",
                    "information": "That she is enrolled and comes to group",
                    "purpose": "A place in the parenting class",
                    "legal_basis": "consent",
                    "consent": frc,
                },
            )


# Women enrolled recently (the reports' first contacts) and over a year ago (retention at 12 months), by index.
ENROLLED_WEEKS_AGO = {2: 56, 4: 60, 5: 9, 8: 6, 11: 5}

# The reports' past weeks: (weeks ago, coach, category, urgency, minutes until a supervisor acknowledged it).
PAST_CONCERNS = [
    (11, "coach1", ConcernCategory.BASIC_NEEDS, Urgency.ROUTINE, None),
    (10, "coach2", ConcernCategory.RETURN_TO_USE, Urgency.WITHIN_24_HOURS, 180),
    (9, "coach1", ConcernCategory.MENTAL_HEALTH, Urgency.URGENT_NOW, 12),
    (8, "coach2", ConcernCategory.DISCONNECTED, Urgency.ROUTINE, None),
    (7, "coach1", ConcernCategory.RETURN_TO_USE, Urgency.URGENT_NOW, 25),
    (6, "coach2", ConcernCategory.CHILD_SAFETY, Urgency.URGENT_NOW, 48),
    (5, "coach1", ConcernCategory.DOMESTIC_VIOLENCE, Urgency.URGENT_NOW, 9),
    (5, "coach2", ConcernCategory.BASIC_NEEDS, Urgency.ROUTINE, None),
    (3, "coach2", ConcernCategory.RETURN_TO_USE, Urgency.WITHIN_24_HOURS, 95),
    (2, "coach1", ConcernCategory.MENTAL_HEALTH, Urgency.URGENT_NOW, 41),
    (2, "coach2", ConcernCategory.PATIENT_REQUEST, Urgency.ROUTINE, None),
]
# (weeks ago, level of care, [(days after, status)...]): the reports' referrals and their completion.
PAST_REFERRALS = [
    (11, "iop", [(3, "sent"), (6, "accepted"), (20, "completed")]),
    (9, "mental_health", [(2, "sent"), (5, "accepted"), (12, "completed")]),
    (8, "housing", [(4, "sent"), (15, "declined")]),
    (6, "residential", [(1, "sent"), (2, "accepted"), (9, "completed")]),
    (4, "moud", [(2, "sent"), (7, "accepted")]),
    (2, "withdrawal", [(1, "sent")]),
    (1, "other", []),
]
# The kinds of the reports' earlier weeks of one-on-one work, in turn.
PAST_KINDS = [
    EncounterKind.COMMUNITY,
    EncounterKind.PHONE,
    EncounterKind.MEDICAL,
    EncounterKind.FAMILY_RESOURCE,
    EncounterKind.TWELVE_STEP,
    EncounterKind.OUTREACH,
    EncounterKind.COURT,
]


def _demo_pdf(name: str, title: str) -> SimpleUploadedFile:
    """A tiny invented PDF standing for a signed form."""
    body = f"%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body.encode(), content_type="application/pdf")


DEMO_RESOURCES = [
    ("Tuesday night women's NA meeting, First Church hall", Resource.Kind.MEETING),
    ("Saturday morning AA moms' meeting, Riverbend library", Resource.Kind.MEETING),
    ("Riverbend Family Resource Center", Resource.Kind.SERVICE),
    ("WIC office, Main Street", Resource.Kind.SERVICE),
    ("Community food pantry", Resource.Kind.SERVICE),
]

DEMO_CONCERNS = [
    (
        Urgency.ROUTINE,
        ConcernCategory.BOUNDARY,
        "She asked if she could stay at my place for a weekend. I said I "
        "would ask. I want to talk about how to say no and keep her trust.",
    ),
    (
        Urgency.WITHIN_24_HOURS,
        ConcernCategory.RETURN_TO_USE,
        "She missed group and sounded slurred on the phone. She said she was just tired.",
    ),
    (
        Urgency.URGENT_NOW,
        ConcernCategory.DOMESTIC_VIOLENCE,
        "She texted that her boyfriend took her phone and she is scared to go home tonight.",
    ),
    (
        Urgency.ROUTINE,
        ConcernCategory.BASIC_NEEDS,
        "Her landlord gave notice; she needs help finding housing before the baby is due.",
    ),
]
