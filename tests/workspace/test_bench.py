"""`make bench` works: a tiny run of the benchmark (bench/run.py) against the suite's database, through gunicorn,
beside the floor project, with every page answering as it should. Its figures are not looked at: a benchmark,
not a timed test (docs/performance.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection

from bench import run

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_benchmark_drives_every_key_page_of_both_roles_beside_the_floor_with_no_error(settings, tmp_path):
    settings.DEBUG = True  # seed_scale fills only a database of a developer's
    # The served app knows only production's hashers (the suite's fast one would refuse every password).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    call_command("seed_scale", *run.SIZES["smoke"], stdout=open(os.devnull, "w"))  # noqa: SIM115
    database = urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    document = tmp_path / "performance.md"
    document.write_text("# Performance\n")

    finished = subprocess.run(
        [sys.executable, "-m", "bench.run", "--label", "smoke", "--requests", "2", "--seconds", "0.3",
         "--concurrency", "2", "--app-port", "8111", "--floor-port", "8112", "--write", str(document)],
        env={**os.environ, "DATABASE_URL": urllib.parse.urlunsplit(database)},
        capture_output=True, text=True, timeout=300, cwd=settings.BASE_DIR,
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr[-3000:]
    table = document.read_text()
    assert "Errors: 0 in" in table
    for page in [*run.PAGES, run.Page("floor", "floor: bare Django, login required", run._get("/"))]:
        row = next(line for line in table.splitlines() if line.startswith(f"| {page.name} |"))
        cells = [cell.strip() for cell in row.split("|")]
        assert float(cells[5]) > 0, row  # requests a second with the users at once
        if page.who != "floor" and page.ok == (200,):  # each page's queries are counted (not a save's redirect)
            assert cells[2].isdigit(), row
