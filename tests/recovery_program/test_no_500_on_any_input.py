"""No input gives a 500: garbage in every form and every query parameter the views read.

Each form is found on its page (the form whose action is the URL), filled with what the page offers, and then
some of its fields are replaced by garbage: arbitrary text and unicode, NUL bytes, huge values, wrong types,
several values, or nothing at all. The answer is a success, a page with a clear message, a 404 or a redirect,
never a 500; and a submission that failed stores nothing.

To cover a new form or query parameter, add a row to FORMS or QUERIES; a URL in neither table fails
`test_every_url_is_in_a_table`. CI tries a few examples of each, the same ones every run; to hunt for more,
run this file with FUZZ_EXAMPLES=200 (and FUZZ_RANDOM=1 for new ones each run).
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.models import Appointment, Barc10, Concern, Encounter, GoalStep, RecoveryGoal, Reminder, Resource
from patients.models import (
    BreakGlass,
    Child,
    Consent,
    CoverGrant,
    DischargeReason,
    GrantInterview,
    Patient,
    Pregnancy,
)
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from referrals.models import CPSReport, PatientCommunication, Referral
from staff.models import TrainingKind, TrainingRequirement, User
from supervision.models import (
    ActionItem,
    AgendaItem,
    DualRelationship,
    OnCallShift,
    Page,
    ShiftCover,
    SupervisionSession,
    Unavailability,
)

# Posts go exactly as built here: a left-out one-time key stays left out (tests/conftest.py adds one otherwise).
pytestmark = [pytest.mark.django_db, pytest.mark.raw_posts]

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "6")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- The seeded program, once for the module (seeding takes seconds; each test rolls back to it) ---------------


@pytest.fixture(scope="module")
def seeded(request, django_db_setup, django_db_blocker):
    start = request.config.getoption("clock") or datetime.datetime.now(datetime.UTC)
    with django_db_blocker.unblock(), time_machine.travel(start, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _coach1_patient() -> Patient:
    return Patient.objects.filter(assignments__coach__username="coach1", assignments__ended_on__isnull=True).first()


def _of(model, **lookups) -> Callable[[], int]:
    return lambda: model.objects.filter(**lookups).order_by("pk").values_list("pk", flat=True).first()


@dataclass(frozen=True)
class Form:
    """A form URL, who fills it in (the deepest path), its URL's arguments, and the page it is on when the URL
    answers only POST (otherwise the URL itself); or its fields, for a button the seeded pages do not show."""

    url: str
    who: str | None
    kwargs: dict[str, Callable[[], object]] = field(default_factory=dict)
    page: str | None = None
    page_kwargs: dict[str, Callable[[], object]] | None = None
    fields: dict[str, list[str]] | None = None


def _patient():
    return _coach1_patient().pk


def _encounter():
    return Encounter.objects.filter(coach__username="coach1").order_by("pk").first().pk


def _concern():
    return Concern.objects.filter(coach__username="coach1", closed_at__isnull=True).order_by("pk").first().pk


def _coach():
    return _user("coach1").pk


def _break_glass():
    """A record another supervisor opened in an emergency (made here, in the test's transaction: the demo has none)."""
    grant = BreakGlass.objects.order_by("pk").first()
    if grant is None:
        opener = User.objects.filter(program=_user("supervisor1").program, groups__name="supervisor")
        opener = opener.exclude(username="supervisor1").order_by("pk").first()
        now = timezone.now()
        grant = BreakGlass.objects.create(
            program=opener.program,
            patient=_coach1_patient(),
            user=opener,
            reason="She was in danger",
            opened_at=now,
            ends_at=now + datetime.timedelta(hours=1),
        )
    return grant.pk


def _interview_of_supervisor1():
    """A recorded interview of supervisor1's program (the demo records them)."""
    return _of(GrantInterview, program=_user("supervisor1").program, kind="follow_up")()


def _cover():
    """A cover of coach1's caseload by coach2 this week (made here, in the test's transaction: the demo has none)."""
    cover = CoverGrant.objects.filter(ended_early_at__isnull=True).order_by("pk").first()
    if cover is None:
        today = timezone.localdate()
        cover = CoverGrant.objects.create(
            program=_user("coach1").program,
            covering=_user("coach2"),
            covered=_user("coach1"),
            starts_on=today,
            ends_on=today + datetime.timedelta(days=3),
            created_by=_user("supervisor1"),
        )
    return cover.pk


PATIENT = {"pk": _patient}
ENCOUNTER = {"pk": _encounter}
CONCERN = {"pk": _concern}
COACH = {"pk": _coach}
REFERRAL = {"pk": _of(Referral)}
# A woman of coach1's caseload with a safety plan (the demo gives three of them one).
PLANNED = {"pk": _of(Patient, safety_plan__isnull=False, assignments__coach__username="coach1")}

# A goal she works on, and an open step of one, of a woman of coach1's caseload (the demo gives several a plan).
GOAL = {"pk": _of(RecoveryGoal, status="active", patient__assignments__coach__username="coach1")}
GOAL_PATIENT = {"pk": lambda: RecoveryGoal.objects.filter(pk=GOAL["pk"]()).values_list("patient_id", flat=True).first()}
STEP = {"pk": _of(GoalStep, status="open", goal__status="active")}
STEP_PATIENT = {
    "pk": lambda: GoalStep.objects.filter(pk=STEP["pk"]()).values_list("goal__patient_id", flat=True).first()
}

# A BARC-10 coach1 entered (the demo enters them as it runs, so within its 72 hours), and its woman.
BARC10 = {
    "pk": lambda: (
        Barc10.objects.filter(entered_by__username="coach1").order_by("pk").values_list("patient", flat=True)[0]
    ),
    "barc_pk": _of(Barc10, entered_by__username="coach1"),
}


def _shift_ahead():
    """The last shift of the demo's rota (removing it leaves no gap)."""
    return OnCallShift.live.order_by("-starts_at").values_list("pk", flat=True).first()


SHIFT = {"pk": _shift_ahead}
# coach1's first planned appointment and open reminder in the demo's week.
APPOINTMENT = {"pk": _of(Appointment, coach__username="coach1", status="planned"), "status": lambda: "cancelled"}
REMINDER = {"pk": _of(Reminder, coach__username="coach1", status="open"), "status": lambda: "done"}

FORMS = [
    Form("patients:enroll", "supervisor1"),
    Form("patients:contact", "coach1", PATIENT),
    Form("patients:edit", "supervisor1", PATIENT),
    Form("patients:status", "supervisor1", PATIENT),
    Form("patients:assign", "supervisor1", PATIENT),
    Form("patients:unassign", "supervisor1", PATIENT, page="patients:assign", page_kwargs=PATIENT),
    Form("patients:consent_add", "supervisor1", PATIENT),
    Form(
        "patients:consent_revoke",
        "supervisor1",
        {"pk": lambda: Consent.objects.order_by("pk").first().patient_id, "consent_pk": _of(Consent)},
    ),
    Form(
        "patients:consent_signed_form_add",
        "supervisor1",
        {"pk": lambda: Consent.objects.order_by("pk").first().patient_id, "consent_pk": _of(Consent)},
    ),
    Form("patients:told_in_person", "coach1", PATIENT),
    Form("patients:child_add", "supervisor1", PATIENT),
    Form("patients:cover", "supervisor1"),
    Form("patients:cover_end", "supervisor1", {"pk": _cover}, fields={}),
    Form("patients:transfer", "supervisor1", PATIENT),
    Form("patients:discharge", "supervisor1", PATIENT),
    Form("patients:reenroll", "supervisor1", {"pk": _of(Patient, status="discharged")}),
    Form("patients:higher_care", "supervisor1", PATIENT),
    Form("patients:interview_record", "coach1", PATIENT),
    Form(
        "patients:interview_correct",
        "supervisor1",
        {
            "pk": lambda: GrantInterview.objects.get(pk=_interview_of_supervisor1()).patient_id,
            "interview_pk": _interview_of_supervisor1,
        },
    ),
    Form("patients:higher_care_end", "supervisor1", {"pk": _of(Patient, higher_care_stays__ended_on__isnull=True)}),
    Form(
        "patients:child_edit",
        "supervisor1",
        {"pk": lambda: Child.objects.order_by("pk").first().patient_id, "child_pk": _of(Child)},
    ),
    Form(
        "patients:child_custody",
        "supervisor1",
        {"pk": lambda: Child.objects.order_by("pk").first().patient_id, "child_pk": _of(Child)},
    ),
    Form("patients:pregnancy_add", "coach1", PATIENT),
    Form(
        "patients:pregnancy_edit",
        "supervisor1",
        {"pk": lambda: Pregnancy.objects.order_by("pk").first().patient_id, "pregnancy_pk": _of(Pregnancy)},
    ),
    Form("coaching:encounter_new", "coach1"),
    Form("coaching:encounter_edit", "coach1", ENCOUNTER),
    Form("coaching:encounter_addendum", "coach1", ENCOUNTER),
    Form("coaching:encounter_error", "coach1", ENCOUNTER),
    Form("coaching:encounter_draft_discard", "coach1", page="coaching:encounter_new"),
    Form("coaching:encounter_edit_draft", "coach1", ENCOUNTER, page="coaching:encounter_edit", page_kwargs=ENCOUNTER),
    Form("coaching:concern_new", "coach1"),
    Form("coaching:concern_draft_discard", "coach1", page="coaching:concern_new"),
    Form("coaching:concern_acknowledge", "supervisor1", CONCERN, page="coaching:concern_detail", page_kwargs=CONCERN),
    Form("coaching:concern_note", "supervisor1", CONCERN, page="coaching:concern_detail", page_kwargs=CONCERN),
    Form("coaching:concern_close", "supervisor1", CONCERN, page="coaching:concern_detail", page_kwargs=CONCERN),
    Form("coaching:draft_save", "coach1", {"form": lambda: "encounter"}, page="coaching:encounter_new"),
    Form("coaching:resources", "admin1"),
    Form("coaching:safety_plan_edit", "coach1", PATIENT),
    Form("coaching:barc10_new", "coach1", PATIENT),
    Form("coaching:barc10_correct", "coach1", BARC10),
    Form("coaching:safety_plan_review", "coach1", PLANNED, page="coaching:safety_plan", page_kwargs=PLANNED),
    Form("coaching:resource_edit", "admin1", {"pk": _of(Resource)}),
    Form("coaching:appointment_new", "coach1"),
    Form("coaching:reminder_new", "coach1"),
    Form("coaching:appointment_close", "coach1", APPOINTMENT, page="coaching:week"),
    Form("coaching:reminder_close", "coach1", REMINDER, page="coaching:week"),
    Form("coaching:appointment_edit", "coach1", {"pk": APPOINTMENT["pk"]}),
    Form("coaching:reminder_edit", "coach1", {"pk": REMINDER["pk"]}),
    Form("coaching:goal_new", "coach1", PATIENT),
    Form("coaching:goal_edit", "coach1", GOAL),
    Form("coaching:goal_step_new", "coach1", GOAL),
    Form("coaching:goal_close", "coach1", GOAL, page="coaching:recovery_plan", page_kwargs=GOAL_PATIENT),
    Form("coaching:goal_step_mark", "coach1", STEP, page="coaching:recovery_plan", page_kwargs=STEP_PATIENT),
    Form("referrals:referral_new", "supervisor1", {"patient_pk": _patient}),
    Form("referrals:cps_report_new", "supervisor1", {"patient_pk": _patient}),
    Form("referrals:communication_new", "supervisor1", {"patient_pk": _patient}),
    Form("referrals:disclosure_new", "supervisor1", {"patient_pk": _patient}),
    Form(
        "referrals:draft_save",
        "supervisor1",
        {"patient_pk": _patient, "kind": lambda: "cps-reports"},
        page="referrals:cps_report_new",
        page_kwargs={"patient_pk": _patient},
    ),
    Form("referrals:referral_edit", "supervisor1", REFERRAL),
    Form("referrals:referral_status", "supervisor1", REFERRAL, page="referrals:referral_detail", page_kwargs=REFERRAL),
    Form("referrals:cps_report_edit", "supervisor1", {"pk": _of(CPSReport)}),
    Form("referrals:communication_edit", "supervisor1", {"pk": _of(PatientCommunication)}),
    Form("referrals:agreement_new", "supervisor1"),
    Form("supervision:coach_supervisor", "admin1", COACH),
    Form("supervision:rota", "supervisor1"),
    Form("supervision:shift_edit", "supervisor1", SHIFT),
    Form("supervision:shift_swap", "supervisor1", SHIFT),
    Form("supervision:shift_remove", "supervisor1", SHIFT),
    Form("supervision:cover_add", "supervisor1", SHIFT),
    Form("supervision:cover_remove", "supervisor1", {"pk": _of(ShiftCover)}),
    Form("supervision:away", "supervisor2"),
    Form("supervision:away_remove", "supervisor2", {"pk": _of(Unavailability)}),
    Form("supervision:page", "supervisor1", {"pk": _of(Page)}, fields={}),
    Form("supervision:on_call", "supervisor1", CONCERN, fields={}),
    Form("supervision:agenda_add", "coach1"),
    Form("supervision:check_in_add", "coach1"),
    Form("supervision:boundary_question_add", "coach1"),
    Form(
        "supervision:boundary_answer",
        "supervisor1",
        {"pk": lambda: AgendaItem.objects.filter(kind="boundary", coach__username="coach1").first().pk},
        page="supervision:queue",
        page_kwargs={"coach_pk": _coach},
    ),
    Form("supervision:dual_relationship_add", "coach1"),
    Form("supervision:dual_relationship_decide", "supervisor1", {"pk": _of(DualRelationship)}),
    Form("supervision:session_new", "supervisor1", {"coach_pk": _coach}),
    Form(
        "supervision:session_draft",
        "supervisor1",
        {"coach_pk": _coach},
        page="supervision:session_new",
        page_kwargs={"coach_pk": _coach},
    ),
    Form("supervision:session_edit", "supervisor1", {"pk": _of(SupervisionSession)}),
    Form("supervision:action_item_done", "supervisor1", {"pk": _of(ActionItem)}, fields={}),
    Form("supervision:page_release", "supervisor1", {"pk": _of(Page)}, fields={"decision": ["send", "drop"]}),
    # The demo's supervisors see every woman of the program, so this form is a 404 to them; its fields as the page
    # gives them (tests/supervision/test_break_glass.py fills it for a program that keeps supervisors to their own).
    Form(
        "supervision:break_glass",
        "supervisor1",
        fields={"legal_name": [""], "date_of_birth": [""], "reason": [""], FIELD: [str(uuid.uuid4())]},
    ),
    Form("supervision:break_glass_review", "supervisor1", {"pk": _break_glass}),
    Form("exports", "supervisor1"),
    Form("staff:new", "admin1"),
    Form("staff:program", "admin1"),
    Form("staff:edit", "admin1", COACH),
    Form("staff:role", "admin1", COACH, page="staff:detail", page_kwargs=COACH),
    Form("staff:reactivate", "admin1", COACH, fields={}),
    Form("staff:password_link", "admin1", COACH, page="staff:detail", page_kwargs=COACH),
    Form("staff:two_step_off", "admin1", COACH, fields={"confirmed": ["yes"]}),
    Form("staff:deactivate", "admin1", COACH),
    Form("staff:role_propose", "supervisor1", COACH, page="staff:detail", page_kwargs=COACH),
    Form("staff:training_add", "admin1", COACH),
    Form("staff:training_kinds", "admin1"),
    Form("staff:training_kind_edit", "admin1", {"pk": _of(TrainingKind)}),
    Form("staff:requirement_remove", "admin1", {"pk": _of(TrainingRequirement)}),
    Form("staff:discharge_reasons", "supervisor1"),
    Form("staff:discharge_reason_edit", "supervisor1", {"pk": _of(DischargeReason, code="moved")}),
    Form("login", None),
    Form("password_ask", None),
    Form("two_step_setup", "coach1"),
    Form("password_change", "coach1"),
    Form("account", "coach1"),
    # The login page's language buttons (Django's set_language): a code and where to go back to.
    Form(
        "set_language", None, fields={"language": ["es", "en", "xx"], "next": ["/login/", "https://elsewhere.example/"]}
    ),
]


@dataclass(frozen=True)
class Query:
    """A page and the query parameters its view reads (grep `request.GET`, and the page's filter form)."""

    url: str
    who: str
    params: tuple[str, ...]
    kwargs: dict[str, Callable[[], object]] = field(default_factory=dict)


QUERIES = [
    Query("patients:list", "supervisor1", ("q", "status", "coach", "needs_coach", "mine", "page")),
    Query("patients:list", "coach1", ("q", "status", "page")),
    Query("patients:access_log", "supervisor1", ("page",), PATIENT),
    Query("patients:interviews_due", "supervisor1", ("coach", "page")),
    Query("patients:interviews_due", "coach1", ("page",)),
    Query("coaching:encounter_list", "supervisor1", ("patient", "coach", "week", "mine", "until", "older", "newer")),
    Query("coaching:encounter_list", "coach1", ("patient", "coach", "week", "mine", "until", "older", "newer")),
    Query("coaching:concern_list", "supervisor1", ("show", "coach", "mine", "page")),
    Query("coaching:concern_list", "coach1", ("show", "page")),
    Query("coaching:concern_new", "coach1", ("encounter", "patient")),
    Query("coaching:encounter_new", "coach1", ("patient", "appointment")),
    Query("coaching:week", "coach1", ("from", "coach")),
    Query("coaching:week", "supervisor1", ("from", "coach")),
    Query("coaching:coach_week", "supervisor1", ("from",), COACH),
    Query("coaching:appointment_new", "coach1", ("patient",)),
    Query("coaching:reminder_new", "coach1", ("patient",)),
    Query("referrals:referral_new", "supervisor1", ("concern",), {"patient_pk": _patient}),
    Query("referrals:cps_report_new", "supervisor1", ("concern",), {"patient_pk": _patient}),
    Query("referrals:communication_new", "supervisor1", ("concern",), {"patient_pk": _patient}),
    Query("referrals:disclosure_new", "supervisor1", ("concern",), {"patient_pk": _patient}),
    Query("supervision:rota", "supervisor1", ("page",)),
    Query("coaching:safety_plan_history", "supervisor1", ("page",), PATIENT),
    Query("coaching:recovery_plan_history", "supervisor1", ("page", "steps"), PATIENT),
    Query("coaching:barc10", "coach1", ("page",), PATIENT),
    Query("referrals:agreements", "supervisor1", ("page",)),
    Query("overview", "supervisor1", ("coach", "all", "mine")),
    Query("reports", "supervisor1", ("period", "start", "end", "coach", "download")),
    Query("exports", "supervisor1", ("kind",)),
    Query("patients:export", "supervisor1", ("starts_on", "ends_on", "coach", "kind", "identified", "reason")),
    Query("staff:list", "admin1", ("page",)),
    Query("staff:history", "admin1", ("member", "page")),
    Query("staff:compliance", "admin1", ("page",)),
    Query("two_step_verify", "coach1", ("next",)),
]

# Pages with neither a form nor a query parameter of their own, and Django's own pages.
PLAIN_PAGES = {
    "service_worker",
    "home",
    "program_figures",
    "login",
    "logout",
    "password_change_done",
    "password_reset_confirm",
    "password_reset_complete",
    "two_step_off",
    "healthz",
    "healthz_web",
    # Twilio's delivery receipts: garbage with no valid signature is a 403; signed garbage is
    # tests/supervision/test_paging_twilio.py::test_signed_garbage_in_a_receipt_changes_nothing_and_is_no_500.
    "sms_receipt",
    "admin_login",
    "patients:detail",
    "coaching:encounter_detail",
    "coaching:concern_detail",
    "coaching:safety_plan",
    "coaching:recovery_plan",
    "referrals:patient_actions",
    "referrals:accounting",
    "referrals:referral_detail",
    "referrals:referral_summary",
    "referrals:cps_report_detail",
    "referrals:communication_detail",
    # The signed consent and the signed agreement: documents sent by checked views, reading no input.
    "patients:consent_signed_form",
    "referrals:agreement_document",
    "supervision:reach",
    "supervision:queues",
    "supervision:queue",
    "supervision:session",
    "supervision:weeks",
    "staff:detail",
    "staff:training",
    "staff:my_training",
    "staff:certificate",
    "staff:compliance_csv",
    # Answers only a proposal's decider; the demo holds no proposal (tests/staff cover approve and decline, and a
    # decision other than "approve" declines).
    "staff:role_change_decide",
    # Asks for her password before anything; the demo's staff have no authenticator yet (tests/staff/test_two_step).
    "two_step_recovery_codes",
}


# --- What garbage looks like -------------------------------------------------------------------------------------

ODD_VALUES = [
    "",
    " ",
    "\x00",
    "1\x00",
    "0",
    "-1",
    "9" * 30,
    "1e309",
    "NaN",
    "1.5",
    "\u0663",  # ARABIC-INDIC DIGIT THREE
    "\uff11\uff12",  # FULLWIDTH 12
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "24:61",
    "true",
    "on",
    "<script>alert(1)</script>",
    "'; SELECT 1; --",
    "x" * 100_000,
]
GARBAGE = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(max_size=40),
    st.text(min_size=1, max_size=20).map(lambda text: text + "\x00" + text),
    st.integers().map(str),
    st.lists(st.text(max_size=10), min_size=2, max_size=3),
)
MISSING = object()


