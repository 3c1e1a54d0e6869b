"""What gets installed where: production gets its locked packages only, each checked against its hash;
the embedded PostgreSQL is for developers' machines and never reaches the image."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from recovery_program import embedded_db

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
LOCKS = ("base", "local", "dev")


def _logical_lines(text: str) -> list[str]:
    """Lines with their backslash continuations joined, comments dropped."""
    lines = (line.split(" #")[0].strip() for line in text.replace("\\\n", " ").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>~; ]", requirement, maxsplit=1)[0]).lower()


def _lock(name: str) -> dict[str, str]:
    """{package: version} of a lock, after checking that every entry is one exact version with its hashes."""
    pins = {}
    for line in _logical_lines((REQUIREMENTS / f"{name}.txt").read_text()):
        requirement = line.split(" --hash=")[0].split(";")[0].strip()
        assert "==" in requirement, f"{name}.txt: {requirement} is not pinned to one version"
        assert "--hash=sha256:" in line, f"{name}.txt: {requirement} has no hash"
        pins[_name(requirement)] = requirement.split("==")[1]
    return pins


def _pins_in(source: str) -> dict[str, str]:
    """{package: version} pinned in a requirements/*.in file itself (not in the files it includes)."""
    lines = _logical_lines((REQUIREMENTS / f"{source}.in").read_text())
    return {_name(line): line.split("==")[1] for line in lines if not line.startswith("-")}


def _pip_installs(path: Path) -> list[list[str]]:
    commands = []
    for line in _logical_lines(path.read_text()):
        if "pip install" in line:
            words = shlex.split(line)
            commands.append(words[words.index("install") + 1 :])
    return commands


def test_the_image_installs_only_the_production_lock_checking_every_hash():
    installs = _pip_installs(ROOT / "Dockerfile")
    assert installs == [["--require-hashes", "-r", "requirements/base.txt"]]


def test_the_production_lock_has_no_embedded_postgresql():
    assert "pgserver" not in _lock("base")
    assert "pgserver" not in _pins_in("base")
    # ...while developers' machines have it, for `make run` and `make test` without DATABASE_URL.
    assert "pgserver" in _lock("local")
    assert "pgserver" in _lock("dev")


def test_the_makefile_and_ci_install_only_locks_checking_every_hash():
    installs = _pip_installs(ROOT / "Makefile") + _pip_installs(ROOT / ".ci" / "run")
    assert installs, "the Makefile installs nothing"
    for arguments in installs:
        assert "--require-hashes" in arguments
        files = [arguments[i + 1] for i, word in enumerate(arguments) if word == "-r"]
        assert files, arguments
        assert all(re.fullmatch(r"requirements/(local|dev)\.txt", file) for file in files), arguments
        # Nothing installed by name beside the lock.
        assert set(arguments) - {"--quiet", "--disable-pip-version-check", "--require-hashes", "-r"} == set(files)


def test_each_lock_holds_what_its_source_pins():
    # A pin changed in an .in file without `make lock` fails here.
    for name in LOCKS:
        lock = _lock(name)
        for package, version in _pins_in(name).items():
            assert lock.get(package) == version, f"requirements/{name}.txt is stale for {package}: run make lock"


def test_developers_get_the_versions_production_runs():
    base, local, dev = (_lock(name) for name in LOCKS)
    assert base.items() <= local.items()
    assert local.items() <= dev.items()


def test_production_settings_never_load_the_embedded_postgresql():
    program = "import sys, django; django.setup(); print('pgserver' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "recovery_program.settings",
            "DATABASE_URL": "postgres://app@127.0.0.1:5432/app",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_pgserver_and_without_database_url_the_message_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setitem(sys.modules, "pgserver", None)  # as if it were not installed
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not set") as error:
        embedded_db.embedded_database_url(tmp_path)
    assert "requirements/local.txt" in str(error.value)


def test_without_pgserver_there_is_no_embedded_server_to_stop(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setitem(sys.modules, "pgserver", None)
    monkeypatch.setitem(sys.modules, "pgserver.utils", None)
    assert embedded_db.stop(tmp_path) is False
