"""Every page and every service that shows or changes patient data leaves its access-log rows.

PAGES lists each page of the patient-data apps with who opens it and the row it must leave (one row,
naming every patient it shows: `patient` for one, `patient_ids` for a list); SERVICES lists each write with
its rows. An address that only writes names its
service in WRITTEN_THROUGH; one that shows no patient data is in EXEMPT_PAGES, with the reason. The
guards at the end fail when a page or a service is in none of these lists: a new one needs an entry.
"""

from __future__ import annotations

import datetime
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import import_module
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from coaching import services as coaching_services
from coaching.models import BARC10_ITEMS
from patients import services as patients_services
from patients.models import BreakGlass, Child, Episode, Patient, Pregnancy
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog, Export
from referrals import services as referrals_services
from staff import services as staff_services
from staff.roles import Role
from supervision import services as supervision_services
from tests.factories import (
    ConsentFactory,
    PatientFactory,
    UserFactory,
    add_appointment,
    add_reminder,
    add_shift,
    log_encounter,
    make_goal,
    make_safety_plan,
    on_caseload_of,
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
    take_barc10,
)
from workspace import services as workspace_services

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)  # a Tuesday, 10:00 in New York
TODAY = datetime.date(2027, 3, 2)
VIEW, CREATE, CHANGE, EXPORT = AccessAction.VIEW, AccessAction.CREATE, AccessAction.CHANGE, AccessAction.EXPORT
PATIENT_DATA_APPS = ["patients", "coaching", "supervision", "referrals"]
# The top layer's services reach into those apps (deactivating a coach ends her assignments).
SERVICE_APPS = [*PATIENT_DATA_APPS, "workspace"]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


class World:
    """What the pages show, each record made the first time a test asks for it."""

    def __init__(self, coach, supervisor, patient, other_coach):
        self.coach, self.supervisor, self.patient, self.other_coach = coach, supervisor, patient, other_coach

    def by(self, user) -> Actor:
        return Actor(user, "203.0.113.7")

    @cached_property
    def neighbour(self):
        """A second patient on the coach's caseload: pages about several patients log each of them."""
        neighbour = PatientFactory(
            program=self.coach.program, legal_name="Juniper Hale", clinical_provider=self.supervisor
        )
        on_caseload_of(neighbour, self.coach)
        return neighbour

    @property
    def caseload(self) -> list:
        return [self.patient, self.neighbour]

    @cached_property
    def encounter(self):
        return log_encounter(self.coach, self.caseload)

    @cached_property
    def intake_due(self):
        """Her time in the program, her intake interview not recorded: the interviews due name her."""
        return Episode.objects.create(program=self.patient.program, patient=self.patient, started_on=TODAY)

    @cached_property
    def intake_interview(self):
        """Her intake interview, recorded today: a supervisor may correct it."""
        return patients_services.grant_interview_record(
            actor=self.by(self.coach), patient=self.patient, kind="intake", outcome="done", dated_on=TODAY
        )

    @cached_property
    def concern(self):
        return share_concern(self.coach, self.patient, urgency="urgent_now")

    @cached_property
    def page(self):
        return self.concern.pages.first()

    @cached_property
    def safety_plan(self):
        return make_safety_plan(self.coach, self.patient)

    @cached_property
    def barc10(self):
        return take_barc10(self.coach, self.patient)

    @cached_property
    def appointment(self):
        return add_appointment(self.coach, self.patient)

    @cached_property
    def reminder(self):
        return add_reminder(self.coach, self.patient)

    @cached_property
    def goal(self):
        return make_goal(self.coach, self.patient, steps=[("Call the housing office", None)])

    @cached_property
    def consent(self):
        return ConsentFactory(patient=self.patient)

    @cached_property
    def signed_consent(self):
        """A consent with the form she signed kept (only the checked view sends it)."""
        return patients_services.consent_attach_signed_form(
            actor=self.by(self.supervisor),
            consent=ConsentFactory(patient=self.patient),
            upload=SimpleUploadedFile("consent.pdf", b"%PDF-1.4 signed"),
        )

    @cached_property
    def child(self):
        return patients_services.child_save(
            actor=self.by(self.supervisor), patient=self.patient, child=Child(first_name="Ada", birth_year=2025)
        )

    @cached_property
    def pregnancy(self):
        return patients_services.pregnancy_save(
            actor=self.by(self.coach), patient=self.patient, pregnancy=Pregnancy(due_date=TODAY)
        )

    @cached_property
    def referral(self):
        return record_referral(self.supervisor, self.patient)

    @cached_property
    def cps_report(self):
        return record_cps_report(self.supervisor, self.patient)

    @cached_property
    def communication(self):
        return record_communication(self.supervisor, self.patient)

    @cached_property
    def discharged(self):
        """Her discharge (she moved), for the page that re-enrolls her."""
        return patients_services.patient_discharge(
            actor=self.by(self.supervisor),
            patient=self.patient,
            reason=patients_services.discharge_reasons_for(self.patient.program).get(code="moved"),
            ended_on=TODAY,
            summary="Moved",
        )

    @cached_property
    def agenda_item(self):
        return supervision_services.agenda_item_add(
            actor=self.by(self.coach), text="How do I answer her mother's calls?", patient=self.neighbour
        )

    @cached_property
    def session(self):
        return self.record_session()

    @cached_property
    def night_supervisor(self):
        return UserFactory(username="super_night", program=self.coach.program, role=Role.SUPERVISOR)

    @cached_property
    def break_glass(self):
        """A record another supervisor opened in an emergency (the review page and service read it)."""
        return BreakGlass.objects.create(
            program=self.patient.program,
            patient=self.patient,
            user=self.night_supervisor,
            reason="She was in danger",
            opened_at=NOW,
            ends_at=NOW + datetime.timedelta(hours=1),
        )

    def break_glass_ready(self):
        """The program keeps supervisors to their own, the patient is not hers, and she is on call now."""
        program = self.supervisor.program
        program.supervisors_see_all = False
        program.save(update_fields=["supervisors_see_all"])
        Patient.objects.filter(pk=self.patient.pk).update(clinical_provider=self.night_supervisor)
        add_shift(
            program,
            self.supervisor,
            self.night_supervisor,
            NOW - datetime.timedelta(hours=1),
            NOW + datetime.timedelta(hours=1),
        )

    @cached_property
    def dual_relationship(self):
        return supervision_services.dual_relationship_declare(
            actor=self.by(self.coach), patient=self.patient, kind="home_group"
        )

    def record_session(self, actor=None, agenda_done=()):
        return supervision_services.session_record(
            actor=actor or self.by(self.supervisor),
            coach=self.coach,
            fields={"held_on": TODAY, "minutes": 60, "status": "held", "notes": "", "notes_for_coach": ""},
            cases=[{"patient": self.patient, "discussion": "", "decisions": "", "shared_with_coach": True}],
            action_items=[],
            agenda_done=list(agenda_done),
            actions_done=[],
        )