class _Forms(HTMLParser):
    """Every <form> on a page: its action and its fields with the values the page gives them."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, list[str]], dict[str, list[str]]]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}, {}))
            return
        if not self.forms:
            return
        _action, values, options = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button"}:
            values.setdefault(name, [])
            if attrs.get("type") not in {"checkbox", "radio"} or "checked" in attrs:
                values[name].append(attrs.get("value") or "")
            if attrs.get("type") in {"checkbox", "radio"}:
                options.setdefault(name, []).append(attrs.get("value") or "on")
        elif tag == "select" and name:
            values.setdefault(name, [])
            options.setdefault(name, [])
            self._select = name
        elif tag == "option" and self._select:
            options[self._select].append(attrs.get("value") or "")
            if "selected" in attrs:
                values[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            values[name] = [""]
            self._textarea = name

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1][1][self._textarea] = [data.strip("\n")]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _form_on(html: str, action: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    parser = _Forms()
    parser.feed(html)
    for form_action, values, options in parser.forms:
        if form_action in {action, ""}:
            values.pop("csrfmiddlewaretoken", None)
            return values, options
    raise AssertionError(f"no form posts to {action}")


@st.composite
def _filled(draw, values: dict[str, list[str]], options: dict[str, list[str]]):
    """The form as the page fills it, with some fields replaced by garbage, another choice, or left out."""
    data = {}
    for name, given_values in values.items():
        choice = draw(st.sampled_from(["keep", "keep", "garbage", "option", "missing"]))
        if choice == "keep" and name.endswith(FIELD):
            # A fresh one-time key, as a fresh page gives: the same key again would only repeat the first answer.
            data[name] = str(uuid.uuid4())
        elif choice == "garbage":
            data[name] = draw(GARBAGE)
        elif choice == "option" and options.get(name):
            data[name] = draw(st.sampled_from(options[name]))
        elif choice != "missing" and given_values:
            data[name] = given_values if len(given_values) > 1 else given_values[0]
    for name in draw(st.lists(st.sampled_from(["id", "pk", "program", "user", "coach", "patient"]), max_size=2)):
        data.setdefault(name, draw(GARBAGE))
    return data


# --- Stored rows: a failed submission changes none of them ------------------------------------------------------


def _counted_tables() -> list[str]:
    # Everything the program keeps, except the access log: reading a form's page rightly writes to it.
    kept = [
        model._meta.db_table
        for app in ("staff", "patients", "coaching", "supervision", "referrals")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.proxy
    ]
    return sorted([*kept, "recovery_program_outboundmessage", "recovery_program_submission"])


def _row_counts() -> dict[str, int]:
    tables = _counted_tables()
    with connection.cursor() as cursor:
        counts = ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables)  # noqa: S608 (model metadata, never input)
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _failed(response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code != 200 or "HX-Redirect" in response or response.streaming:
        return False
    return b'role="alert"' in response.content


def _assert_answered_calmly(response, *, posted: bool, before: dict[str, int] | None = None):
    assert response.status_code < 500
    assert response.status_code in {200, 204, 302, 400, 403, 404, 405}, response.status_code
    if posted and before is not None and _failed(response):
        assert _row_counts() == before, "a failed submission stored something"


# --- The tests ---------------------------------------------------------------------------------------------------


def _resolve(kwargs: dict[str, Callable[[], object]] | None) -> dict[str, object]:
    return {name: value() for name, value in (kwargs or {}).items()}


# Forms with a known 500 being fixed, each with the reason; none at the moment.
KNOWN: dict[str, pytest.MarkDecorator] = {}


def _form_fields(client: Client, form: Form) -> tuple[str, dict[str, list[str]], dict[str, list[str]]]:
    """The form's URL, and its fields as the page shows them to `client` (who fills it in)."""
    action = reverse(form.url, kwargs=_resolve(form.kwargs))
    if form.fields is not None:
        return action, form.fields, {}
    page = reverse(form.page, kwargs=_resolve(form.page_kwargs)) if form.page else action
    shown = client.get(page)
    assert shown.status_code == 200, f"{page} answered {shown.status_code}"
    return action, *_form_on(shown.content.decode(), action)


