"""No patient data leaves the records: not in logs, task messages, Redis, e-mails, texts, or error pages.

Markers are planted in every kind of clinical text (her names and contact notes, a child, an encounter, a draft,
a concern, notes to the coach, a closing note, a referral, a CPS report, what she was told, a case review), some
with a NUL byte, HTML or letters outside ASCII. Then each role goes through the main flows on the test client,
with garbage and errors among them (a 404, a 400, a CSRF failure, a 500 with a marker in the request and in the
failing view's local variables). Afterwards every log record of every logger (at DEBUG, through the production
LOGGING: the written lines and everything left on the record), every task message sent to the broker and every
key and value in Redis, every e-mail and text, every page row, staff-history and access-log row, and every error
page are searched for the markers.
"""

from __future__ import annotations

import base64
import copy
import datetime
import io
import json
import logging
import logging.config
import re
import sys

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.signals import got_request_exception
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.views.debug import ExceptionReporter

from coaching import services as coaching_services
from coaching.models import Appointment, Concern, Draft, Encounter
from patients.models import Child, Pregnancy
from recovery_program import outbox
from recovery_program.logs import NoClinicalContent
from recovery_program.models import AccessLog, OutboundMessage, Outgoing
from referrals.models import CPSReport, PatientCommunication, Referral
from staff.models import StaffEvent
from supervision import paging
from supervision.models import CaseReview, Page
from tests.factories import PatientFactory, on_caseload_of, share_concern
from tests.recovery_program.test_no_500_on_any_input import _form_on
from tests.supervision.conftest import AFTER_HOURS

# Needs the Redis of REDIS_URL (left out, and said so, where there is none; required in CI).
pytestmark = [pytest.mark.django_db, pytest.mark.celery_worker]

MARK = "Zmarkerqx"
FOUND = re.compile(MARK, re.IGNORECASE)


def planted(where: str, twist: str = "") -> str:
    """A marker for one place; `twist` adds what makes text awkward (HTML, a NUL byte, other scripts)."""
    return {
        "": f"{MARK}-{where}",
        "html": f"<b>{MARK}-{where}</b> & 'quotes'",
        "unicode": f"Ådèlíné {MARK}-{where} 母亲 🍼",
        "nul": f"{MARK}-{where}\x00after the NUL",
    }[twist]


# --- What is captured ------------------------------------------------------------------------------------------


class Logs:
    """Every record any logger emits, as production's handlers see it (after their filters), and what they write."""

    def __init__(self):
        self.records: list[logging.LogRecord] = []
        self.written = io.StringIO()

    def everything(self) -> str:
        parts = [self.written.getvalue()]
        for record in self.records:
            parts.append(record.getMessage())
            parts.extend(repr(value) for value in vars(record).values())
        return "\n".join(parts)


@pytest.fixture
def logs(monkeypatch):
    """Production's LOGGING (its handlers, filters and formats), with every logger opened to DEBUG."""
    config = copy.deepcopy(django_settings.LOGGING)
    config["root"]["level"] = "DEBUG"
    logging.config.dictConfig(config)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    captured = Logs()
    # Handlers that write somewhere (not NullHandler, not pytest's own capture of this test's output).
    handlers = {
        handler
        for logger in loggers
        for handler in logger.handlers
        if not isinstance(handler, logging.NullHandler) and not type(handler).__module__.startswith("_pytest")
    }
    assert handlers, "production's LOGGING configured no handler"
    for handler in handlers:
        assert any(isinstance(f, NoClinicalContent) for f in handler.filters), f"{handler} has no NoClinicalContent"
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", captured.written)
        monkeypatch.setattr(handler, "emit", _keeping(captured.records, handler.emit))
    yield captured
    logging.config.dictConfig(django_settings.LOGGING)
    for logger, level in levels.items():
        logger.setLevel(level)


def _keeping(records, emit):
    def keep_and_emit(record):
        records.append(record)
        emit(record)

    return keep_and_emit