@pytest.fixture
def world(coach, supervisor, patient, other_coach):
    return World(coach, supervisor, patient, other_coach)


def _one(world):
    return [world.patient]


def _caseload(world):
    return world.caseload


@dataclass(frozen=True)
class Page:
    """A page, who opens it, and the row it must leave: `action` and `record_type`, naming each patient it shows."""

    url_name: str
    who: str
    action: AccessAction
    record_type: str
    args: Callable[[World], list] = lambda world: []
    needs: tuple[str, ...] = ()  # records of the world the page lists, made before it is opened
    patients: Callable[[World], list] = _one

    def __str__(self) -> str:
        return f"{self.url_name} ({self.who})"


def _patient(world):
    return [world.patient.pk]


def _record(name):
    return lambda world: [getattr(world, name).pk]


PAGES = [
    Page("patients:list", "coach", VIEW, "patient list", patients=_caseload),
    Page("patients:detail", "coach", VIEW, "patient", _patient),
    Page("patients:contact", "coach", VIEW, "patient", _patient),
    Page("patients:edit", "supervisor", VIEW, "patient", _patient),
    Page("patients:status", "supervisor", VIEW, "patient", _patient),
    Page("patients:assign", "supervisor", VIEW, "patient", _patient),
    Page("patients:transfer", "supervisor", VIEW, "patient", _patient),
    Page("patients:consent_add", "supervisor", VIEW, "patient", _patient),
    Page("patients:consent_revoke", "supervisor", VIEW, "consent", lambda w: [w.patient.pk, w.consent.pk]),
    Page("patients:consent_signed_form_add", "supervisor", VIEW, "consent", lambda w: [w.patient.pk, w.consent.pk]),
    Page(
        "patients:consent_signed_form",
        "supervisor",
        VIEW,
        "signed consent",
        lambda w: [w.patient.pk, w.signed_consent.pk],
    ),
    Page("patients:told_in_person", "coach", VIEW, "patient", _patient),
    Page("patients:child_add", "supervisor", VIEW, "patient", _patient),
    Page("patients:child_edit", "supervisor", VIEW, "child", lambda w: [w.patient.pk, w.child.pk]),
    Page("patients:child_custody", "supervisor", VIEW, "child", lambda w: [w.patient.pk, w.child.pk]),
    Page("patients:pregnancy_add", "coach", VIEW, "patient", _patient),
    Page("patients:pregnancy_edit", "coach", VIEW, "pregnancy", lambda w: [w.patient.pk, w.pregnancy.pk]),
    Page("patients:access_log", "supervisor", VIEW, "access log", _patient),
    Page("patients:discharge", "supervisor", VIEW, "discharge", _patient),
    Page("patients:reenroll", "supervisor", VIEW, "patient", _patient, needs=("discharged",)),
    Page("patients:higher_care", "supervisor", VIEW, "patient", _patient),
    Page("patients:higher_care_end", "supervisor", VIEW, "patient", _patient),
    Page("patients:interview_record", "coach", VIEW, "grant interviews", _patient),
    Page("patients:interviews_due", "coach", VIEW, "interviews due", needs=("intake_due",)),
    Page(
        "patients:interview_correct",
        "supervisor",
        VIEW,
        "grant interview",
        lambda w: [w.patient.pk, w.intake_interview.pk],
    ),
    Page("patients:interviews_due", "supervisor", VIEW, "interviews due", needs=("intake_due",)),
    Page("coaching:encounter_list", "supervisor", VIEW, "encounter list", needs=("encounter",), patients=_caseload),
    Page("coaching:encounter_list", "coach", VIEW, "encounter list", needs=("encounter",), patients=_caseload),
    Page("coaching:encounter_new", "coach", VIEW, "encounter form", patients=_caseload),
    Page("coaching:encounter_detail", "supervisor", VIEW, "encounter", _record("encounter"), patients=_caseload),
    Page("coaching:encounter_edit", "coach", VIEW, "encounter", _record("encounter"), patients=_caseload),
    Page("coaching:encounter_addendum", "coach", VIEW, "encounter", _record("encounter"), patients=_caseload),
    Page("coaching:encounter_error", "coach", VIEW, "encounter", _record("encounter"), patients=_caseload),
    Page("coaching:concern_list", "supervisor", VIEW, "concern list", needs=("concern",)),
    Page("coaching:concern_list", "coach", VIEW, "concern list", needs=("concern",)),
    Page("coaching:concern_new", "coach", VIEW, "concern form", patients=_caseload),
    Page("coaching:concern_detail", "coach", VIEW, "concern", _record("concern")),
    Page("coaching:concern_detail", "supervisor", VIEW, "concern", _record("concern")),
    Page("coaching:safety_plan", "coach", VIEW, "safety plan", _patient),
    Page("coaching:safety_plan", "supervisor", VIEW, "safety plan", _patient, needs=("safety_plan",)),
    Page("coaching:safety_plan_edit", "coach", VIEW, "safety plan", _patient, needs=("safety_plan",)),
    Page("coaching:safety_plan_history", "supervisor", VIEW, "safety plan history", _patient, needs=("safety_plan",)),
    Page("coaching:week", "coach", VIEW, "week", needs=("appointment", "reminder")),
    Page("coaching:coach_week", "supervisor", VIEW, "week", _record("coach"), needs=("appointment",)),
    Page("coaching:appointment_new", "coach", VIEW, "week form", patients=_caseload),
    Page("coaching:reminder_new", "coach", VIEW, "week form", patients=_caseload),
    Page("coaching:appointment_edit", "coach", VIEW, "appointment", _record("appointment")),
    Page("coaching:reminder_edit", "coach", VIEW, "reminder", _record("reminder")),
    Page("coaching:recovery_plan", "coach", VIEW, "recovery plan", _patient, needs=("goal",)),
    Page("coaching:recovery_plan", "supervisor", VIEW, "recovery plan", _patient, needs=("goal",)),
    Page("coaching:goal_new", "coach", VIEW, "recovery plan", _patient),
    Page("coaching:goal_edit", "coach", VIEW, "recovery plan", _record("goal")),
    Page("coaching:goal_step_new", "supervisor", VIEW, "recovery plan", _record("goal")),
    Page("coaching:recovery_plan_history", "supervisor", VIEW, "recovery plan history", _patient, needs=("goal",)),
    Page("coaching:barc10", "coach", VIEW, "BARC-10", _patient, needs=("barc10",)),
    Page("coaching:barc10", "supervisor", VIEW, "BARC-10", _patient, needs=("barc10",)),
    Page("coaching:barc10_new", "coach", VIEW, "BARC-10", _patient),
    Page(
        "coaching:barc10_correct",
        "coach",
        VIEW,
        "BARC-10",
        lambda world: [world.patient.pk, world.barc10.pk],
        needs=("barc10",),
    ),
    Page("supervision:page", "supervisor", VIEW, "concern", _record("page")),
    Page("supervision:on_call", "supervisor", VIEW, "concern", _record("concern")),
    # Neither patient has an encounter on record: the queue names both.
    Page("supervision:queue", "supervisor", VIEW, "supervision queue", _record("coach"), patients=_caseload),
    Page("supervision:queue", "coach", VIEW, "supervision queue", _record("coach"), patients=_caseload),
    Page("supervision:agenda_add", "coach", VIEW, "agenda form", patients=_caseload),
    Page("supervision:dual_relationship_add", "coach", VIEW, "agenda form", patients=_caseload),
    Page(
        "supervision:dual_relationship_decide",
        "supervisor",
        VIEW,
        "dual relationship",
        _record("dual_relationship"),
        patients=lambda w: [w.patient],
    ),
    Page(
        "supervision:session_new", "supervisor", VIEW, "supervision session form", _record("coach"), patients=_caseload
    ),
    Page("supervision:session", "supervisor", VIEW, "supervision session", _record("session")),
    Page("supervision:break_glass_review", "supervisor", VIEW, "break-glass review", _record("break_glass")),
    Page("supervision:session", "coach", VIEW, "supervision session", _record("session")),
    Page("supervision:session_edit", "supervisor", VIEW, "supervision session", _record("session")),
    Page("referrals:patient_actions", "supervisor", VIEW, "clinical actions", _patient),
    Page("referrals:referral_new", "supervisor", VIEW, "patient", _patient),
    Page("referrals:cps_report_new", "supervisor", VIEW, "patient", _patient),
    Page("referrals:communication_new", "supervisor", VIEW, "patient", _patient),
    Page("referrals:accounting", "supervisor", EXPORT, "accounting of disclosures", _patient),
    Page("referrals:disclosure_new", "supervisor", VIEW, "patient", _patient),
    Page("referrals:referral_detail", "supervisor", VIEW, "referral", _record("referral")),
    Page("referrals:referral_edit", "supervisor", VIEW, "referral", _record("referral")),
    Page("referrals:referral_summary", "supervisor", EXPORT, "referral", _record("referral")),
    Page("referrals:cps_report_detail", "supervisor", VIEW, "CPS report", _record("cps_report")),
    Page("referrals:cps_report_edit", "supervisor", VIEW, "CPS report", _record("cps_report")),
    Page("referrals:communication_detail", "supervisor", VIEW, "patient communication", _record("communication")),
    Page("referrals:communication_edit", "supervisor", VIEW, "patient communication", _record("communication")),
]

