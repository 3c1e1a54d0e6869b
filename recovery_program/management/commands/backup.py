"""`make backup`: the database and the private files in one archive under BACKUP_DIR, then old archives pruned."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from recovery_program.backup import backup_create, backups_prune


class Command(BaseCommand):
    help = (
        "Writes the database (pg_dump, custom format) and the private files into one timestamped archive under "
        "BACKUP_DIR, then removes archives older than BACKUP_KEEP_DAYS except one a month for BACKUP_KEEP_MONTHS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-prune", action="store_true", help="keep every older archive")

    def handle(self, *args, **options) -> None:
        connection.ensure_connection()
        now = timezone.now()
        archive = backup_create(
            params=connection.get_connection_params(),
            server_major=connection.pg_version // 10000,
            private_root=settings.PRIVATE_MEDIA_ROOT,
            into=settings.BACKUP_DIR,
            now=now,
        )
        self.stdout.write(f"Backup written: {archive}")
        if settings.OBJECT_STORAGE_BUCKET:
            self.stdout.write(
                f"The private files are in the bucket {settings.OBJECT_STORAGE_BUCKET}, not in this archive: "
                "back the bucket up with the object store's own versioning and replication (README, Object storage)."
            )
        if not options["no_prune"]:
            removed = backups_prune(
                settings.BACKUP_DIR,
                keep_days=settings.BACKUP_KEEP_DAYS,
                keep_months=settings.BACKUP_KEEP_MONTHS,
                now=now,
            )
            for path in removed:
                self.stdout.write(f"Removed old backup: {path.name}")