@pytest.mark.parametrize(
    "form",
    [pytest.param(form, marks=KNOWN.get(form.url, ()), id=f"{form.url}-{form.who}") for form in FORMS],
)
def test_garbage_in_a_form_is_refused_calmly_and_stores_nothing(seeded, form, db):
    client = Client()
    if form.who:
        client.force_login(_user(form.who))
    action, values, options = _form_fields(client, form)

    @FUZZ
    @given(data=_filled(values, options), htmx=st.booleans())
    def posting(data, htmx):
        before = _row_counts()
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(action, data, headers=headers)
        _assert_answered_calmly(response, posted=True, before=before)

    posting()


@pytest.mark.parametrize("who", ["coach1", "supervisor1", "admin1", None])
def test_every_role_posting_every_form_gets_an_answer_and_a_refusal_stores_nothing(seeded, db, who):
    # Each form as its own user fills it in, then posted by each role (and by someone not logged in): a success
    # for a role that may use it, a 404, 403 or the login page for one that may not, never a 500.
    owners = {name: Client() for name in {form.who for form in FORMS if form.who}}
    for name, owner in owners.items():
        owner.force_login(_user(name))
    client = Client()
    if who:
        client.force_login(_user(who))
    for form in FORMS:
        if form.who in {who, None}:
            continue
        action, values, _options = _form_fields(owners[form.who], form)
        for data in (values, dict.fromkeys(values, "1\x00")):
            before = _row_counts()
            _assert_answered_calmly(client.post(action, data), posted=True, before=before)


