"""Embedded PostgreSQL for machines with no database server.

Used only when DATABASE_URL is unset: `pgserver` ships real PostgreSQL binaries
in a wheel. The data lives under var/pgdata and survives restarts. The server
keeps running between commands (migrate, runserver, a worker, the tests all
share it); `bin/run` and `make test` stop it when they finish:

    python -m recovery_program.embedded_db stop

Production and CI always set DATABASE_URL. pgserver is a development package
(requirements/local.txt, which `make run` and `make test` install); the
production image installs requirements/base.txt, without it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MISSING = (
    "DATABASE_URL is not set and the embedded PostgreSQL (pgserver) is not installed. "
    "Set DATABASE_URL to a PostgreSQL database, or install the development packages "
    "(make run does: pip install -r requirements/local.txt)."
)


def _prepare(var_dir: Path) -> Path:
    # Its start/stop chatter at INFO would end up in every command's output.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    runtime_dir = var_dir / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    return var_dir / "pgdata"


def embedded_database_url(var_dir: Path) -> str:
    pgdata = _prepare(var_dir)  # before the import, which reads XDG_RUNTIME_DIR
    try:
        import pgserver
    except ImportError as error:
        raise ImproperlyConfigured(MISSING) from error

    server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def stop(var_dir: Path) -> bool:
    """Stops the embedded server if it runs (a fast shutdown: open sessions end). True if it did."""
    pgdata = _prepare(var_dir)
    try:
        from pgserver.utils import PostmasterInfo
    except ImportError:
        return False  # not installed, so not running

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running():
        return False
    info.process.send_signal(signal.SIGINT)
    info.process.wait(timeout=30)
    return True


if __name__ == "__main__":
    var = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    if sys.argv[1:] == ["stop"]:
        print("Embedded PostgreSQL stopped." if stop(var) else "Embedded PostgreSQL was not running.")
    else:
        sys.exit("usage: python -m recovery_program.embedded_db stop")