# Addresses that only write (or whose form shows no patient data): the service each calls, listed below.
WRITTEN_THROUGH = {
    "patients:enroll": "patients.patient_enroll",
    "patients:unassign": "patients.assignment_end",
    "patients:cover_end": "patients.cover_end",
    "coaching:concern_acknowledge": "coaching.concern_acknowledge",
    "supervision:page_release": "supervision.page_release",
    "coaching:concern_note": "coaching.concern_add_note",
    "coaching:concern_close": "coaching.concern_close",
    "coaching:safety_plan_review": "coaching.safety_plan_review",
    "coaching:appointment_close": "coaching.appointment_close",
    "coaching:reminder_close": "coaching.reminder_close",
    "coaching:goal_close": "coaching.recovery_goal_close",
    "coaching:goal_step_mark": "coaching.goal_step_mark",
    "referrals:referral_status": "referrals.referral_change_status",
    # Her draft of a form about patients: a row for each patient it names (checked by tests/coaching/test_drafts.py).
    "coaching:draft_save": "coaching.draft_save",
    "coaching:encounter_edit_draft": "coaching.draft_save",
    "referrals:draft_save": "coaching.draft_save",
    "supervision:session_draft": "coaching.draft_save",
}

# Downloads of a list: one row per download, whatever it holds (not one per woman), naming the `Export` that
# keeps her choices (test_each_download_leaves_one_row_naming_its_choices below).
EXPORTS = {
    "patients:export": ("get", {}),
    "exports": (
        "post",
        {"kind": "encounters", "starts_on": "2027-01-01", "ends_on": "2027-03-02", "file_format": "csv"},
    ),
}