@pytest.fixture
def broker(settings):
    """The real Redis, with this run's own queues emptied before and after."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    queues = settings.TASK_QUEUES_BY_KIND.values()
    client.delete(*queues)
    yield client
    client.delete(*queues)


def _decoded(raw: bytes) -> list[str]:
    """A Redis value as text, and the body of a task message in it (Celery sends bodies base64-encoded)."""
    text = raw.decode("utf-8", errors="replace")
    found = [text]
    try:
        message = json.loads(text)
    except ValueError:
        return found
    if isinstance(message, dict) and message.get("properties", {}).get("body_encoding") == "base64":
        found.append(base64.b64decode(message["body"]).decode("utf-8", errors="replace"))
    return found


def _redis_contents(client: redis.Redis) -> str:
    parts = []
    for key in client.scan_iter(count=1000):
        parts.append(key.decode("utf-8", errors="replace"))
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key) or b""]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [name + b"=" + value for name, value in client.hgetall(key).items()]
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        else:
            values = []
        for value in values:
            parts.extend(_decoded(value))
    return "\n".join(parts)


def _task_messages(client: redis.Redis, queue: str) -> list[dict]:
    """The task messages waiting in this run's queue: name, arguments and headers."""
    messages = []
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append({"task": message["headers"]["task"], "args": args, "kwargs": kwargs, "message": message})
    return messages


def _rows_text(*querysets) -> str:
    parts = []
    for queryset in querysets:
        for row in queryset.values():
            parts.append(repr(row))
    return "\n".join(parts)


def _email_text(message) -> str:
    parts = [message.subject, message.body, repr(message.extra_headers), repr(message.to), repr(message.from_email)]
    parts.extend(content for content, _kind in getattr(message, "alternatives", []))
    parts.append(message.message().as_string())
    return "\n".join(parts)


def _leaks(where: str, text: str) -> list[str]:
    return [f"{where}: …{text[max(0, m.start() - 80) : m.end() + 40]!r}…" for m in FOUND.finditer(text)][:3]


# --- The flows --------------------------------------------------------------------------------------------------


