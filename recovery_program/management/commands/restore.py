"""`make restore ARCHIVE=...`: the database and the private files replaced by a backup's. Stop web, worker and beat
first; `make restore` then runs `hold_after_restore`, so that nothing waiting at backup time goes out blindly."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from recovery_program.backup import backup_restore


class Command(BaseCommand):
    help = "Replaces the database's contents and the private files by those of a `make backup` archive."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="do it: everything now in the database and private files is replaced"
        )

    def handle(self, *args, archive: Path, yes: bool, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"No such archive: {archive}")
        if not yes:
            raise CommandError("This replaces everything in the database and the private files: add --yes.")
        connection.ensure_connection()
        params, major = connection.get_connection_params(), connection.pg_version // 10000
        connection.close()  # pg_restore drops and recreates the tables: hold nothing open on them
        backup_restore(archive=archive, params=params, server_major=major, private_root=settings.PRIVATE_MEDIA_ROOT)
        self.stdout.write(f"Restored from {archive}. Now: manage.py hold_after_restore (make restore runs it).")
