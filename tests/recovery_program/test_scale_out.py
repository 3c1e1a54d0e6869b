"""Web nodes scale out: two app servers (gunicorn, DEBUG off) on one database and one object store, as behind a
load balancer. A certificate uploaded through one downloads through the other with the same bytes; a session
started on one is good on the other; a file out of someone's reach is a 404 on both; neither keeps a file on its
own disk."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from staff.models import TrainingKind, TrainingRecord
from staff.services import program_setup
from tests.factories import TEST_PASSWORD
from tests.object_store import free_port
from tests.supervision.test_paging_worker import _test_database_url

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n% a certificate uploaded to one node\n" + os.urandom(200_000)


@contextmanager
def _nodes(count: int, tmp_path: Path, object_store) -> Iterator[list[str]]:
    """`count` app servers started at once, each with a private folder of its own that it must never use."""
    common = {
        **os.environ,
        **object_store.as_environment(),
        "DJANGO_SETTINGS_MODULE": "tests.recovery_program.scale_out_settings",
        "DATABASE_URL": _test_database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "one-key-for-every-node-" + "x" * 40,  # every node signs and reads the same cookies
        "ALLOWED_HOSTS": "127.0.0.1",
        "TWO_STEP_REQUIRED": "false",
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    ports = [free_port() for _ in range(count)]
    servers = [
        subprocess.Popen(
            [gunicorn, "recovery_program.wsgi", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**common, "PRIVATE_MEDIA_ROOT": str(tmp_path / f"node-{port}")},
            stdout=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    connection.request("GET", "/login/")
                    connection.getresponse()
                    break
                except OSError:
                    assert server.poll() is None, "an app server did not start"
                    time.sleep(0.05)  # waiting on another process, not on this test's clock
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the page's form (the CSRF token, the one-time key)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            fields[name.group(1)] = value.group(1)
    return fields


def _log_in(node: str, user) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{node}/login/")
    response = session.post(
        f"{node}/login/",
        {**_form_fields(page.text), "username": user.username, "password": TEST_PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def test_two_nodes_share_sessions_and_private_files_and_refuse_the_same(
    admin, coach, other_coach, object_store, tmp_path
):
    program_setup(program=coach.program)
    kind = TrainingKind.objects.get(program=coach.program, name="CPR and first aid")
    with _nodes(2, tmp_path, object_store) as (a, b):
        # Logged in on a, the same session is good on b: it lives in the database, not in a's memory.
        admin_session = _log_in(a, admin)
        form_page = admin_session.get(f"{b}{reverse('staff:training_add', args=[coach.pk])}")
        assert form_page.status_code == 200, "the session started on a is not known on b"

        # Uploaded through b (with b's form), downloaded through a with the same bytes.
        uploaded = admin_session.post(
            f"{b}{reverse('staff:training_add', args=[coach.pk])}",
            data={
                **_form_fields(form_page.text),
                "kind": kind.pk,
                "completed_on": "2026-01-15",  # a past day by the served nodes' own clocks too
                "hours": "4",
                "provider": "",
            },
            files={"certificate": ("cpr.pdf", PDF, "application/pdf")},
            allow_redirects=False,
        )
        assert uploaded.status_code == 302, uploaded.text[:500]
        record = TrainingRecord.objects.get()
        certificate = reverse("staff:certificate", args=[record.pk])
        assert admin_session.get(f"{a}{certificate}").content == PDF
        coach_session = _log_in(b, coach)
        assert coach_session.get(f"{a}{certificate}").content == PDF

        # Out of her reach on both: another coach's certificate, and one that does not exist.
        outsider = _log_in(a, other_coach)
        missing = reverse("staff:certificate", args=[record.pk + 1000])
        for node in (a, b):
            assert outsider.get(f"{node}{certificate}").status_code == 404
            assert admin_session.get(f"{node}{missing}").status_code == 404

    # The file is in the bucket only: neither node kept it on its own disk.
    assert object_store.keys() == [record.certificate.name]
    assert not list(tmp_path.iterdir())