def as_user(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def submit(client: Client, action: str, page: str | None = None, **changes) -> object:
    """Fills the form that posts to `action` as its page shows it (a choice with nothing chosen takes the first
    one), with `changes` (None leaves a field out), and posts it."""
    shown = client.get(page or action)
    assert shown.status_code == 200, f"{page or action} answered {shown.status_code}"
    values, options = _form_on(shown.content.decode(), action)
    data = {}
    for name, given in values.items():
        if any(given):
            data[name] = given if len(given) > 1 else given[0]
        elif options.get(name) and name not in {"concerns", "patients", "resources"}:
            choices = [choice for choice in options[name] if choice]
            if choices and not name.endswith(("agenda_done", "actions_done")):
                data[name] = choices[0]
    data.update(changes)
    data = {name: value for name, value in data.items() if value is not None}
    response = client.post(action, data)
    assert response.status_code in {200, 302}
    return response


def saved(response) -> bool:
    """The form went through (a redirect); if it was refused (its page again), says what the form held wrong."""
    form = response.context.get("form") if response.context else None
    errors = getattr(form, "errors", None)
    assert response.status_code == 302, errors
    return True


def _encounter_form(patient, **changes):
    now = timezone.localtime()
    started = now - datetime.timedelta(hours=1)
    return {
        "kind": "community",
        "date": started.date().isoformat(),
        "start_time": started.strftime("%H:%M"),
        "duration_minutes": "45",
        "place": planted("place", "unicode"),
        "patients": [patient.pk],
        "summary": planted("encounter", "html"),
        "resources_other": "",
    } | changes


class Failure:
    """Records the exception and request of a 500 as Django's error reporting sees them."""

    def __init__(self):
        self.seen: list[tuple] = []

    def __call__(self, sender, request=None, **kwargs):
        self.seen.append((request, sys.exc_info()))


def test_no_planted_marker_reaches_a_log_a_task_redis_a_message_or_an_error_page(
    logs,
    broker,
    settings,
    monkeypatch,
    program,
    coach,
    supervisor,
    admin,
    outside_supervisor,
    django_capture_on_commit_callbacks,
):
    settings.SMS_BACKEND = "recovery_program.messaging.ConsoleSMSBackend"  # a text's body goes to the log
    error_pages: list[str] = []
    with time_machine.travel(AFTER_HOURS, tick=False), django_capture_on_commit_callbacks(execute=True):
        patient = PatientFactory(
            program=program,
            legal_name=planted("legal-name", "unicode"),
            preferred_name=planted("preferred-name"),
            clinical_provider=supervisor,
        )
        on_caseload_of(patient, coach)

        # The coach: her caseload, the patient's page, contact details (once with a NUL byte), drafts, an
        # encounter (once with garbage), an urgent concern that pages the supervisors.
        as_coach = as_user(coach)
        assert as_coach.get(reverse("patients:list"), {"q": planted("search")}).status_code == 200
        assert as_coach.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
        contact = reverse("patients:contact", args=[patient.pk])
        submit(as_coach, contact, safe_contact_notes=planted("contact", "nul"))
        assert saved(submit(as_coach, contact, safe_contact_notes=planted("contact", "html")))
        as_coach.get(reverse("coaching:encounter_new"))
        draft = reverse("coaching:draft_save", args=["encounter"])
        as_coach.post(draft, {"summary": planted("draft", "nul"), "place": planted("draft-place")})
        as_coach.post(draft, {"summary": planted("draft-huge") + "x" * 300_000})
        as_coach.post(draft, {"summary": planted("draft"), "nonsense\x00": planted("draft-field")})
        assert Draft.objects.filter(user=coach).exists()
        new_encounter = reverse("coaching:encounter_new")
        as_coach.post(new_encounter, _encounter_form(patient, summary=planted("encounter", "nul"), date="\x00"))
        assert as_coach.post(new_encounter, _encounter_form(patient)).status_code == 302
        # Her BARC-10: once with garbage, once as it should be, then her page.
        barc10_new = reverse("coaching:barc10_new", args=[patient.pk])
        barc10 = {"taken_on": patient.enrollment_date.isoformat(), "occasion": "intake"} | {
            f"item_{n}": "4" for n in range(1, 11)
        }
        as_coach.post(barc10_new, barc10 | {"taken_on": planted("barc10", "nul"), "item_3": planted("barc10-item")})
        assert as_coach.post(barc10_new, barc10).status_code == 302
        assert as_coach.get(reverse("coaching:barc10", args=[patient.pk])).status_code == 200
        as_coach.post(reverse("coaching:draft_save", args=["concern"]), {"description": planted("concern-draft")})
        shared = as_coach.post(
            reverse("coaching:concern_new"),
            {
                "patient": patient.pk,
                "category": "child_safety",
                "description": planted("concern", "html"),
                "urgency": "urgent_now",
            },
        )
        assert shared.status_code == 302
        concern = Concern.objects.get(patient=patient)
        assert Page.objects.filter(concern=concern).exists()
        # Her recovery plan: a goal in her words with a first step, garbage in a step, a tick in place.
        goal_new = reverse("coaching:goal_new", args=[patient.pk])
        submit(as_coach, goal_new, in_her_words=planted("goal-garbage", "nul"), target_on="\x00")
        assert saved(
            submit(
                as_coach, goal_new, in_her_words=planted("goal", "html"), first_step=planted("first-step", "unicode")
            )
        )
        goal = patient.recovery_goals.get()
        submit(as_coach, reverse("coaching:goal_step_new", args=[goal.pk]), what=planted("step", "nul"))
        assert saved(submit(as_coach, reverse("coaching:goal_step_new", args=[goal.pk]), what=planted("step")))
        step = goal.steps.order_by("order").first()
        tick = as_coach.post(
            reverse("coaching:goal_step_mark", args=[step.pk]), {"status": "done"}, HTTP_HX_REQUEST="true"
        )
        assert tick.status_code == 200

        # Her week: an appointment and a reminder (once with garbage), read on her home page and her week, then
        # logged as an encounter in one tap.
        tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        appointment_new = reverse("coaching:appointment_new")
        week_form = {"patient": patient.pk, "kind": "court", "appointment_day": tomorrow, "appointment_time": "10:00"}
        as_coach.post(appointment_new, week_form | {"note": planted("appointment", "nul"), "appointment_time": "x"})
        added = as_coach.post(
            appointment_new, week_form | {"note": planted("appointment", "html"), "place": planted("court", "unicode")}
        )
        assert added.status_code == 302
        reminder_form = {"patient": patient.pk, "reminder_day": tomorrow, "what": planted("reminder", "html")}
        assert as_coach.post(reverse("coaching:reminder_new"), reminder_form).status_code == 302
        for page in ("home", "coaching:week"):
            assert MARK in as_coach.get(reverse(page)).content.decode()
        appointment = Appointment.objects.get(patient=patient)
        log_it = reverse("coaching:encounter_new") + f"?appointment={appointment.pk}"
        assert as_coach.get(log_it).status_code == 200

        # The supervisor: the queue, the page's link ("I have it"), a note, a child, a referral, a CPS report,
        # what she was told, a supervision session with a case review, the export, and closing the concern.
        as_supervisor = as_user(supervisor)
        for page in ("home", "coaching:concern_list", "supervision:queues"):
            assert as_supervisor.get(reverse(page)).status_code == 200
        page = Page.objects.filter(concern=concern, recipient=supervisor).first()
        assert as_supervisor.get(reverse("supervision:page", args=[page.pk])).status_code == 200
        as_supervisor.post(reverse("supervision:page", args=[page.pk]))
        as_supervisor.post(reverse("coaching:concern_note", args=[concern.pk]), {"text": planted("note", "unicode")})
        as_supervisor.post(reverse("coaching:concern_note", args=[concern.pk]), {"text": planted("note", "nul")})
        child_add = reverse("patients:child_add", args=[patient.pk])
        assert saved(
            submit(
                as_supervisor,
                child_add,
                first_name=planted("child", "html"),
                birth_year="2024",
                visitation=planted("visits", "unicode"),
            )
        )
        assert saved(
            submit(
                as_supervisor,
                reverse("patients:pregnancy_add", args=[patient.pk]),
                due_date=(timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
                prenatal_care="on",
                prenatal_care_where=planted("prenatal", "html"),
                infant_withdrawal="",
                safe_care_plan="on",
                safe_care_with=planted("safe-care"),
                safe_care_on=timezone.localdate().isoformat(),
            )
        )
        actions = {"patient_pk": patient.pk}
        assert saved(
            submit(
                as_supervisor,
                reverse("referrals:referral_new", kwargs=actions),
                page=reverse("referrals:referral_new", kwargs=actions) + f"?concern={concern.pk}",
                receiving_provider=planted("provider"),
                sends_information=None,
                outcome=planted("referral", "unicode"),
                concerns=[concern.pk],
            )
        )
        assert saved(
            submit(
                as_supervisor,
                reverse("referrals:cps_report_new", kwargs=actions),
                agency=planted("agency"),
                what_was_reported=planted("cps-report", "html"),
                reference_number="DCYF-1",
                concerns=[concern.pk],
            )
        )
        communication_new = reverse("referrals:communication_new", kwargs=actions)
        submit(as_supervisor, communication_new, what_was_said=planted("told-garbage", "nul"))
        assert saved(
            submit(
                as_supervisor,
                reverse("referrals:communication_new", kwargs=actions),
                what_was_said=planted("told"),
                response=planted("her-response"),
                concerns=[concern.pk],
            )
        )
        assert saved(
            submit(
                as_supervisor,
                reverse("supervision:session_new", args=[coach.pk]),
                **{
                    "notes": planted("session"),
                    "case-0-patient": patient.pk,
                    "case-0-discussion": planted("case-review", "unicode"),
                    "case-0-decisions": planted("decision"),
                },
            )
        )
        assert as_supervisor.get(reverse("patients:export")).status_code == 200
        as_supervisor.get(reverse("referrals:accounting", kwargs=actions))
        as_supervisor.post(
            reverse("coaching:concern_close", args=[concern.pk]),
            {"reason": planted("close-reason"), "note_to_coach": planted("closing-note", "html")},
        )
        as_coach.get(reverse("coaching:concern_detail", args=[concern.pk]))

        # Errors: a 404 (another program's supervisor; an address that does not exist, with a marker in its
        # query), a 400 (too many fields), a CSRF failure, and a 500 with the marker in the request and the view.
        as_outsider = as_user(outside_supervisor)
        for response in (
            as_outsider.get(reverse("coaching:concern_detail", args=[concern.pk])),
            as_outsider.get(reverse("coaching:coach_week", args=[coach.pk])),
            as_outsider.get(reverse("patients:detail", args=[patient.pk]), {"q": planted("query")}),
            as_supervisor.get("/no/such/page/", {"about": planted("not-found")}),
        ):
            assert response.status_code == 404
            error_pages.append(response.content.decode())
        too_many = {f"field{n}": planted("too-many") for n in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
        response = as_supervisor.post(reverse("coaching:concern_note", args=[concern.pk]), too_many)
        assert response.status_code == 400
        error_pages.append(response.content.decode())
        response = as_user(supervisor, enforce_csrf_checks=True).post(
            reverse("coaching:concern_note", args=[concern.pk]), {"text": planted("csrf")}
        )
        assert response.status_code == 403
        error_pages.append(response.content.decode())

        def fails(*, actor, concern, text):
            failing_row = f"({concern.pk}, {text})"
            raise IntegrityError(f"new row violates check constraint\nDETAIL:  Failing row contains {failing_row}.")

        monkeypatch.setattr(coaching_services, "concern_add_note", fails)
        failure = Failure()
        got_request_exception.connect(failure)
        try:
            crashing = as_user(supervisor, raise_request_exception=False)
            other = share_concern(coach, patient, description=planted("second-concern"))
            response = crashing.post(reverse("coaching:concern_note", args=[other.pk]), {"text": planted("crash")})
        finally:
            got_request_exception.disconnect(failure)
        assert response.status_code == 500
        error_pages.append(response.content.decode())

        # The admin: a password link, then the coach is deactivated (her drafts end).
        as_admin = as_user(admin)
        # Her program figures count the encounters and sessions above: counts only, never a marker.
        figures_page = as_admin.get(reverse("program_figures"))
        assert figures_page.status_code == 200
        as_admin.post(reverse("staff:password_link", args=[coach.pk]))
        as_admin.post(reverse("staff:deactivate", args=[coach.pk]))

    # The records really hold the markers: what follows would prove nothing otherwise.
    assert MARK in Encounter.objects.get(patients=patient).summary
    assert MARK in Child.objects.get(patient=patient).first_name
    assert MARK in Child.objects.get(patient=patient).visitation
    assert MARK in Pregnancy.objects.get(patient=patient).safe_care_with
    for model in (Referral, CPSReport, PatientCommunication):
        assert model.objects.filter(patient=patient).exists(), f"no {model.__name__} was recorded"
    assert CaseReview.objects.filter(patient=patient, discussion__contains=MARK).exists()
    assert concern.notes.filter(text__contains=MARK).exists()

    # Tasks went to the broker with ids; then they run here: pages are texted and e-mailed, the link e-mailed.
    sent = [message for queue in settings.TASK_QUEUES_BY_KIND.values() for message in _task_messages(broker, queue)]
    tasks = {
        "supervision.tasks.deliver_text",
        "supervision.tasks.deliver_email",
        "recovery_program.tasks.deliver_message",
    }
    assert tasks <= {m["task"] for m in sent}
    for message in sent:
        values = [*message["args"], *message["kwargs"].values()]
        assert all(isinstance(value, int | bool) for value in values), f"{message['task']} was given {values}"
    for page in Page.objects.all():
        paging.deliver(page.pk)
    for message in Outgoing.objects.all():
        outbox.deliver(message.pk)
    assert mail.outbox
    assert any("Text message" in record.getMessage() for record in logs.records)

    # The 500 as Django's error report (an e-mail to ADMINS) would show it: no POST data, no local variables.
    (request, exc_info), *_ = failure.seen
    report = ExceptionReporter(request, *exc_info).get_traceback_data()
    shown = [repr(request), repr(report["filtered_POST_items"]), *(repr(f["vars"]) for f in report["frames"])]

    places = {
        "log": logs.everything(),
        "redis": _redis_contents(broker),
        "e-mail": "\n".join(_email_text(message) for message in mail.outbox),
        "outbox": _rows_text(OutboundMessage.objects.all()),
        "page rows": _rows_text(Page.objects.all()),
        "outbox rows": _rows_text(Outgoing.objects.all()),
        "staff history": _rows_text(StaffEvent.objects.all()),
        "access log": _rows_text(AccessLog.objects.all()),
        "error pages": "\n".join(error_pages),
        "admin's program figures": figures_page.content.decode(),
        "error report": "\n".join(shown),
    }
    leaks = [leak for where, text in places.items() for leak in _leaks(where, text)]
    assert not leaks, "patient data leaked:\n" + "\n".join(leaks)


# --- What the filter does to records the flows above do not make ----------------------------------------------


def test_a_group_encounters_notes_about_one_woman_never_reach_another_womans_record(client, coach, supervisor, patient):
    """A group encounter is in each attendee's record: woman B's pages show the note about the group, her own note
    and "a group of 2", never woman A's name or A's own note, whoever reads them."""
    june = PatientFactory(program=coach.program, legal_name="June Marlow", clinical_provider=supervisor)
    on_caseload_of(june, coach)
    client.force_login(coach)
    about_a = planted("about-A", "html")
    data = _encounter_form(
        patient, kind="group", summary="Group on sleep.", place="Clinic", patients=[patient.pk, june.pk]
    )
    assert saved(client.post(reverse("coaching:encounter_new"), data | {f"note_{patient.pk}": about_a}))
    encounter = Encounter.objects.get(patients=patient)
    concern = share_concern(coach, june, description="Housing.")
    type(concern).objects.filter(pk=concern.pk).update(encounter=encounter)
    her_pages = [
        reverse("patients:detail", args=[june.pk]),
        reverse("coaching:encounter_list") + f"?patient={june.pk}",
        reverse("coaching:encounter_detail", args=[encounter.pk]) + f"?patient={june.pk}",
        reverse("coaching:concern_detail", args=[concern.pk]),
    ]
    for reader in (coach, supervisor):
        client.force_login(reader)
        for url in her_pages:
            page = client.get(url).content.decode()
            assert "June Marlow" in page, url
            for leak in (MARK, "Rosalind", "Avery", "Roz"):
                assert leak not in page, (reader, url, leak)
    # The marker is really there, in A's part of it.
    client.force_login(supervisor)
    a_part = client.get(reverse("coaching:encounter_detail", args=[encounter.pk]) + f"?patient={patient.pk}")
    assert MARK in a_part.content.decode()


def test_a_logged_request_line_keeps_its_path_but_not_its_query_string(logs):
    # runserver's log (django.server) writes the request line: the caseload list is searched by name.
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /patients/?q={planted('search')} HTTP/1.1", 200, 5)
    written = logs.written.getvalue()
    assert "GET /patients/ HTTP/1.1" in written
    assert not FOUND.search(logs.everything())


def test_a_failed_task_is_logged_without_its_arguments_or_the_text_of_its_error(logs):
    from celery.app.trace import LOG_FAILURE

    try:
        raise IntegrityError(f"Failing row contains (7, {planted('task-error')})")
    except IntegrityError as error:
        context = {
            "hostname": "worker",
            "id": "abc",
            "name": "supervision.tasks.deliver_page",
            "exc": repr(error),
            "traceback": f"Traceback …\n{error}",
            "args": f"({planted('task-arg')!r},)",
            "kwargs": "{}",
            "description": "raised unexpected",
            "internal": False,
        }
        logging.getLogger("celery.app.trace").error(
            LOG_FAILURE.strip(), context, exc_info=True, extra={"data": context}
        )
    written = logs.written.getvalue()
    assert "supervision.tasks.deliver_page[abc] raised unexpected" in written
    assert "django.db.utils.IntegrityError (message not logged)" in written
    assert not FOUND.search(logs.everything())


def test_an_exception_logged_as_a_value_is_logged_as_its_class(logs):
    error = IntegrityError(f"Failing row contains (7, {planted('logged-error')})")
    logging.getLogger("recovery_program").warning("Could not save: %s", error)
    logging.getLogger("recovery_program").warning(error)
    assert logs.written.getvalue().count("django.db.utils.IntegrityError (message not logged)") == 2
    assert not FOUND.search(logs.everything())


WORKERS_HANDLERS = """
import logging
from recovery_program.celery import app
app.Worker(loglevel="DEBUG", pool_cls="solo", without_gossip=True, without_mingle=True).setup_logging()
for logger in [logging.getLogger(), *logging.root.manager.loggerDict.values()]:
    for handler in getattr(logger, "handlers", []):
        if not isinstance(handler, logging.NullHandler):
            print(logger.name, type(handler).__name__, *(type(f).__name__ for f in handler.filters))
"""


def test_a_celery_worker_logs_through_the_same_filter():
    # In a process of its own: a worker's start-up sets up logging for the whole process.
    import subprocess
    from pathlib import Path

    done = subprocess.run(
        [sys.executable, "-c", WORKERS_HANDLERS],
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    handlers = done.stdout.splitlines()
    assert any(line.startswith("root ") for line in handlers), handlers
    assert all(line.endswith(" NoClinicalContent") for line in handlers), handlers


def test_gunicorns_access_log_has_no_query_string_or_referrer():
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    config.set(
        "access_log_format", runpy.run_path(Path(django_settings.BASE_DIR) / "gunicorn.conf.py")["access_log_format"]
    )
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/patients/?q={planted('search')}",
        "PATH_INFO": "/patients/",
        "QUERY_STRING": f"q={planted('search')}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": f"https://app.example/patients/?q={planted('referrer')}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    atoms = logger.atoms_wrapper_class(logger.atoms(response, [], environ, datetime.timedelta(milliseconds=12)))
    line = config.access_log_format % atoms
    assert '"GET /patients/" 200 512 12ms' in line
    assert not FOUND.search(line)
