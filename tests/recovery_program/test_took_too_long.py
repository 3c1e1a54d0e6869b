"""No request holds a web worker for seconds: the database cancels a statement past STATEMENT_TIMEOUT_MS, and
she is told plainly that it took too long, not "server error"."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.recovery_program.slow_urls")
def test_a_cancelled_query_is_a_plain_503(client_for, coach):
    response = client_for(coach).get("/slow/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    html = response.content.decode()
    assert "That took too long" in html
    assert "Nothing you entered was half-saved" in html


def test_web_processes_cancel_statements_after_five_seconds(monkeypatch):
    monkeypatch.setenv("STATEMENT_TIMEOUT_MS", "")  # so that the variable is put back as it was after the test
    monkeypatch.delenv("STATEMENT_TIMEOUT_MS")
    runpy.run_path("gunicorn.conf.py")
    assert os.environ["STATEMENT_TIMEOUT_MS"] == "5000"


def test_the_setting_reaches_the_database_connection():
    code = (
        "import django; django.setup(); from django.db import connection;"
        "cursor = connection.cursor(); cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])"
    )
    env = os.environ | {"STATEMENT_TIMEOUT_MS": "1234", "DJANGO_SETTINGS_MODULE": "recovery_program.settings"}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "1234ms"


def test_the_database_compiles_no_query_just_in_time():
    # JIT compilation took 89 ms of a report's 127 ms query (docs/performance.md): the app's connections turn it off.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_planner_prices_a_random_read_as_on_an_ssd():
    # At PostgreSQL's 4 (spinning disks) the concern queue scanned a whole state's women to join a few hundred
    # open concerns: 16 ms instead of 2 (docs/performance.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
