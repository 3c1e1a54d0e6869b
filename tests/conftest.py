"""The named cast every test uses, and the settings every test shares.

program: the program under test; other_program: a second one that must never leak into it.
coach: a coach of the program; other_coach: another coach of the same program;
supervisor, admin: of the program; outside_supervisor: a supervisor of other_program.
patient: on coach's caseload; other_patient: on other_coach's; outside_patient: of other_program.
"""

from __future__ import annotations

import argparse
import datetime
import urllib.parse
import uuid

import pytest
import time_machine
from django.test import Client

from recovery_program.once import FIELD
from staff.roles import Role
from tests.factories import PatientFactory, ProgramFactory, UserFactory, on_caseload_of


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        type=_instant,
        metavar="INSTANT",
        help="run every test as if it began at this instant, an ISO 8601 time with its UTC offset "
        "(e.g. 2026-03-08T01:59-05:00); `make test-clock` runs the suite at several",
    )


def _instant(value: str) -> datetime.datetime:
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        instant = None
    if instant is None or instant.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time with a UTC offset")
    return instant


@pytest.fixture(autouse=True)
def frozen_now(request):
    """The clock stands still in every test, at the moment the test begins (with --clock, at that instant).

    So no test sees midnight pass between two readings of the clock, and `make test-clock` runs every test
    at fixed times of day. A test about a particular moment travels there itself, which overrides this.
    Browser and worker tests keep the clock moving: Chromium and the worker process have clocks of their own.
    """
    start = request.config.getoption("clock") or datetime.datetime.now(datetime.UTC)
    moving = any(request.node.get_closest_marker(marker) for marker in ("browser", "celery_worker"))
    with time_machine.travel(start, tick=moving):
        yield start


@pytest.fixture(autouse=True)
def _fast_and_plain(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.OBJECT_STORAGE_BUCKET = ""  # the folder, unless a test asks for the object store (tests/object_store.py)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production requires two-step login; tests of other pages log in with the password alone, and the
    # two-step tests turn it back on themselves.
    settings.TWO_STEP_REQUIRED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _posts_carry_a_one_time_key(request, monkeypatch):
    """The test client posts a form as its page would: with a fresh one-time key (`recovery_program.once`).

    As Django's test client skips the CSRF check, this spares every test of a create form from fetching the
    page first. A test that sends its own key (or none: marked `raw_posts`) is left as it is.
    """
    if request.node.get_closest_marker("raw_posts"):
        return
    original = Client.post

    def post(self, path, data=None, *args, **kwargs):
        if isinstance(data, dict) and not any(str(name).endswith(FIELD) for name in data):
            prefixes = {str(name).split("-")[0] for name in data if "-" in str(name)}
            data = {**data, FIELD: str(uuid.uuid4())} | {f"{prefix}-{FIELD}": str(uuid.uuid4()) for prefix in prefixes}
        return original(self, path, data, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)


@pytest.fixture
def program(db):
    return ProgramFactory(name="Harbor Light Recovery")


@pytest.fixture
def other_program(db):
    return ProgramFactory(name="Northfield Family Program")


@pytest.fixture
def coach(program):
    return UserFactory(username="coach_a", first_name="Mara", last_name="Quill", program=program, role=Role.COACH)


@pytest.fixture
def other_coach(program):
    return UserFactory(username="coach_b", first_name="Nell", last_name="Rowe", program=program, role=Role.COACH)


@pytest.fixture
def supervisor(program):
    return UserFactory(username="super_a", first_name="Iris", last_name="Vance", program=program, role=Role.SUPERVISOR)


@pytest.fixture
def admin(program):
    return UserFactory(username="admin_a", first_name="Lee", last_name="Pryor", program=program, role=Role.ADMIN)


@pytest.fixture
def outside_supervisor(other_program):
    return UserFactory(
        username="super_x", first_name="Opal", last_name="Stone", program=other_program, role=Role.SUPERVISOR
    )


@pytest.fixture
def patient(coach, supervisor):
    """A patient on `coach`'s caseload."""
    patient = PatientFactory(
        program=coach.program, legal_name="Rosalind Avery", preferred_name="Roz", clinical_provider=supervisor
    )
    on_caseload_of(patient, coach)
    return patient


@pytest.fixture
def other_patient(other_coach, supervisor):
    """A patient of the same program on `other_coach`'s caseload."""
    patient = PatientFactory(program=other_coach.program, legal_name="Wilhelmina Drake", clinical_provider=supervisor)
    on_caseload_of(patient, other_coach)
    return patient


@pytest.fixture
def outside_patient(outside_supervisor):
    """A patient of the other program."""
    return PatientFactory(
        program=outside_supervisor.program, legal_name="Theodora Finch", clinical_provider=outside_supervisor
    )


@pytest.fixture
def celery_eager():
    """Tasks run in the test's own process and transaction (for tests that are not about the worker)."""
    from recovery_program.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def fake_twilio(settings):
    """A local fake of Twilio's Messages API (recovery_program/fake_twilio.py), and the settings that send texts
    to it. Receipts are posted to the app with the test client (`post_receipt`), signed as Twilio signs them."""
    from recovery_program.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    settings.SMS_BACKEND = "recovery_program.twilio.TwilioSMSBackend"
    settings.TWILIO_API_BASE = fake.url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = fake.account_sid, fake.auth_token
    settings.TWILIO_API_KEY_SID = settings.TWILIO_API_KEY_SECRET = settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM = "+16035550111"
    settings.SITE_URL = "http://testserver"  # receipts are posted with the test client, which is that server
    yield fake
    fake.stop()


@pytest.fixture
def post_receipt(client, fake_twilio):
    """post_receipt(sid, status, error_code=""): Twilio's signed status callback, posted to the app."""

    def post(sid, status, error_code="", signature=None):
        receipt = fake_twilio.receipt(sid, status, error_code)
        return client.post(
            receipt.path,
            urllib.parse.urlencode(receipt.params),  # as posted: no one-time key added (`_posts_carry_a_one_time_key`)
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature or receipt.signature,
        )

    return post


@pytest.fixture
def client_for(client):
    """client_for(user): the test client, logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_collection_modifyitems(config, items):
    """Browser, Celery-worker and catalogue tests need Chromium, Redis and GNU gettext.

    On a developer's machine without them those tests are left out, and the run
    says so. In CI (CI=true) a missing one is an error: nothing is skipped there.
    """
    import os
    import shutil

    from django.conf import settings

    missing = {}
    if not shutil.which("chromium") and not os.path.exists(CHROMIUM):
        missing["browser"] = "Chromium is not installed (apt-get install chromium)"
    if not shutil.which("xgettext"):
        missing["gettext"] = "GNU gettext is not installed (apt-get install gettext)"
    if not settings.REDIS_URL:
        missing["celery_worker"] = missing["broker"] = "REDIS_URL is not set"
    if not missing:
        return
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError("CI needs every test to run: " + "; ".join(missing.values()))
    kept, left_out = [], []
    for item in items:
        (left_out if any(item.get_closest_marker(marker) for marker in missing) else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            for reason in sorted(set(missing.values())):
                reporter.write_line(f"Left out some tests: {reason}.", yellow=True)


CHROMIUM = "/usr/bin/chromium"
