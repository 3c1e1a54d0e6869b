"""Programs never mix: every permission helper and selector that filters by program, asked by someone of one
program, finds her program's rows and never another's. Two programs hold the same kinds of records; removing
any helper's program filter fails one of these tests (its name is in the message)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from coaching import permissions as coaching
from coaching.models import Resource
from patients import permissions as patients
from patients.models import Patient, ProgramStatus
from patients.services import consent_record
from recovery_program.audit import Actor
from referrals import permissions as referrals
from referrals.models import CPSReport, Disclosure, PatientCommunication, Referral
from referrals.services import agreement_record
from staff import permissions as staff
from staff.models import TrainingKind, TrainingRecord, TrainingRequirement
from staff.roles import Role, members_with_role
from staff.training import compliance_for
from supervision import paging
from supervision import permissions as supervision
from supervision.queue import queue_for
from supervision.services import agenda_item_add, session_record, supervision_assign
from tests.factories import (
    PatientFactory,
    ProgramFactory,
    UserFactory,
    add_shift,
    log_encounter,
    on_caseload_of,
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
)
from workspace import permissions as workspace
from workspace.overview import coach_overview, program_figures

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 3, 3, 0, tzinfo=datetime.UTC)  # Tuesday night in New York, after hours
TODAY = datetime.date(2027, 3, 2)


def _program_world(name: str, tag: str, on_call_from: datetime.datetime) -> SimpleNamespace:
    """A program with one of everything: its staff, a patient on a caseload and one waiting for a coach, an
    encounter, concerns (one urgent, which pages), clinical records, training, supervision and the rota."""
    program = ProgramFactory(name=name, time_zone="America/New_York")
    w = SimpleNamespace(program=program)
    for role, names in [(Role.SUPERVISOR, ["supervisor", "backup"]), (Role.ADMIN, ["admin"]), (Role.COACH, ["coach"])]:
        for person in names:
            setattr(w, person, UserFactory(username=f"{tag}_{person}", program=program, role=role))
    supervision_assign(actor=Actor(w.admin, None), coach=w.coach, supervisor=w.supervisor, started_on=TODAY)
    w.patient = PatientFactory(program=program, clinical_provider=w.supervisor, legal_name=f"{tag} Patient")
    on_caseload_of(w.patient, w.coach)
    w.waiting = PatientFactory(program=program, clinical_provider=w.supervisor, legal_name=f"{tag} Waiting")
    w.encounter = log_encounter(w.coach, [w.patient])
    w.concern = share_concern(w.coach, w.patient)
    w.urgent = share_concern(w.coach, w.patient, urgency="urgent_now")
    w.page = w.urgent.pages.first()
    w.resource = Resource.objects.create(program=program, name=f"{tag} meeting")
    w.referral = record_referral(w.supervisor, w.patient, concerns=[w.concern])
    w.cps_report = record_cps_report(w.supervisor, w.patient, concerns=[w.concern])
    w.communication = record_communication(w.supervisor, w.patient, concerns=[w.concern])
    w.disclosure = Disclosure.objects.get(cps_report=w.cps_report)
    w.consent = consent_record(
        actor=Actor(w.supervisor, None),
        patient=w.patient,
        fields={
            "recipient": f"{tag} FRC",
            "purpose": "x",
            "information_scope": "x",
            "signed_on": TODAY,
            "expires_on": TODAY + datetime.timedelta(days=365),
        },
        signed_form=SimpleUploadedFile("consent.pdf", b"%PDF-1.4"),
    )
    w.agreement = agreement_record(
        actor=Actor(w.supervisor, None),
        fields={"organization": f"{tag} lab", "services": "Screens", "starts_on": TODAY, "ends_on": None},
        document=SimpleUploadedFile("qsoa.pdf", b"%PDF-1.4"),
    )
    w.kind = TrainingKind.objects.create(program=program, name=f"{tag} ethics", validity_months=24)
    TrainingRequirement.objects.create(program=program, role=Role.COACH, kind=w.kind)
    w.training = TrainingRecord.objects.create(
        user=w.coach,
        kind=w.kind,
        completed_on=TODAY,
        certificate=SimpleUploadedFile("certificate.pdf", b"%PDF-1.4"),
        recorded_by=w.admin,
    )
    w.session = session_record(
        actor=Actor(w.supervisor, None),
        coach=w.coach,
        fields={"held_on": TODAY, "status": "held"},
        cases=[{"patient": w.patient, "discussion": "Housing."}],
        action_items=[{"what": "Call WIC", "owner": w.coach, "due_on": TODAY + datetime.timedelta(days=7)}],
        agenda_done=[],
        actions_done=[],
    )
    w.action_item = w.session.action_items.get()
    w.agenda_item = agenda_item_add(actor=Actor(w.coach, None), text="A boundary question", patient=w.patient)
    w.shift = add_shift(program, w.supervisor, w.backup, on_call_from, NOW + datetime.timedelta(hours=9))
    return w


@pytest.fixture
def worlds():
    """Ours (a) and theirs (b). Theirs has one more patient, so that counts differ too."""
    with time_machine.travel(NOW, tick=False):
        # Their shift starts first: a rota read without its program filter would find theirs.
        ours = _program_world("Harbor Light Recovery", "a", on_call_from=NOW - datetime.timedelta(hours=5))
        theirs = _program_world("Northfield Family Program", "b", on_call_from=NOW - datetime.timedelta(hours=6))
        extra = PatientFactory(program=theirs.program, clinical_provider=theirs.supervisor)
        on_caseload_of(extra, theirs.coach)
        yield ours, theirs


def _program_id(row) -> int:
    if hasattr(row, "program_id"):
        return row.program_id
    if hasattr(row, "coach"):  # supervision sessions
        return row.coach.program_id
    return row.concern.program_id  # pages


def _leaks(lists: dict, program) -> list[str]:
    """The helpers whose rows are empty (nothing to show they filter rather than find nothing) or hold another
    program's rows."""
    return [name for name, rows in lists.items() if not rows or {_program_id(row) for row in rows} != {program.pk}]