# Pages of the patient-data apps that show no patient data, and why.
EXEMPT_PAGES = {
    # Starting over removes her own working copy, and shows nothing.
    "coaching:encounter_draft_discard",
    "coaching:concern_draft_discard",
    # The program's pick list of resources.
    "coaching:resources",
    "coaching:resource_edit",
    # Who to call, the on-call rota, held and missed weeks, who supervises a coach: about staff only.
    "supervision:reach",
    "supervision:rota",
    "supervision:shift_edit",
    "supervision:shift_swap",
    "supervision:shift_remove",
    "supervision:cover_add",
    "supervision:cover_remove",
    "supervision:away",
    "supervision:away_remove",
    "supervision:weeks",
    "supervision:coach_supervisor",
    # A supervisor's list of her coaches; a coach is sent on to her own queue, which logs.
    "supervision:queues",
    # Giving cover names coaches and dates only; giving it is logged by cover_give, for each woman covered.
    "patients:cover",
    # The break-glass form names no woman (she types the name); opening one is logged by break_glass_open.
    "supervision:break_glass",
    # An action item names no patient (what to do, who, by when).
    "supervision:action_item_done",
    # Her private check-in and her boundary question name no patient (the check-in's reads are logged by the queue:
    # tests/supervision/test_coach_care.py); the answer to a boundary question names no one either.
    "supervision:check_in_add",
    "supervision:boundary_question_add",
    "supervision:boundary_answer",
    # The program's qualified service organization agreements: organizations and dates, no woman named (opening the
    # signed agreement writes a row about the agreement: tests/referrals/test_agreements.py).
    "referrals:agreements",
    "referrals:agreement_new",
    "referrals:agreement_document",
}


@pytest.mark.parametrize("listed", PAGES, ids=str)
def test_each_page_that_shows_patient_data_logs_one_row_naming_each_patient_shown(client_for, world, listed):
    user = getattr(world, listed.who)
    for name in listed.needs:
        getattr(world, name)
    url = reverse(listed.url_name, args=listed.args(world))
    shown = {patient.pk for patient in listed.patients(world)}
    client = client_for(user)
    since = _last_row()

    response = client.get(url)

    assert response.status_code == 200
    assert _patients_logged(since, user, listed.action, listed.record_type) == shown
    # A list of many women is one row, not one per woman (issue 17: a state's day was 240,000 rows).
    assert AccessLog.objects.filter(pk__gt=since, user=user, record_type=listed.record_type).count() == 1


@pytest.mark.parametrize("url_name", sorted(EXPORTS))
def test_each_download_leaves_one_row_naming_its_choices(client_for, world, url_name):
    assert world.encounter.pk  # an encounter for the download to hold
    method, data = EXPORTS[url_name]
    client = client_for(world.supervisor)
    since = _last_row()

    response = getattr(client, method)(reverse(url_name), data)
    b"".join(response.streaming_content)

    rows = AccessLog.objects.filter(pk__gt=since)
    assert [(row.user, row.action, row.patient_id, row.record_type) for row in rows] == [
        (world.supervisor, EXPORT, None, "export")
    ]
    export = Export.objects.get(pk=rows.get().record_id.split(":")[0])
    assert rows.get().record_id == f"{export.pk}:{export.digest()}"


def _break_glass_open(world, actor):
    world.break_glass_ready()
    return partial(
        supervision_services.break_glass_open, actor=actor, patient=world.patient, reason="She is in danger", now=NOW
    )


def _one_patient(world, result):
    return [world.patient]


def _whole_caseload(world, result):
    return world.caseload


def _held(page):
    """A page held after a restore, as `make restore` leaves it."""
    type(page).objects.filter(pk=page.pk).update(status="held")
    return page


@dataclass(frozen=True)
class Service:
    """A write by `who`, made ready by `prepare` (the records it needs are made first), and the rows it must leave."""

    name: str
    who: str
    prepare: Callable[[World, Actor], Callable[[], Any]]
    action: AccessAction
    record_type: str
    patients: Callable[[World, Any], list] = _one_patient
    needs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def _encounter_fields():
    return {
        "kind": "community",
        "occurred_at": NOW - datetime.timedelta(hours=1),
        "duration_minutes": 30,
        "place": "Library",
        "summary": "Planned her week.",
        "resources_other": "",
    }


def _referral_fields(world):
    return {
        "care_type": "outpatient",
        "receiving_provider": "Lakeside Counseling",
        "decided_by": world.supervisor,
        "made_by": world.supervisor,
        "referred_on": TODAY,
        "status": "planned",
        "outcome": "",
    }


