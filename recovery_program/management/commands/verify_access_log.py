"""Checks the access log's hash chain; names the first row or seal changed or removed (README, "Operations")."""

from __future__ import annotations

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recovery_program.access_log_chain import verify


def recorded_head(value: str) -> tuple[int, bytes]:
    sequence, _, digest = value.partition(":")
    try:
        return int(sequence), bytes.fromhex(digest)
    except ValueError:
        raise argparse.ArgumentTypeError("expected SEQUENCE:HASH, as this command printed it") from None


class Command(BaseCommand):
    help = (
        "Walks the access log's hash chain and recomputes every seal. Exits non-zero, naming the first row "
        "changed or removed (or seal altered or removed), or rows left unsealed; otherwise prints the head "
        "(latest sequence and hash) to record somewhere outside this database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--unsealed-after",
            type=int,
            default=15,
            metavar="MINUTES",
            help="a row older than this with no seal is a problem: the sealer stopped (default 15)",
        )
        parser.add_argument(
            "--head",
            type=recorded_head,
            metavar="SEQUENCE:HASH",
            help="a head printed by an earlier run and kept elsewhere: it must still be in the chain",
        )
        parser.add_argument("--batch-size", type=int, default=10_000, help="seals read per query (default 10000)")

    def handle(self, *args, unsealed_after, head, batch_size, **options):
        verdict = verify(
            unsealed_before=timezone.now() - datetime.timedelta(minutes=unsealed_after),
            head=head,
            batch_size=batch_size,
        )
        if verdict.problems:
            for problem in verdict.problems[:20]:
                self.stderr.write(problem)
            more = len(verdict.problems) - 20
            raise CommandError(
                f"The access log's chain is broken: {len(verdict.problems)} problems"
                + (f" ({more} more not shown)" if more > 0 else "")
                + f"; the first: {verdict.problems[0]}"
            )
        self.stdout.write(
            f"The access log's chain holds: {verdict.checked} seals checked.\n"
            f"Head: {verdict.head_sequence}:{verdict.head_hash.hex()}\n"
            "Keep the head somewhere outside this database (pass it back with --head): a chain rewritten "
            "from its start would otherwise check too."
        )
