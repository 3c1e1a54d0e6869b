"""Backups: the database (pg_dump's custom format) and the private files (PRIVATE_MEDIA_ROOT) in one timestamped
archive, and their restore (`manage.py backup` / `restore`, run by `make backup` / `make restore`; README, "Backup
and restore").

The archive is a tar file holding `database.dump` and `private/`; it holds every patient's record, so it is
written readable by its owner only, and must be kept encrypted wherever it is copied. The PostgreSQL client tools
are chosen to match the server: the embedded server's own (pgserver), the machine's for that major version, then
whatever is in PATH, as long as it is not older than the server.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

ARCHIVE = re.compile(r"^recovery-backup-(\d{8}T\d{6}Z)\.tar$")
DUMP = "database.dump"
PRIVATE = "private"


def client_tool(name: str, server_major: int) -> str:
    """The path of pg_dump or pg_restore for a server of this major version."""
    candidates = []
    embedded = importlib.util.find_spec("pgserver")  # found, not imported: importing it starts nothing, but warns
    if embedded and embedded.submodule_search_locations:
        candidates.append(Path(embedded.submodule_search_locations[0]) / "pginstall" / "bin" / name)
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin/{name}"))
    if found := shutil.which(name):
        candidates.append(Path(found))
    newer = None  # a newer version also reads and writes an older server's dumps
    for candidate in candidates:
        if not candidate.is_file():
            continue
        major = _major(candidate)
        if major == server_major:
            return str(candidate)
        if major > server_major and newer is None:
            newer = str(candidate)
    if newer:
        return newer
    raise ImproperlyConfigured(f"No {name} for PostgreSQL {server_major} or later: install its client tools.")


def _major(tool: Path) -> int:
    version = subprocess.run(  # noqa: S603 (a PostgreSQL tool found above, fixed arguments)
        [str(tool), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version)
    if found is None:
        raise ImproperlyConfigured(f"{tool} does not say which PostgreSQL it is for.")
    return int(found.group(1))


def _environment(params: dict) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment from Django's connection parameters (host may be a socket directory)."""
    arguments = []
    if params.get("host"):
        arguments += ["--host", str(params["host"])]
    if params.get("port"):
        arguments += ["--port", str(params["port"])]
    if params.get("user"):
        arguments += ["--username", str(params["user"])]
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return arguments, env


def backup_create(*, params: dict, server_major: int, private_root: Path, into: Path, now: datetime.datetime) -> Path:
    """Writes recovery-backup-<UTC time>.tar in `into` (made owner-only) and returns its path."""
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    arguments, env = _environment(params)
    archive = into / f"recovery-backup-{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.tar"
    with tempfile.TemporaryDirectory(prefix="backup-", dir=into) as scratch:
        dump = Path(scratch) / DUMP
        subprocess.run(  # noqa: S603 (pg_dump with Django's own connection settings)
            [client_tool("pg_dump", server_major), "--format=custom", f"--file={dump}", *arguments, params["dbname"]],
            env=env,
            check=True,
        )
        partial = archive.with_suffix(".partial")
        owner_only = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(owner_only, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
            tar.add(dump, arcname=DUMP)
            if private_root.is_dir():
                tar.add(private_root, arcname=PRIVATE)
        partial.rename(archive)  # a backup cut short never looks like a whole one
    return archive


def backup_restore(*, archive: Path, params: dict, server_major: int, private_root: Path) -> None:
    """Replaces the database's contents and the private files by the archive's. The app's processes must be stopped;
    afterwards run `hold_after_restore` (make restore does) and, with separate roles, `grant_app_role`."""
    arguments, env = _environment(params)
    with tempfile.TemporaryDirectory(prefix="restore-") as scratch, tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
        subprocess.run(  # noqa: S603 (pg_restore with Django's own connection settings)
            [
                client_tool("pg_restore", server_major),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={params['dbname']}",
                *arguments,
                str(Path(scratch) / DUMP),
            ],
            env=env,
            check=True,
        )
        restored = Path(scratch) / PRIVATE
        if private_root.exists():
            stamp = f"{timezone.now():%Y%m%dT%H%M%SZ}"
            aside = private_root.with_name(f"{private_root.name}.before-restore-{stamp}")
            private_root.rename(aside)
        if restored.is_dir():
            shutil.copytree(restored, private_root)
        else:
            private_root.mkdir(parents=True)


def backups_prune(into: Path, *, keep_days: int, keep_months: int, now: datetime.datetime) -> list[Path]:
    """Removes archives older than `keep_days`, except the first of each of the last `keep_months` months. Returns
    what it removed."""
    dated = []
    for path in into.glob("recovery-backup-*.tar"):
        if found := ARCHIVE.match(path.name):
            taken = datetime.datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
            dated.append((taken, path))
    dated.sort()
    monthly = {}
    for taken, path in dated:
        monthly.setdefault((taken.year, taken.month), path)
    kept_months = set(sorted(monthly)[-keep_months:]) if keep_months else set()
    removed = []
    for taken, path in dated:
        if now - taken <= datetime.timedelta(days=keep_days):
            continue
        if (taken.year, taken.month) in kept_months and monthly[(taken.year, taken.month)] == path:
            continue
        path.unlink()
        removed.append(path)
    return removed