SERVICES = [
    Service(
        "coaching.appointment_add",
        "coach",
        lambda w, actor: partial(
            coaching_services.appointment_add,
            actor=actor,
            patient=w.patient,
            fields={"starts_at": NOW + datetime.timedelta(days=1), "kind": "court"},
        ),
        CREATE,
        "appointment",
    ),
    Service(
        "coaching.appointment_close",
        "coach",
        lambda w, actor: partial(
            coaching_services.appointment_close, actor=actor, appointment=w.appointment, status="cancelled"
        ),
        CHANGE,
        "appointment",
    ),
    Service(
        "coaching.appointment_mark_done",
        "coach",
        lambda w, actor: partial(
            coaching_services.appointment_mark_done,
            actor=actor,
            appointment=w.appointment,
            encounter=log_encounter(w.coach, [w.patient]),
        ),
        CHANGE,
        "appointment",
    ),
    Service(
        "coaching.reminder_add",
        "coach",
        lambda w, actor: partial(
            coaching_services.reminder_add,
            actor=actor,
            patient=w.patient,
            fields={"due_on": TODAY, "due_time": None, "what": "Call her"},
        ),
        CREATE,
        "reminder",
    ),
    Service(
        "coaching.appointment_change",
        "coach",
        lambda w, actor: partial(
            coaching_services.appointment_change,
            actor=actor,
            appointment=w.appointment,
            fields={"starts_at": NOW + datetime.timedelta(days=2), "kind": "court", "place": "", "note": ""},
            version=w.appointment.version,
        ),
        CHANGE,
        "appointment",
    ),
    Service(
        "coaching.reminder_change",
        "coach",
        lambda w, actor: partial(
            coaching_services.reminder_change,
            actor=actor,
            reminder=w.reminder,
            fields={"due_on": TODAY, "due_time": None, "what": "Text her"},
            version=w.reminder.version,
        ),
        CHANGE,
        "reminder",
    ),
    Service(
        "coaching.reminder_close",
        "coach",
        lambda w, actor: partial(coaching_services.reminder_close, actor=actor, reminder=w.reminder, status="done"),
        CHANGE,
        "reminder",
    ),
    Service(
        "coaching.recovery_goal_add",
        "coach",
        lambda w, actor: partial(
            coaching_services.recovery_goal_add,
            actor=actor,
            patient=w.patient,
            fields={"area": "work", "in_her_words": "A job near the daycare"},
            first_step="Ask about the opening",
        ),
        CREATE,
        "recovery plan",
    ),
    Service(
        "coaching.recovery_goal_change",
        "supervisor",
        lambda w, actor: partial(
            coaching_services.recovery_goal_change,
            actor=actor,
            goal=w.goal,
            fields={"area": "work", "in_her_words": "A job", "target_on": None},
            version=w.goal.version,
        ),
        CHANGE,
        "recovery plan",
    ),
    Service(
        "coaching.recovery_goal_close",
        "coach",
        lambda w, actor: partial(coaching_services.recovery_goal_close, actor=actor, goal=w.goal, status="reached"),
        CHANGE,
        "recovery plan",
    ),
    Service(
        "coaching.goal_step_add",
        "coach",
        lambda w, actor: partial(coaching_services.goal_step_add, actor=actor, goal=w.goal, what="Call", due_on=None),
        CREATE,
        "recovery plan",
    ),
    Service(
        "coaching.goal_step_mark",
        "coach",
        lambda w, actor: partial(coaching_services.goal_step_mark, actor=actor, step=w.goal.steps.get(), status="done"),
        CHANGE,
        "recovery plan",
    ),
    Service(
        "coaching.barc10_record",
        "coach",
        lambda w, actor: partial(
            coaching_services.barc10_record,
            actor=actor,
            patient=w.patient,
            taken_on=NOW.date(),
            occasion="intake",
            answers=dict.fromkeys(BARC10_ITEMS, 4),
        ),
        CREATE,
        "BARC-10",
    ),
    Service(
        "coaching.barc10_correct",
        "coach",
        lambda w, actor: partial(
            coaching_services.barc10_correct,
            actor=actor,
            barc=w.barc10,
            taken_on=w.barc10.taken_on,
            occasion="other",
            answers=dict.fromkeys(BARC10_ITEMS, 5),
            version=w.barc10.version,
        ),
        CHANGE,
        "BARC-10",
        needs=("barc10",),
    ),
    Service(
        "coaching.safety_plan_save",
        "coach",
        lambda w, actor: partial(
            coaching_services.safety_plan_save,
            actor=actor,
            patient=w.patient,
            fields={"what_helps": "A walk with the baby."},
            reviewed=True,
        ),
        CREATE,
        "safety plan",
    ),
    Service(
        "coaching.safety_plan_review",
        "coach",
        lambda w, actor: partial(coaching_services.safety_plan_review, actor=actor, patient=w.patient),
        CHANGE,
        "safety plan",
        needs=("safety_plan",),
    ),
    Service(
        "coaching.draft_save",
        "supervisor",
        lambda w, actor: partial(
            coaching_services.draft_save,
            actor=actor,
            form="cps_report",
            key=str(w.patient.pk),
            fields={"what_was_reported"},
            data={"what_was_reported": ["What she told me about the baby"]},
            patients=[w.patient.pk],
        ),
        CHANGE,
        "draft",
    ),
    Service(
        "patients.patient_enroll",
        "supervisor",
        lambda w, actor: partial(
            patients_services.patient_enroll,
            actor=actor,
            fields={
                "legal_name": "Marisol Grant",
                "date_of_birth": datetime.date(1998, 5, 1),
                "enrollment_date": TODAY,
                "clinical_provider": w.supervisor,
            },
            coach=None,
            token=uuid.uuid4(),
        ),
        CREATE,
        "patient",
        lambda world, result: [result[0]],
    ),
    Service(
        "patients.patient_update",
        "coach",
        lambda w, actor: partial(
            patients_services.patient_update, actor=actor, patient=w.patient, fields={"phone": "603-555-0142"}
        ),
        CHANGE,
        "patient",
    ),
    Service(
        "patients.patient_change_status",
        "supervisor",
        lambda w, actor: partial(
            patients_services.patient_change_status,
            actor=actor,
            patient=w.patient,
            status="disconnected",
            changed_on=TODAY,
            reason="No answer for a month",
        ),
        CHANGE,
        "status change",
    ),
    Service(
        "patients.assignment_start",
        "supervisor",
        lambda w, actor: partial(
            patients_services.assignment_start,
            actor=actor,
            patient=w.patient,
            coach=w.other_coach,
            started_on=TODAY,
        ),
        CHANGE,
        "coach assignment",
    ),
    Service(
        "patients.assignment_end",
        "supervisor",
        lambda w, actor: partial(
            patients_services.assignment_end,
            actor=actor,
            patient=w.patient,
            ended_on=TODAY,
            reason="She moved away",
        ),
        CHANGE,
        "coach assignment",
    ),
    Service(
        "patients.coach_leaves",
        "supervisor",
        lambda w, actor: partial(patients_services.coach_leaves, actor=actor, coach=w.coach, on=TODAY),
        CHANGE,
        "coach assignment",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        "patients.clinical_provider_leaves",
        "supervisor",
        lambda w, actor: partial(patients_services.clinical_provider_leaves, actor=actor, provider=w.supervisor),
        CHANGE,
        "clinical provider",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        "patients.consent_record",
        "supervisor",
        lambda w, actor: partial(
            patients_services.consent_record,
            actor=actor,
            patient=w.patient,
            fields={
                "recipient": "Lakeside Counseling",
                "purpose": "Coordinate counseling",
                "information_scope": "Attendance",
                "signed_on": TODAY,
                "expires_on": TODAY + datetime.timedelta(days=365),
            },
        ),
        CREATE,
        "consent",
    ),
    Service(
        "patients.consent_attach_signed_form",
        "supervisor",
        lambda w, actor: partial(
            patients_services.consent_attach_signed_form,
            actor=actor,
            consent=w.consent,
            upload=SimpleUploadedFile("consent.png", b"\x89PNG\r\n\x1a\n scanned"),
        ),
        CHANGE,
        "consent",
    ),
    Service(
        "patients.consent_revoke",
        "supervisor",
        lambda w, actor: partial(patients_services.consent_revoke, actor=actor, consent=w.consent, revoked_on=TODAY),
        CHANGE,
        "consent",
    ),
    Service(
        "patients.child_save",
        "supervisor",
        lambda w, actor: partial(
            patients_services.child_save,
            actor=actor,
            patient=w.patient,
            child=Child(first_name="Theo", birth_year=2026),
        ),
        CREATE,
        "child",
    ),
    Service(
        "patients.pregnancy_save",
        "coach",
        lambda w, actor: partial(
            patients_services.pregnancy_save, actor=actor, patient=w.patient, pregnancy=Pregnancy(due_date=TODAY)
        ),
        CREATE,
        "pregnancy",
    ),
    Service(
        "patients.child_custody_save",
        "supervisor",
        lambda w, actor: partial(
            patients_services.child_custody_save,
            actor=actor,
            child=w.child,
            fields={"custody": "foster", "cps": "open", "cps_opened_on": TODAY},
        ),
        CREATE,
        "child custody",
        needs=("child",),
    ),
    Service(
        "patients.patient_discharge",
        "supervisor",
        lambda w, actor: partial(
            patients_services.patient_discharge,
            actor=actor,
            patient=w.patient,
            reason=patients_services.discharge_reasons_for(w.patient.program).get(code="moved"),
            ended_on=TODAY,
            summary="Moved to Maine",
        ),
        CHANGE,
        "episode",
    ),
    Service(
        "workspace.patient_discharge",
        "supervisor",
        lambda w, actor: partial(
            workspace_services.patient_discharge,
            actor=actor,
            patient=w.patient,
            reason=patients_services.discharge_reasons_for(w.patient.program).get(code="moved"),
            ended_on=TODAY,
            summary="Moved to Maine",
            closing=set(),
        ),
        CHANGE,
        "episode",
    ),
    Service(
        "patients.patient_reenroll",
        "supervisor",
        lambda w, actor: (
            patients_services.patient_discharge(
                actor=actor,
                patient=w.patient,
                reason=patients_services.discharge_reasons_for(w.patient.program).get(code="moved"),
                ended_on=TODAY,
                summary="Moved",
            )
            and partial(patients_services.patient_reenroll, actor=actor, patient=w.patient, started_on=TODAY)
        ),
        CHANGE,
        "episode",
    ),
    Service(
        "patients.higher_care_start",
        "supervisor",
        lambda w, actor: partial(
            patients_services.higher_care_start,
            actor=actor,
            patient=w.patient,
            kind="residential",
            started_on=TODAY,
            expected_return_on=None,
        ),
        CREATE,
        "higher care stay",
    ),
    Service(
        "patients.higher_care_end",
        "supervisor",
        lambda w, actor: (
            patients_services.higher_care_start(
                actor=actor, patient=w.patient, kind="detox", started_on=TODAY, expected_return_on=None
            )
            and partial(patients_services.higher_care_end, actor=actor, patient=w.patient, ended_on=TODAY)
        ),
        CHANGE,
        "higher care stay",
    ),
    Service(
        "patients.grant_interview_record",
        "coach",
        lambda w, actor: partial(
            patients_services.grant_interview_record,
            actor=actor,
            patient=w.patient,
            kind="intake",
            outcome="done",
            dated_on=TODAY,
        ),
        CREATE,
        "grant interview",
    ),
    Service(
        "patients.grant_interview_correct",
        "supervisor",
        lambda w, actor: partial(
            patients_services.grant_interview_correct,
            actor=actor,
            interview=w.intake_interview,
            outcome="done",
            dated_on=TODAY - datetime.timedelta(days=1),
            outside_window=False,
            reason="It was the day before.",
        ),
        CHANGE,
        "grant interview",
    ),
    Service(
        "coaching.encounter_log",
        "coach",
        lambda w, actor: partial(
            coaching_services.encounter_log,
            actor=actor,
            fields=_encounter_fields(),
            patients=w.caseload,
            resources=[],
        ),
        CREATE,
        "encounter",
        _whole_caseload,
    ),
    Service(
        "coaching.encounter_update",
        "coach",
        lambda w, actor: partial(
            coaching_services.encounter_update,
            actor=actor,
            encounter=w.encounter,
            fields=_encounter_fields(),
            patients=[w.patient],
            resources=[],
        ),
        CHANGE,
        "encounter",
        # The patient taken off the encounter is named too: it was about her until now.
        _whole_caseload,
    ),
    Service(
        "coaching.encounter_add_addendum",
        "coach",
        lambda w, actor: partial(
            coaching_services.encounter_add_addendum, actor=actor, encounter=w.encounter, text="She called back."
        ),
        CHANGE,
        "encounter",
        _whole_caseload,
    ),
    Service(
        "coaching.encounter_mark_in_error",
        "coach",
        lambda w, actor: partial(
            coaching_services.encounter_mark_in_error, actor=actor, encounter=w.encounter, reason="Wrong day"
        ),
        CHANGE,
        "encounter",
        _whole_caseload,
    ),
    Service(
        "coaching.concern_share",
        "coach",
        lambda w, actor: partial(
            coaching_services.concern_share,
            actor=actor,
            patient=w.patient,
            fields={"category": "return_to_use", "description": "She seemed unwell.", "urgency": "routine"},
        ),
        CREATE,
        "concern",
    ),
    Service(
        "coaching.concern_acknowledge",
        "supervisor",
        lambda w, actor: partial(coaching_services.concern_acknowledge, actor=actor, concern=w.concern),
        CHANGE,
        "concern",
    ),
    Service(
        "supervision.page_release",
        "supervisor",
        lambda w, actor: partial(supervision_services.page_release, actor=actor, page=_held(w.page), send=False),
        CHANGE,
        "page",
    ),
    Service(
        "coaching.concern_add_note",
        "supervisor",
        lambda w, actor: partial(
            coaching_services.concern_add_note, actor=actor, concern=w.concern, text="Call me today."
        ),
        CHANGE,
        "concern",
    ),
    Service(
        "coaching.concern_close",
        "supervisor",
        lambda w, actor: partial(
            coaching_services.concern_close, actor=actor, concern=w.concern, reason="Seen by her doctor"
        ),
        CHANGE,
        "concern",
    ),
    Service(
        # Mara's women may be seen by the coach who covers her: one row for each.
        "patients.cover_give",
        "supervisor",
        lambda w, actor: partial(
            patients_services.cover_give,
            actor=actor,
            covering=w.other_coach,
            covered=w.coach,
            starts_on=TODAY,
            ends_on=TODAY + datetime.timedelta(days=3),
        ),
        CREATE,
        "cover",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        # The coach who covered Mara's women no longer may see them: one row for each.
        "patients.cover_end",
        "supervisor",
        lambda w, actor: partial(
            patients_services.cover_end,
            actor=actor,
            cover=patients_services.cover_give(
                actor=actor, covering=w.other_coach, covered=w.coach, starts_on=TODAY, ends_on=TODAY
            ),
        ),
        CHANGE,
        "cover",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        "patients.assignment_transfer",
        "supervisor",
        lambda w, actor: partial(
            patients_services.assignment_transfer,
            actor=actor,
            patient=w.patient,
            coach=w.other_coach,
            handoff_note="She likes mornings.",
        ),
        CHANGE,
        "coach assignment",
    ),
    Service("supervision.break_glass_open", "supervisor", _break_glass_open, CREATE, "break-glass access"),
    Service(
        "supervision.break_glass_review",
        "supervisor",
        lambda w, actor: partial(
            supervision_services.break_glass_review, actor=actor, grant=w.break_glass, note="Needed.", now=NOW
        ),
        CHANGE,
        "break-glass access",
    ),
    Service(
        "supervision.agenda_item_add",
        "coach",
        lambda w, actor: partial(
            supervision_services.agenda_item_add, actor=actor, text="Her mother calls me.", patient=w.patient
        ),
        CREATE,
        "agenda item",
    ),
    Service(
        "supervision.session_record",
        "supervisor",
        # A case about one patient, and the coach's agenda item about the other settled.
        lambda w, actor: partial(w.record_session, actor=actor, agenda_done=[w.agenda_item]),
        CREATE,
        "supervision session",
        _whole_caseload,
    ),
    Service(
        "supervision.session_update",
        "supervisor",
        lambda w, actor: partial(
            supervision_services.session_update, actor=actor, session=w.session, fields={"notes": "She is tired."}
        ),
        CHANGE,
        "supervision session",
    ),
    Service(
        "supervision.dual_relationship_declare",
        "coach",
        lambda w, actor: partial(
            supervision_services.dual_relationship_declare, actor=actor, patient=w.patient, kind="neighbourhood"
        ),
        CREATE,
        "dual relationship",
    ),
    Service(
        "supervision.dual_relationship_decide",
        "supervisor",
        lambda w, actor: partial(
            supervision_services.dual_relationship_decide,
            actor=actor,
            declaration=w.dual_relationship,
            decision="no_concern",
            notes="",
        ),
        CHANGE,
        "dual relationship",
    ),
    Service(
        "referrals.referral_record",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.referral_record, actor=actor, patient=w.patient, fields=_referral_fields(w)
        ),
        CREATE,
        "referral",
    ),
    Service(
        "referrals.record_update",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.record_update,
            actor=actor,
            record=w.referral,
            fields={"outcome": "She went to her first appointment."},
        ),
        CHANGE,
        "referral",
    ),
    Service(
        "referrals.referral_change_status",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.referral_change_status,
            actor=actor,
            referral=w.referral,
            status="sent",
            changed_on=TODAY,
        ),
        CHANGE,
        "referral",
    ),
    Service(
        "referrals.cps_report_record",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.cps_report_record,
            actor=actor,
            patient=w.patient,
            fields={
                "made_at": NOW - datetime.timedelta(hours=1),
                "agency": "Division for Children, Youth and Families",
                "made_by": w.supervisor,
                "reference_number": "DCYF-0002",
                "what_was_reported": "Reported as the law requires.",
                "follow_up": "",
            },
        ),
        CREATE,
        "CPS report",
    ),
    Service(
        "referrals.communication_record",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.communication_record,
            actor=actor,
            patient=w.patient,
            fields={
                "referral": None,
                "told_by": w.supervisor,
                "told_at": NOW - datetime.timedelta(minutes=10),
                "method": "phone",
                "what_was_said": "We recommend counseling.",
                "response": "She agreed.",
            },
        ),
        CREATE,
        "patient communication",
    ),
    Service(
        "referrals.disclosure_record",
        "supervisor",
        lambda w, actor: partial(
            referrals_services.disclosure_record,
            actor=actor,
            patient=w.patient,
            fields={
                "disclosed_on": TODAY,
                "recipient": w.consent.recipient,
                "information": "Attendance",
                "purpose": w.consent.purpose,
                "legal_basis": "consent",
                "consent": w.consent,
            },
        ),
        CREATE,
        "disclosure",
    ),
    Service(
        "referrals.disclosure_in_person_record",
        "coach",
        lambda w, actor: partial(
            referrals_services.disclosure_in_person_record,
            actor=actor,
            patient=w.patient,
            fields={
                "disclosed_on": TODAY,
                "recipient": "County ambulance",
                "information": "She takes buprenorphine",
                "purpose": "Care on the way to hospital",
                "legal_basis": "emergency",
                "emergency_nature": "She collapsed at court",
                "recipient_person": "The paramedic",
            },
        ),
        CREATE,
        "disclosure",
    ),
    Service(
        # A coach who leaves: her patients' assignments end.
        "workspace.staff_deactivate",
        "supervisor",
        lambda w, actor: partial(workspace_services.staff_deactivate, actor=actor, user=w.coach),
        CHANGE,
        "coach assignment",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        # A coach made a supervisor, an admin's proposal approved by a supervisor: her patients' assignments end.
        "workspace.account_change_approve",
        "supervisor",
        lambda w, actor: partial(
            workspace_services.account_change_approve,
            actor=actor,
            request=staff_services.role_change_propose(
                actor=Actor(UserFactory(program=w.coach.program, role=Role.ADMIN), None),
                user=w.coach,
                role=Role.SUPERVISOR,
            ),
        ),
        CHANGE,
        "coach assignment",
        _whole_caseload,
        needs=("neighbour",),
    ),
    Service(
        # A coach made an admin: her patients' assignments end.
        "workspace.staff_role_change",
        "supervisor",
        lambda w, actor: partial(workspace_services.staff_role_change, actor=actor, user=w.coach, role=Role.ADMIN),
        CHANGE,
        "coach assignment",
        _whole_caseload,
        needs=("neighbour",),
    ),
]