_PARAM = st.one_of(GARBAGE, st.sampled_from(["1", "2", "closed", "open", "active", "true", "false"]))


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: f"{query.url}-{query.who}")
def test_garbage_in_a_query_parameter_is_a_page_or_a_404(seeded, query, db):
    client = Client()
    client.force_login(_user(query.who))
    url = reverse(query.url, kwargs=_resolve(query.kwargs))

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(query.params), _PARAM, min_size=1))
    def asking(params):
        response = client.get(url, params)
        _assert_answered_calmly(response, posted=False)

    asking()


# Text in a URL's path that the view reads itself (a `str` converter).
PATHS = [
    ("password_reset_confirm", None, {"uidb64": "MQ", "token": "set-password"}),
    ("coaching:draft_save", "coach1", {"form": "encounter"}),
    ("coaching:appointment_close", "coach1", {"pk": 1, "status": "cancelled"}),
    ("coaching:reminder_close", "coach1", {"pk": 1, "status": "done"}),
    ("referrals:draft_save", "supervisor1", {"patient_pk": 1, "kind": "cps-reports"}),
]


@pytest.mark.parametrize(("url", "who", "example"), PATHS, ids=[url for url, _who, _example in PATHS])
def test_garbage_in_a_path_is_a_page_or_a_404(seeded, db, url, who, example):
    client = Client()
    if who:
        client.force_login(_user(who))

    @FUZZ
    @given(values=st.fixed_dictionaries({name: GARBAGE.filter(lambda v: isinstance(v, str) and v) for name in example}))
    def asking(values):
        path = reverse(url, kwargs=example)
        for name, value in values.items():
            path = path.replace(f"/{example[name]}/", f"/{quote(value, safe='')}/", 1)
        _assert_answered_calmly(client.get(path), posted=False)
        _assert_answered_calmly(client.post(path, {"summary": "x"}), posted=False)

    asking()


