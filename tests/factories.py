"""Factories for every model, in one place."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from coaching.models import BARC10_ITEMS, ConcernCategory, EncounterKind
from coaching.services import (
    appointment_add,
    barc10_record,
    concern_share,
    encounter_log,
    goal_step_add,
    goal_step_mark,
    recovery_goal_add,
    reminder_add,
    safety_plan_save,
)
from patients.models import Consent, Patient
from patients.services import assignment_start, enroll_pregnancies
from recovery_program.audit import Actor
from referrals.services import communication_record, cps_report_record, referral_record
from staff.models import Program, User
from staff.roles import Role
from staff.services import user_set_role

TEST_PASSWORD = "a-long-test-password"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Program {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name_female")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    phone = "603-555-0100"
    program = factory.SubFactory(ProgramFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user_set_role(actor=None, user=user, role=extracted)


class CoachFactory(UserFactory):
    role = Role.COACH


class SupervisorFactory(UserFactory):
    role = Role.SUPERVISOR


class AdminFactory(UserFactory):
    role = Role.ADMIN


class PatientFactory(factory.django.DjangoModelFactory):
    """A patient of `program`. Put her on a caseload with `on_caseload_of(patient, coach)`."""

    class Meta:
        model = Patient

    program = factory.SubFactory(ProgramFactory)
    legal_name = factory.Faker("name_female")
    date_of_birth = factory.LazyFunction(
        lambda: timezone.localdate().replace(day=1) - datetime.timedelta(days=28 * 365)
    )
    phone = "603-555-0199"
    enrollment_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=60))
    clinical_provider = factory.SubFactory(
        UserFactory, program=factory.SelfAttribute("..program"), role=Role.SUPERVISOR
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Her due and delivery dates become her pregnancies, through the service, as when she enrolls."""
        due, delivered = kwargs.pop("due_date", None), kwargs.pop("delivery_date", None)
        patient = super()._create(model_class, *args, **kwargs)
        if due is not None or delivered is not None:
            writer = patient.clinical_provider or UserFactory(program=patient.program, role=Role.SUPERVISOR)
            enroll_pregnancies(actor=Actor(writer, None), patient=patient, due_date=due, delivery_date=delivered)
        return patient


def on_caseload_of(patient, coach, *, started_on=None):
    """Assigns the coach through the service, as a supervisor of the patient's program would (past the caseload
    cap too, confirmed: tests of large caseloads build them here; tests/patients/test_caseload_cap.py tests the cap;
    and with a training override, recorded only if the coach is out of compliance: tests that set up the standard
    training build caseloads here; tests/patients/test_compliance_override.py tests the override)."""
    return assignment_start(
        actor=Actor(patient.clinical_provider, None),
        patient=patient,
        coach=coach,
        started_on=started_on or patient.enrollment_date,
        over_cap_confirmed=True,
        compliance_override_reason="Set up by a test",
    )


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    patient = factory.SubFactory(PatientFactory)
    recipient = "Harbor Family Resource Center"
    purpose = "Coordinate parenting support"
    information_scope = "Attendance and parenting needs"
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=335))
    recorded_by = factory.SelfAttribute("patient.clinical_provider")


def log_encounter(coach, patients, notes=None, **fields):
    """An encounter logged by the coach through the service, as her form would. `notes`: each woman's own note,
    by her id."""
    defaults = {
        "kind": EncounterKind.COMMUNITY,
        "occurred_at": timezone.now() - datetime.timedelta(hours=2),
        "duration_minutes": 45,
        "place": "Coffee shop",
        "summary": "Talked about her week.",
        "resources_other": "",
    }
    return encounter_log(
        actor=Actor(coach, None), fields=defaults | fields, patients=patients, resources=[], notes=notes
    )


def make_safety_plan(coach, patient, *, reviewed=True, **fields):
    """Her safety plan, saved by her coach through the service as the plan's form would."""
    defaults = {
        "warning_signs": "Skipping meals, not answering the phone.",
        "what_helps": "Calling Dana; a walk with the baby.",
        "contacts": [{"name": "Dana, my sponsor", "phone": "603-555-0100"}],
        "naloxone": "yes",
        "risk_moments": ["postpartum"],
        "safety_at_home": False,
        "safety_at_home_plan": "",
    }
    return safety_plan_save(actor=Actor(coach, None), patient=patient, fields=defaults | fields, reviewed=reviewed)


