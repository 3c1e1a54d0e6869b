"""Settings come from the environment, strictly, and production refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from recovery_program import env

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    # Leave out what the test run itself sets (pytest-env in pyproject.toml).
    test_only = {
        "SECRET_KEY",
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "SECURE_HSTS_SECONDS",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_boolean_that_is_not_one_stops_start_up(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.boolean("SOME_FLAG", default=False)


def test_booleans_read_the_usual_words(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "Yes")
    assert env.boolean("SOME_FLAG", default=False) is True
    monkeypatch.setenv("SOME_FLAG", "off")
    assert env.boolean("SOME_FLAG", default=True) is False


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-file\n")
    monkeypatch.delenv("MY_SECRET", raising=False)
    monkeypatch.setenv("MY_SECRET_FILE", str(secret_file))
    assert env.secret("MY_SECRET") == "from-a-file"


def test_a_secret_set_twice_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("MY_SECRET", "one")
    monkeypatch.setenv("MY_SECRET_FILE", str(tmp_path / "key"))
    with pytest.raises(ImproperlyConfigured):
        env.secret("MY_SECRET")


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    first = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="true",
        VAR_DIR=str(tmp_path),
    )
    second = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="true",
        VAR_DIR=str(tmp_path),
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[-1] == second.stdout.split()[-1]
    assert (tmp_path / "secret_key").read_text().strip() == first.stdout.split()[-1]


def test_two_step_login_is_required_unless_in_development():
    show = "from django.conf import settings; print(settings.TWO_STEP_REQUIRED)"
    production = _manage("shell", "-c", show, DEBUG="false", SECRET_KEY="production-like-secret-key-for-a-test")
    development = _manage("shell", "-c", show, DEBUG="true", SECRET_KEY="development-key")
    assert production.stdout.split()[-1] == "True", production.stderr
    assert development.stdout.split()[-1] == "False", development.stderr


def test_deploy_checks_pass_with_the_production_settings_in_the_readme():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="kq3-production-like-secret-key-that-is-long-and-random-7f2c9d1e8b",
        ALLOWED_HOSTS="recovery.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_time_zone_defaults_to_new_york_and_follows_the_environment():
    show = ("shell", "-c", "from django.conf import settings; print(settings.TIME_ZONE)")
    default = _manage(*show, DEBUG="true")
    chosen = _manage(*show, DEBUG="true", TIME_ZONE="America/Chicago")
    assert default.stdout.split()[-1] == "America/New_York"
    assert chosen.stdout.split()[-1] == "America/Chicago"


def test_only_postgresql_is_accepted():
    result = _manage("check", DEBUG="true", DATABASE_URL="sqlite:///tmp/nope.sqlite3")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_a_replica_comes_from_its_address_with_the_primarys_limits_and_no_transaction_of_its_own():
    show = (
        "shell",
        "-c",
        "from django.conf import settings as s; r = s.DATABASES.get('replica');"
        " print(r and (r['NAME'], r['HOST'], r['OPTIONS']['options'], r['ATOMIC_REQUESTS']))",
    )
    none = _manage(*show, DEBUG="true")
    replica = _manage(
        *show,
        DEBUG="true",
        STATEMENT_TIMEOUT_MS="5000",
        REPLICA_DATABASE_URL="postgres://reader@replica.internal:5432/recovery",
    )
    assert none.stdout.split("\n")[-2] == "None"
    assert replica.stdout.split("\n")[-2] == str(
        ("recovery", "replica.internal", "-c jit=off -c random_page_cost=1.1 -c statement_timeout=5000", False)
    )