# Services of the patient-data apps that neither show nor change patient data, and why.
EXEMPT_SERVICES = {
    # Called only inside patient_enroll, whose row covers it; each pregnancy it makes goes through pregnancy_save,
    # which writes its own row.
    "patients.enroll_pregnancies",
    # Wiring done once at start-up (supervision hands coaching its pager): it reads and writes no record.
    "coaching.concern_pager_set",
    # A training reminder is about her training record, never a patient.
    "workspace.training_reminder_send",
    "workspace.training_reminder_build",
    # The Monday notice names the coach and the week, never a patient.
    "supervision.missed_session_notice_build",
    # Run by `make restore` (no user): holds every waiting page, reads no record.
    "supervision.pages_hold_after_restore",
    # What deactivating her or changing her role would end, in counts for the admin: no patient named.
    "workspace.staff_deactivate_effects",
    "workspace.staff_role_change_effects",
    # Removing her own working copy shows and writes nothing about a patient.
    "coaching.draft_discard",
    "coaching.drafts_discard_all",
    # Marks supervisors' notes as read by the coach who opened her concern; the page logs that view.
    "coaching.concern_notes_mark_seen",
    # About staff only: who supervises whom, the rota, an action item (names no patient), the Monday notice.
    "supervision.supervision_assign",
    "supervision.supervision_links_end",
    "supervision.shift_add",
    "supervision.shift_change",
    "supervision.shift_swap",
    "supervision.shift_remove",
    "supervision.shift_remove_effects",
    "supervision.shift_removal_refusal",
    "supervision.cover_add",
    "supervision.cover_remove",
    "supervision.unavailability_add",
    "supervision.unavailability_remove",
    "supervision.action_item_done",
    "supervision.missed_session_notices_send",
    "supervision.week_start",
    # Whether she is on call now: about the rota only.
    "supervision.on_call_now",
    # Builds the e-mail telling the other supervisors that a record was opened: a link, naming no patient.
    "supervision.break_glass_notice_build",
    # About the coach herself, naming no patient: her boundary question's answer, the log rows of her check-ins
    # read (tests/supervision/test_coach_care.py), and the count of her caseload against the program's cap.
    "supervision.boundary_question_answer",
    "supervision.check_ins_read",
    "patients.caseload_cap_check",
    # The program's list of discharge reasons (seeded with the defaults when it has none): no patient.
    "patients.discharge_reasons_for",
    "patients.discharge_reason_add",
    "patients.discharge_reason_rename",
    "patients.discharge_reason_set_offered",
    "patients.reason_text",
    # A check the services that log make first (encounter_log, concern_share, assignment_start): they log.
    "patients.logging_refusal",
    # The rules pregnancy_save and child_custody_save check first, shown by their forms: they log.
    "patients.pregnancy_errors",
    "patients.custody_errors",
    # What is still open about her and what her discharge will do, for the discharge page, which logs the view.
    "workspace.open_items_of",
    "workspace.discharge_effects",
    # A download writes one row naming the export and its choices, not one per woman in it
    # (test_each_download_leaves_one_row_naming_its_choices); its refusal reads nothing.
    "workspace.export_record",
    "workspace.export_refusal",
    # Builds the e-mail telling a coach's supervisor of a disclosure she made in person: a link, naming no one.
    "referrals.disclosure_in_person_notice_build",
    # Keeps a qualified service organization agreement: an organization and its dates, no woman.
    "referrals.agreement_record",
}