def make_goal(coach, patient, *, steps=(), done=0, **fields):
    """A goal of her recovery plan, added by her coach through the service, with `steps` ((what, due_on), …) of
    which the first `done` are ticked done."""
    defaults = {"area": "housing", "in_her_words": "A place of my own for me and the baby.", "target_on": None}
    goal = recovery_goal_add(actor=Actor(coach, None), patient=patient, fields=defaults | fields)
    for n, (what, due_on) in enumerate(steps):
        step = goal_step_add(actor=Actor(coach, None), goal=goal, what=what, due_on=due_on)
        if n < done:
            goal_step_mark(actor=Actor(coach, None), step=step, status="done")
    return goal


def share_concern(coach, patient, **fields):
    defaults = {"category": ConcernCategory.RETURN_TO_USE, "description": "She seemed unwell.", "urgency": "routine"}
    return concern_share(actor=Actor(coach, None), patient=patient, fields=defaults | fields)


def record_referral(supervisor, patient, concerns=(), disclosure=None, **fields):
    defaults = {
        "care_type": "residential",
        "receiving_provider": "Granite House Residential",
        "decided_by": supervisor,
        "made_by": supervisor,
        "referred_on": timezone.localdate(),
        "status": "planned",
        "outcome": "",
    }
    return referral_record(
        actor=Actor(supervisor, None),
        patient=patient,
        fields=defaults | fields,
        concerns=concerns,
        disclosure=disclosure,
    )


def record_cps_report(supervisor, patient, concerns=(), **fields):
    defaults = {
        "made_at": timezone.now() - datetime.timedelta(hours=1),
        "agency": "Division for Children, Youth and Families",
        "made_by": supervisor,
        "reference_number": "DCYF-0001",
        "what_was_reported": "Infant left alone overnight, per the mother.",
        "follow_up": "",
    }
    return cps_report_record(
        actor=Actor(supervisor, None), patient=patient, fields=defaults | fields, concerns=concerns
    )


def record_communication(supervisor, patient, concerns=(), **fields):
    defaults = {
        "referral": None,
        "told_by": supervisor,
        "told_at": timezone.now() - datetime.timedelta(minutes=30),
        "method": "in_person",
        "what_was_said": "We recommend residential care at Granite House.",
        "response": "She cried, then agreed to visit.",
    }
    return communication_record(
        actor=Actor(supervisor, None), patient=patient, fields=defaults | fields, concerns=concerns
    )


def add_shift(program, primary, backup, starts_at, ends_at):
    from supervision.models import OnCallShift

    return OnCallShift.objects.create(
        program=program, starts_at=starts_at, ends_at=ends_at, primary=primary, backup=backup, created_by=primary
    )


def staff_details(member, **changes):
    """The staff edit form's fields as they stand for `member`, with `changes`."""
    fields = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "username": member.username,
        "email": member.email,
        "phone": member.phone,
        "start_date": "",
    }
    return fields | changes


def send_outbox() -> int:
    """Sends every outbox e-mail waiting (what the task enqueued at commit, or the sweep, would do): for tests whose
    transaction never commits. Returns how many went out."""
    from recovery_program import outbox
    from recovery_program.models import Outgoing

    waiting = Outgoing.objects.filter(status=Outgoing.Status.PENDING).values_list("pk", flat=True)
    return sum(outbox.deliver(message_id) for message_id in list(waiting))


def add_appointment(coach, patient, *, starts_at=None, **fields):
    """An appointment in her week (tomorrow by default), added by her through the service."""
    defaults = {"kind": "court", "place": "County courthouse", "note": ""}
    when = starts_at or timezone.now() + datetime.timedelta(days=1)
    return appointment_add(actor=Actor(coach, None), patient=patient, fields=defaults | fields | {"starts_at": when})


def add_reminder(coach, patient, *, due_on=None, what="Call her", due_time=None):
    """A next-contact reminder in her week (tomorrow by default), set by her through the service."""
    due_on = due_on or timezone.localdate() + datetime.timedelta(days=1)
    return reminder_add(
        actor=Actor(coach, None), patient=patient, fields={"due_on": due_on, "due_time": due_time, "what": what}
    )


def take_barc10(user, patient, *, taken_on=None, occasion="intake", answers=(4,) * 10):
    """A BARC-10 she answered, entered through the service as the form would (answers: the ten, in order)."""
    return barc10_record(
        actor=Actor(user, None),
        patient=patient,
        taken_on=taken_on or timezone.localdate(),
        occasion=occasion,
        answers=dict(zip(BARC10_ITEMS, answers, strict=True)),
    )
