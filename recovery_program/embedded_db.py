"""Embedded PostgreSQL for machines with no database server.

Used only when DATABASE_URL is unset: `pgserver` ships real PostgreSQL binaries
in a wheel. The data lives under var/pgdata and survives restarts; the server
stops when the last process using it exits. Production and CI always set
DATABASE_URL.
"""

from __future__ import annotations

import os
from pathlib import Path


def embedded_database_url(var_dir: Path) -> str:
    import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(var_dir))
    server = pgserver.get_server(var_dir / "pgdata")
    return server.get_uri()
