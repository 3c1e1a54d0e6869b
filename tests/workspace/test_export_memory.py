"""A download of a large program's year stays within a fixed amount of memory: rows are read through a
server-side cursor and written as they are sent (docs/performance.md, Exports)."""

from __future__ import annotations

import datetime
import resource
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coaching.models import Encounter
from staff.models import User

pytestmark = pytest.mark.django_db

ENCOUNTERS = 200_000
MEGABYTE = 1024 * 1024
ALLOWED_GROWTH = 50 * MEGABYTE
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_bytes(field: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


class PeakGrowth:
    """How far the process's resident memory rose above where it stood at the start, at its highest.

    Linux lets a process reset its own high-water mark (writing 5 to /proc/self/clear_refs), so the peak read
    after is the peak of this block alone. Elsewhere, getrusage's lifetime peak is the bound (it can only read
    lower than the truth when the process had been higher before, which the first check below catches)."""

    def __enter__(self) -> PeakGrowth:
        try:
            CLEAR_REFS.write_text("5")
            self.start = _status_bytes("VmRSS")
            self.read_peak = lambda: _status_bytes("VmHWM")
        except OSError:
            self.start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.read_peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return self

    def __exit__(self, *exc) -> None:
        self.growth = self.read_peak() - self.start


@pytest.fixture
def large_program(settings):
    """One program with 200,000 encounters over two years, written by INSERT ... SELECT (seed_scale)."""
    settings.DEBUG = True
    call_command(
        "seed_scale",
        programs=1,
        supervisors=1,
        coaches=40,
        patients=4000,
        encounters=ENCOUNTERS,
        concerns=0,
        access_log=0,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    settings.DEBUG = False
    return User.objects.get(username="p1-supervisor1")


def _download(client: Client, file_format: str) -> tuple[int, float, PeakGrowth]:
    today = timezone.localdate()
    choices = {
        "kind": "encounters",
        "starts_on": (today - datetime.timedelta(days=2 * 366)).isoformat(),
        "ends_on": today.isoformat(),
        "file_format": file_format,
    }
    started = time.monotonic()
    with PeakGrowth() as peak:
        response = client.post(reverse("exports"), choices)
        assert response.streaming
        size = sum(len(chunk) for chunk in response.streaming_content)
    return size, time.monotonic() - started, peak


def test_a_download_of_200000_encounters_grows_memory_by_at_most_50_mb(large_program):
    assert Encounter.objects.count() == ENCOUNTERS
    client = Client()
    client.force_login(large_program)
    client.get(reverse("exports"))

    size, seconds, peak = _download(client, "csv")

    # Every encounter is in the file (one woman each), and far more than 50 MB would have been needed to hold
    # its rows as Python objects at once: the bound proves the rows were not held.
    print(f"CSV: {size / MEGABYTE:.1f} MB in {seconds:.1f} s, peak memory growth {peak.growth / MEGABYTE:.1f} MB")
    assert size > 10 * MEGABYTE
    assert peak.growth <= ALLOWED_GROWTH


def test_the_measure_sees_memory_that_is_held():
    # The bound above means something only if memory held during the block shows: 80 MB held shows.
    with PeakGrowth() as peak:
        held = bytearray(80 * MEGABYTE)
        for page in range(0, len(held), 4096):
            held[page] = 1
    assert peak.growth >= 70 * MEGABYTE
