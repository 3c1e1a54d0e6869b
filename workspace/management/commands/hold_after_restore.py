"""Run by `make restore` after the database was restored: nothing waiting at backup time goes out blindly."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from recovery_program import outbox
from supervision.services import pages_hold_after_restore


class Command(BaseCommand):
    help = (
        "Holds every page to a supervisor and every outbox e-mail that was waiting or being sent when the backup "
        "was taken: supervisors see the pages on their home page and send or drop each one."
    )

    def handle(self, *args, **options) -> None:
        pages = pages_hold_after_restore()
        messages = outbox.hold_unsent()
        self.stdout.write(f"Held after the restore: {pages} page(s) to supervisors, {messages} e-mail(s).")
