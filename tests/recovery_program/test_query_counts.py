"""Every page runs the same number of SQL queries whatever the amount of data behind it."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coaching.models import Appointment, Reminder
from patients.models import Child, Pregnancy
from patients.services import (
    child_custody_save,
    child_save,
    discharge_reasons_for,
    grant_interview_record,
    pregnancy_save,
)
from recovery_program.audit import Actor
from referrals.services import agreement_record, disclosure_in_person_record, disclosure_record
from staff.models import TrainingKind
from staff.services import program_setup, training_record_add
from supervision.models import ActionItem, AgendaItem, SupervisionSession
from supervision.services import supervision_assign
from tests.factories import (
    ConsentFactory,
    PatientFactory,
    add_appointment,
    add_reminder,
    log_encounter,
    make_goal,
    make_safety_plan,
    on_caseload_of,
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
)

pytestmark = pytest.mark.django_db


def _grow(size, *, coach, supervisor, admin, patient):
    """`size` more of everything around `patient` and `coach`."""
    for _ in range(size):
        other = PatientFactory(program=coach.program, clinical_provider=supervisor)
        on_caseload_of(other, coach)
        encounter = log_encounter(
            coach,
            [patient, other],
            notes={patient.pk: "Hers.", other.pk: "The other's."},
            naloxone_kits=2,
            test_strips=10,
        )
        # Plans to list in the weekly queue, and one more version of hers.
        make_safety_plan(coach, other, reviewed=False)
        make_safety_plan(coach, patient, what_helps=f"version {encounter.pk}")
        concern = share_concern(coach, patient, urgency="within_24h")
        consent = ConsentFactory(patient=patient)
        _disclosures(coach, supervisor, patient, consent)
        record_referral(supervisor, patient, concerns=[concern])
        record_cps_report(supervisor, patient, concerns=[concern])
        record_communication(supervisor, patient, concerns=[concern])
        session = SupervisionSession.objects.create(coach=coach, supervisor=supervisor, held_on=timezone.localdate())
        ActionItem.objects.create(session=session, what="Call", owner=coach, due_on=timezone.localdate())
        AgendaItem.objects.create(coach=coach, text="A question", patient=other)
        # Her week: an appointment and a reminder with each of them.
        add_appointment(coach, other)
        add_reminder(coach, patient)
        # Her intake interview five months ago: her follow-up comes up in the interviews due.
        grant_interview_record(
            actor=Actor(coach, None),
            patient=other,
            kind="intake",
            outcome="done",
            dated_on=timezone.localdate() - datetime.timedelta(days=150),
        )
        training_record_add(
            actor=Actor(admin, None),
            user=coach,
            fields={
                "kind": TrainingKind.objects.filter(program=coach.program).first(),
                "completed_on": timezone.localdate(),
                "hours": 1,
                "provider": "",
                "expires_on": None,
            },
        )
        log_encounter(coach, [other], summary=f"encounter {encounter.pk}")
        # Recovery plans with steps due this week across her caseload, and more of hers (up to her cap of goals).
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        make_goal(coach, other, steps=[("Call the clinic", tomorrow), ("Visit", None)], done=1)
        if patient.recovery_goals.filter(status="active").count() < 8:
            make_goal(coach, patient, steps=[("Step one", tomorrow), ("Step two", None)], done=1)
        _family(coach, supervisor, patient)


def _family(coach, supervisor, patient):
    """One more child of hers (with custody, on a CPS report) and one more delivered pregnancy."""
    long_ago = timezone.localdate() - datetime.timedelta(days=400)
    kid = child_save(actor=Actor(supervisor, None), patient=patient, child=Child(first_name="Kit", birth_year=2020))
    child_custody_save(actor=Actor(supervisor, None), child=kid, fields={"custody": "with_her", "cps": "none"})
    record_cps_report(supervisor, patient, children=[kid])
    pregnancy = Pregnancy(due_date=long_ago, delivery_date=long_ago, infant_withdrawal="no")
    pregnancy_save(actor=Actor(coach, None), patient=patient, pregnancy=pregnancy)


def _disclosures(coach, supervisor, patient, consent):
    """One told in person by her coach on her consent, one under a service agreement (with the agreement)."""
    today = timezone.localdate()
    told = {"disclosed_on": today, "information": "Attendance", "purpose": "Class", "legal_basis": "consent"}
    disclosure_in_person_record(
        actor=Actor(coach, None), patient=patient, fields=told | {"recipient": consent.recipient, "consent": consent}
    )
    agreement = agreement_record(
        actor=Actor(supervisor, None),
        fields={"organization": "Lab", "services": "Screens", "starts_on": today, "ends_on": None},
        document=SimpleUploadedFile("qsoa.pdf", b"%PDF-1.4"),
    )
    disclosure_record(
        actor=Actor(supervisor, None),
        patient=patient,
        fields=told | {"recipient": "Lab", "legal_basis": "qsoa", "agreement": agreement},
    )


def _pages(coach, patient):
    encounter = coach.encounters.order_by("pk").first()
    concern = coach.concerns_shared.order_by("pk").first()
    referral = patient.pk and concern.referrals.first()
    appointment = Appointment.objects.filter(coach=coach).order_by("pk").first()
    reminder = Reminder.objects.filter(coach=coach).order_by("pk").first()
    return {
        "supervisor": [
            reverse("home"),
            reverse("patients:list"),
            reverse("patients:detail", args=[patient.pk]),
            reverse("patients:access_log", args=[patient.pk]),
            reverse("coaching:encounter_list"),
            reverse("coaching:encounter_detail", args=[encounter.pk]),
            reverse("coaching:encounter_detail", args=[encounter.pk]) + f"?patient={patient.pk}",
            reverse("coaching:encounter_list") + f"?patient={patient.pk}",
            reverse("coaching:concern_list"),
            reverse("coaching:concern_list") + "?mine=1",
            reverse("patients:list") + "?mine=on",
            reverse("coaching:concern_detail", args=[concern.pk]),
            reverse("referrals:patient_actions", args=[patient.pk]),
            reverse("referrals:referral_detail", args=[referral.pk]),
            reverse("referrals:accounting", args=[patient.pk]),
            reverse("referrals:disclosure_new", args=[patient.pk]),
            reverse("referrals:agreements"),
            reverse("patients:consent_signed_form_add", args=[patient.pk, patient.consents.order_by("pk").first().pk]),
            reverse("supervision:queue", args=[coach.pk]),
            reverse("coaching:safety_plan", args=[patient.pk]),
            reverse("coaching:safety_plan_history", args=[patient.pk]),
            reverse("coaching:recovery_plan", args=[patient.pk]),
            reverse("coaching:recovery_plan_history", args=[patient.pk]),
            reverse("supervision:weeks"),
            reverse("coaching:coach_week", args=[coach.pk]),
            reverse("coaching:week") + f"?coach={coach.pk}",
            reverse("supervision:rota"),
            reverse("overview"),
            reverse("overview") + "?all=1&mine=1",
            reverse("reports"),
            reverse("reports") + f"?period=grant_year&coach={coach.pk}",
            reverse("reports") + "?download=encounters",
            reverse("exports"),
            reverse("staff:training", args=[coach.pk]),
            reverse("patients:transfer", args=[patient.pk]),
            reverse("patients:cover"),
            reverse("staff:discharge_reasons"),
            reverse("patients:interviews_due"),
            reverse("patients:interviews_due") + f"?coach={coach.pk}",
            reverse("patients:interview_record", args=[patient.pk]),
            _interview_correct_url(coach.program),
            reverse("account"),
        ],
        "coach": [
            reverse("home"),
            reverse("patients:list"),
            reverse("patients:detail", args=[patient.pk]),
            reverse("patients:told_in_person", args=[patient.pk]),
            reverse("coaching:encounter_list"),
            reverse("coaching:encounter_detail", args=[encounter.pk]),
            reverse("coaching:encounter_new"),
            reverse("coaching:concern_list"),
            reverse("coaching:concern_detail", args=[concern.pk]),
            reverse("supervision:queue", args=[coach.pk]),
            reverse("coaching:safety_plan", args=[patient.pk]),
            reverse("coaching:safety_plan_edit", args=[patient.pk]),
            reverse("coaching:week"),
            reverse("coaching:appointment_new"),
            reverse("coaching:reminder_new"),
            reverse("coaching:appointment_edit", args=[appointment.pk]),
            reverse("coaching:reminder_edit", args=[reminder.pk]),
            reverse("coaching:recovery_plan", args=[patient.pk]),
            reverse("coaching:goal_new", args=[patient.pk]),
            reverse("staff:my_training"),
            reverse("patients:interviews_due"),
            reverse("patients:interview_record", args=[patient.pk]),
            reverse("account"),
        ],
        "admin": [
            reverse("home"),
            reverse("staff:list"),
            reverse("staff:compliance"),
            reverse("staff:detail", args=[coach.pk]),
            reverse("program_figures"),
            reverse("account"),
        ],
    }


def _counts(client_for, users, pages):
    counts = {}
    for who, urls in pages.items():
        client = client_for(users[who])
        client.get(reverse("home"))  # the first request after logging in settles the session; not measured
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, follow=True)
            assert response.status_code == 200, url
            counts[(who, url)] = len(queries)
    return counts


def test_pages_run_the_same_queries_with_three_or_thirty_of_everything(
    client_for, coach, supervisor, admin, patient, program
):
    program_setup(program=program)
    discharge_reasons_for(program)  # a program's first look at its reasons writes the defaults, once
    supervision_assign(
        actor=Actor(admin, None),
        coach=coach,
        supervisor=supervisor,
        started_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    users = {"coach": coach, "supervisor": supervisor, "admin": admin}
    _grow(3, coach=coach, supervisor=supervisor, admin=admin, patient=patient)
    pages = _pages(coach, patient)
    small = _counts(client_for, users, pages)
    _grow(27, coach=coach, supervisor=supervisor, admin=admin, patient=patient)
    large = _counts(client_for, users, pages)
    grew = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert grew == {}
    # The heaviest are a woman's page (a supervisor's 32, a coach's 30, which asked her permissions on the woman
    # eight times until they were read once a page: 44) and the supervisor's home (31): one or two queries for
    # each block (safety plan, BARC-10, recovery plan, pregnancy and children, interviews, …), none growing.
    assert max(large.values()) <= 32


def _interview_correct_url(program) -> str:
    """A supervisor's correction form for one of the interviews recorded above."""
    from patients.models import GrantInterview

    interview = GrantInterview.objects.filter(program=program).order_by("pk").first()
    return reverse("patients:interview_correct", args=[interview.patient_id, interview.pk])
