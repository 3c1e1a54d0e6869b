"""Moves months of the access log older than the retention period into compressed files (README, "Operations")."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recovery_program import access_log_partitions


def year_month(value: str) -> datetime.date:
    try:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM, e.g. 2020-01") from None


class Command(BaseCommand):
    help = (
        "Archives each month of the access log before --before (YYYY-MM) and older than the retention period "
        "(ACCESS_LOG_RETENTION_YEARS, six by default): detaches its partition, writes its rows and seals to a "
        "gzip file in --to, records the seal before the first row kept, and only then drops the partition. "
        "Run as the tables' owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=year_month, required=True, metavar="YYYY-MM")
        parser.add_argument("--to", type=Path, default=None, help="where the files go (ACCESS_LOG_ARCHIVE_DIR)")

    def handle(self, *args, before: datetime.date, to: Path | None, **options):
        today = timezone.localdate()
        kept_from = access_log_partitions.first_of_month(
            today.replace(year=today.year - settings.ACCESS_LOG_RETENTION_YEARS, day=1)
        )
        if before > kept_from:
            raise CommandError(
                f"The access log is kept {settings.ACCESS_LOG_RETENTION_YEARS} years: months from "
                f"{kept_from:%Y-%m} on stay. Give --before {kept_from:%Y-%m} or earlier."
            )
        directory = to or Path(settings.ACCESS_LOG_ARCHIVE_DIR)
        for month in access_log_partitions.claim_default_months(before):
            self.stdout.write(f"{month:%Y-%m}: moved out of the default partition into its own")
        archived = 0
        for month in access_log_partitions.months():
            if month < before:
                archive = access_log_partitions.archive_month(month, directory)
                self.stdout.write(f"{month:%Y-%m}: {archive.rows} rows to {directory / archive.file_name}")
                archived += 1
        self.stdout.write(f"{archived} months archived.")