def _reaching(finders: dict) -> list[str]:
    """The helpers that found another program's row rather than saying there is none (404, None or False)."""
    reached = []
    for name, find in finders.items():
        try:
            found = find()
        except Http404:
            continue
        if found not in (None, False):
            reached.append(name)
    return reached


def test_patients_helpers_keep_to_her_program(worlds):
    a, b = worlds
    lists = {
        "patients_visible_to (supervisor)": list(patients.patients_visible_to(a.supervisor)),
        "patients_visible_to (coach)": list(patients.patients_visible_to(a.coach)),
        "coaches_assignable_by": list(patients.coaches_assignable_by(a.supervisor)),
        "clinical_providers_for": list(patients.clinical_providers_for(a.supervisor)),
    }
    assert _leaks(lists, a.program) == []
    ours = Patient.objects.filter(program=a.program)
    assert patients.active_caseload_size(a.supervisor) == ours.filter(status=ProgramStatus.ACTIVE).count()
    assert patients.patients_without_coach_count(a.supervisor) == 1
    assert patients.patient_counts_for(a.admin)["Enrolled"] == ours.count()
    assert _reaching({"get_patient_for_user": lambda: patients.get_patient_for_user(a.supervisor, b.patient.pk)}) == []
    # Their woman's consents: neither their summary nor their signed form reaches our staff.
    assert not patients.consent_summary_for(a.coach, b.patient).exists()
    assert not patients.consent_summary_for(a.supervisor, b.patient).exists()
    assert list(patients.consent_summary_for(b.coach, b.patient)) == [b.consent]
    signed = {
        "get_signed_consent_for_user": lambda: patients.get_signed_consent_for_user(
            a.supervisor, b.patient, b.consent.pk
        )
    }
    assert _reaching(signed) == []