@pytest.mark.parametrize("service", SERVICES, ids=str)
def test_each_service_that_shows_or_changes_patient_data_logs_one_row_per_patient(world, service):
    user = getattr(world, service.who)
    for name in service.needs:
        getattr(world, name)
    call = service.prepare(world, world.by(user))
    since = _last_row()

    result = call()

    named = {patient.pk for patient in service.patients(world, result)}
    assert _patients_logged(since, user, service.action, service.record_type) == named


def _last_row() -> int:
    return AccessLog.objects.aggregate(last=Max("pk"))["last"] or 0


def _patients_logged(since: int, user, action, record_type) -> set[int]:
    """Every woman the rows name, alone (`patient`) or in a list (`patient_ids`)."""
    rows = AccessLog.objects.filter(pk__gt=since, user=user, action=action, record_type=record_type)
    assert rows.exists(), f"no {action} row for {record_type!r} by {user}"
    named: set[int] = set()
    for patient_id, patient_ids in rows.values_list("patient_id", "patient_ids"):
        named.update([patient_id] if patient_ids is None else patient_ids)
    return named


def _url_names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _url_names(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def test_every_page_of_the_patient_data_apps_is_listed_or_exempt():
    pages = {name for name in _url_names(get_resolver()) if name.split(":")[0] in PATIENT_DATA_APPS or name in EXPORTS}
    listed = {page.url_name for page in PAGES}
    accounted = listed | set(WRITTEN_THROUGH) | set(EXEMPT_PAGES) | set(EXPORTS)
    assert pages - accounted == set(), "Add the new page to PAGES"
    assert accounted - pages == set(), "A listed page no longer exists"
    assert listed.isdisjoint(EXEMPT_PAGES)
    assert set(WRITTEN_THROUGH.values()) <= {service.name for service in SERVICES}


def test_every_service_of_the_patient_data_apps_is_listed_or_exempt():
    services = {
        f"{app}.{name}"
        for app in SERVICE_APPS
        for name, function in inspect.getmembers(import_module(f"{app}.services"), inspect.isfunction)
        if function.__module__ == f"{app}.services" and not name.startswith("_")
    }
    listed = {service.name for service in SERVICES if service.name.split(".")[0] in SERVICE_APPS}
    assert services - listed - EXEMPT_SERVICES == set(), "Add the new service to SERVICES"
    assert (listed | EXEMPT_SERVICES) - services == set(), "A listed service no longer exists"