def _names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":
                yield from _names(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def test_every_url_is_in_a_table():
    tabled = {form.url for form in FORMS} | {query.url for query in QUERIES} | PLAIN_PAGES
    assert set(_names(get_resolver())) - tabled == set()


@FUZZ
@given(forwarded=st.one_of(GARBAGE.filter(lambda value: isinstance(value, str)), st.just("10.0.0.1, not-an-address")))
def test_garbage_in_the_forwarded_for_header_logs_the_proxy_address(seeded, db, settings, forwarded):
    # Behind a proxy the log takes the address it saw from X-Forwarded-For; garbage there is not an address.
    settings.BEHIND_PROXY = True
    client = Client()
    client.force_login(_user("coach1"))
    patient = _coach1_patient()
    response = client.get(reverse("patients:detail", kwargs={"pk": patient.pk}), headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 200
    assert AccessLog.objects.filter(patient=patient).latest("pk").ip_address == "127.0.0.1"


def test_an_address_in_the_forwarded_for_header_is_logged(seeded, db, settings):
    settings.BEHIND_PROXY = True
    client = Client()
    client.force_login(_user("coach1"))
    patient = _coach1_patient()
    client.get(
        reverse("patients:detail", kwargs={"pk": patient.pk}), headers={"X-Forwarded-For": "10.0.0.1, 2001:db8::7"}
    )
    assert AccessLog.objects.filter(patient=patient).latest("pk").ip_address == "2001:db8::7"