def test_coaching_helpers_keep_to_her_program(worlds):
    a, b = worlds
    lists = {
        "encounters_visible_to (supervisor)": list(coaching.encounters_visible_to(a.supervisor)),
        "encounters_visible_to (coach)": list(coaching.encounters_visible_to(a.coach)),
        "patients_for_logging": list(coaching.patients_for_logging(a.coach)),
        "resources_for": list(coaching.resources_for(a.coach)),
        "resources_managed_by": list(coaching.resources_managed_by(a.admin)),
        "concerns_visible_to (supervisor)": list(coaching.concerns_visible_to(a.supervisor)),
        "concerns_visible_to (coach)": list(coaching.concerns_visible_to(a.coach)),
        "concern_queue_for": list(coaching.concern_queue_for(a.supervisor)),
        "coaches_to_filter_by": list(coaching.coaches_to_filter_by(a.supervisor)),
    }
    assert _leaks(lists, a.program) == []
    assert coaching.open_concern_counts(a.supervisor) == {"open": 2, "urgent": 1, "unseen": 2}
    finders = {
        "get_encounter_for_user": lambda: coaching.get_encounter_for_user(a.supervisor, b.encounter.pk),
        "get_concern_for_user": lambda: coaching.get_concern_for_user(a.supervisor, b.concern.pk),
        "get_patient_for_logging": lambda: coaching.get_patient_for_logging(a.coach, b.patient.pk),
        "coach_filter_for": lambda: coaching.coach_filter_for(a.supervisor, b.coach.pk),
    }
    assert _reaching(finders) == []


def test_staff_helpers_keep_to_her_program(worlds):
    a, b = worlds
    lists = {
        "staff_visible_to": list(staff.staff_visible_to(a.admin)),
        "supervisors_reachable_by": list(staff.supervisors_reachable_by(a.coach)),
        "compliance_people_for (admin)": list(staff.compliance_people_for(a.admin)),
        "compliance_people_for (supervisor)": list(staff.compliance_people_for(a.supervisor)),
        "training_kinds_for": list(staff.training_kinds_for(a.admin)),
        "members_with_role": list(members_with_role(Role.SUPERVISOR, program_id=a.program.pk)),
    }
    assert _leaks(lists, a.program) == []
    assert staff.staff_counts_for(a.admin) == {"Coaches": 1, "Supervisors": 2, "Admins": 1}
    finders = {
        "get_staff_member_for_user": lambda: staff.get_staff_member_for_user(a.admin, b.coach.pk),
        "get_staff_member_for_manager": lambda: staff.get_staff_member_for_manager(a.admin, b.coach.pk),
        "can_see_training_of": lambda: staff.can_see_training_of(a.admin, b.coach),
        "get_member_for_training": lambda: staff.get_member_for_training(a.admin, b.coach.pk),
        "get_certificate_for_user": lambda: staff.get_certificate_for_user(a.admin, b.training.pk),
    }
    assert _reaching(finders) == []
    # Her compliance is measured against her own program's requirements only.
    assert compliance_for([a.coach], TODAY)[a.coach.pk].status == "compliant"


def test_supervision_helpers_keep_to_her_program(worlds):
    a, b = worlds
    lists = {
        "supervisees_of": list(supervision.supervisees_of(a.supervisor)),
        "coaches_supervised_by": list(supervision.coaches_supervised_by(a.supervisor)),
        "sessions_visible_to (supervisor)": list(supervision.sessions_visible_to(a.supervisor)),
        "sessions_visible_to (coach)": list(supervision.sessions_visible_to(a.coach)),
        "paging.supervisors_of": list(paging.supervisors_of(a.program)),
        "paging.on_call_at": [paging.on_call_at(a.program, NOW)],
    }
    assert _leaks(lists, a.program) == []
    with time_machine.travel(NOW, tick=False):
        the_queue = queue_for(a.supervisor, a.coach, TODAY)
        reach = paging.reachable_now(a.coach, NOW)
    assert the_queue.patient_ids() == {a.patient.pk}
    assert reach.shift == a.shift
    assert reach.on_call == a.shift.primary
    finders = {
        "get_coach_for_supervision": lambda: supervision.get_coach_for_supervision(a.admin, b.coach.pk),
        "get_coach_for_queue": lambda: supervision.get_coach_for_queue(a.supervisor, b.coach.pk),
        "get_session_for_user": lambda: supervision.get_session_for_user(a.supervisor, b.session.pk),
        "get_page_for_user": lambda: supervision.get_page_for_user(a.supervisor, b.page.pk),
        "get_action_item_for_update": lambda: supervision.get_action_item_for_update(a.supervisor, b.action_item.pk),
        "can_assign_supervisor_of": lambda: supervision.can_assign_supervisor_of(a.admin, b.coach),
    }
    assert _reaching(finders) == []


def test_referrals_helpers_keep_to_her_program(worlds):
    a, b = worlds
    models = [Referral, CPSReport, PatientCommunication, Disclosure]
    lists = {f"records_visible_to ({m.__name__})": list(referrals.records_visible_to(a.supervisor, m)) for m in models}
    lists["clinical_staff_of"] = list(referrals.clinical_staff_of(a.supervisor))
    lists["agreements_visible_to"] = list(referrals.agreements_visible_to(a.supervisor))
    assert _leaks(lists, a.program) == []
    outcome = referrals.records_for_concern(a.supervisor, a.concern)
    assert outcome == {"referrals": [a.referral], "cps_reports": [a.cps_report], "communications": [a.communication]}
    theirs = {
        Referral: b.referral,
        CPSReport: b.cps_report,
        PatientCommunication: b.communication,
        Disclosure: b.disclosure,
    }
    finders = {
        f"get_record_for_user ({m.__name__})": lambda m=m: referrals.get_record_for_user(a.supervisor, m, theirs[m].pk)
        for m in models
    }
    finders["get_patient_for_recording"] = lambda: referrals.get_patient_for_recording(
        a.supervisor, Referral, b.patient.pk
    )
    finders["get_agreement_for_user"] = lambda: referrals.get_agreement_for_user(a.supervisor, b.agreement.pk)
    finders["get_patient_for_in_person"] = lambda: referrals.get_patient_for_in_person(a.coach, b.patient.pk)
    assert _reaching(finders) == []


def test_workspace_overview_and_figures_keep_to_her_program(worlds):
    a, b = worlds
    with time_machine.travel(NOW, tick=False):
        everyone = workspace.overview_coaches_for(a.supervisor, everyone=True, coach_id=None)
        hers = workspace.overview_coaches_for(a.supervisor, everyone=False, coach_id=None)
        overview = coach_overview(a.supervisor, everyone, mine=False, now=NOW)
        theirs = coach_overview(a.supervisor, [b.coach], mine=False, now=NOW)
        figures = program_figures(a.admin, now=NOW)
    lists = {
        "overview_coaches_for (everyone)": everyone,
        "overview_coaches_for (hers)": hers,
        "program_figures (supervision)": [coach for coach, _ in figures.supervision],
        "program_figures (encounters)": [coach for coach, _, _ in figures.encounters],
    }
    assert _leaks(lists, a.program) == []
    row = overview.rows[0]
    assert (row.caseload, row.encounters_this_week, row.concerns_open) == (1, 1, 2)
    assert figures.staff_by_role == {"Coaches": 1, "Supervisors": 2, "Admins": 1}
    # Handed another program's coach, nothing of hers is counted.
    other = theirs.rows[0]
    assert (other.caseload, other.encounters_this_week, other.concerns_open, other.action_items_overdue) == (0, 0, 0, 0)
    assert other.last_supervision is None
    assert other.training is None
    finders = {
        "overview_coaches_for (their coach)": lambda: workspace.overview_coaches_for(
            a.supervisor, everyone=False, coach_id=str(b.coach.pk)
        ),
    }
    assert _reaching(finders) == []


def test_workspace_reports_count_her_program_only(worlds):
    a, b = worlds
    sources = workspace.report_sources_for(a.supervisor)
    assert _leaks({"report encounters": sources.encounters, "report coaches": sources.coaches}, a.program) == []
    programs = {
        "episodes": set(sources.episodes.values_list("program", flat=True)),
        "encounter patients": set(sources.encounter_patients.values_list("patient__program", flat=True)),
        "concerns": set(sources.concerns.values_list("program", flat=True)),
        "referrals": set(sources.referrals.values_list("program", flat=True)),
        "referral changes": set(sources.referral_changes.values_list("referral__program", flat=True)),
        "sessions": set(sources.sessions.values_list("coach__program", flat=True)),
    }
    assert {name: ids for name, ids in programs.items() if ids - {a.program.pk}} == {}
    assert _reaching({"report_sources_for (their admin)": lambda: workspace.report_sources_for(b.admin)}) == []
