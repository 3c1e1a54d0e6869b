"""A read replica takes the long reads (reports, program figures, downloads) and nothing else; writes, the
access log's included, go to the primary; a replica too far behind or out of reach is passed over.

The replica here is a second connection to the test database (data is committed, so it sees what the primary
wrote, as a caught-up streaming replica would)."""

from __future__ import annotations

import copy
import csv
import datetime
import io

import pytest
from django.conf import settings
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from recovery_program import routers
from recovery_program.models import AccessLog
from tests.factories import log_encounter

pytestmark = pytest.mark.django_db(transaction=True)


def _connect_replica(monkeypatch, **changes):
    """A connection named "replica" to the test database, made from settings and then taken out of them, so that
    the test machinery (which allows only the databases a test names, and names them before fixtures run) takes it
    for a connection made on the fly; the router is told there is a replica."""
    configuration = copy.deepcopy(connections["default"].settings_dict) | {"ATOMIC_REQUESTS": False} | changes
    connections.settings[routers.REPLICA] = configuration
    try:
        replica = connections[routers.REPLICA]
    finally:
        del connections.settings[routers.REPLICA]
    monkeypatch.setattr(routers, "has_replica", lambda: True)
    return replica


@pytest.fixture
def replica(monkeypatch):
    replica = _connect_replica(monkeypatch)
    yield replica
    replica.close()
    del connections[routers.REPLICA]


@pytest.fixture
def unreachable_replica(monkeypatch):
    replica = _connect_replica(monkeypatch, HOST="127.0.0.1", PORT="1", CONN_HEALTH_CHECKS=False)
    yield
    del connections[routers.REPLICA]
    assert replica.connection is None


@pytest.fixture
def worked(coach, patient):
    log_encounter(coach, [patient], occurred_at=timezone.now() - datetime.timedelta(days=3))


def _sql(queries) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


def _get(client, url, **data):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[routers.REPLICA]) as replica,
    ):
        response = client.get(url, data)
        if response.streaming:
            response.content_read = b"".join(response.streaming_content)
    assert response.status_code == 200
    return response, _sql(primary), _sql(replica)


def test_a_report_reads_the_replica_and_logs_its_reading_on_the_primary(client_for, supervisor, worked, replica):
    logged = AccessLog.objects.count()

    _response, primary, read = _get(client_for(supervisor), reverse("reports"))

    assert "coaching_encounterpatient" in read
    assert "coaching_encounterpatient" not in primary
    assert 'INSERT INTO "recovery_program_accesslog"' in primary
    assert "INSERT" not in read
    assert AccessLog.objects.count() == logged + 1


def test_the_program_figures_read_the_replica(client_for, admin, worked, replica):
    _response, primary, read = _get(client_for(admin), reverse("program_figures"))

    assert "coaching_encounter" in read
    assert "coaching_encounter" not in primary


def test_a_download_streams_its_rows_from_the_replica(client_for, supervisor, worked, replica):
    today = timezone.localdate()
    choices = {
        "kind": "encounters",
        "starts_on": (today - datetime.timedelta(days=30)).isoformat(),
        "ends_on": today.isoformat(),
        "coach": "",
        "file_format": "csv",
        "reason": "",
    }
    client = client_for(supervisor)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[routers.REPLICA]) as replica_queries,
    ):
        response = client.post(reverse("exports"), choices)
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert len(rows) == 2  # the heading and the one encounter
    assert "coaching_encounter" in _sql(replica_queries)
    assert "coaching_encounter" not in _sql(primary)
    assert 'INSERT INTO "recovery_program_export"' in _sql(primary)


@pytest.mark.parametrize("page", ["home", "patients:list", "coaching:encounter_list", "coaching:concern_list"])
def test_every_other_page_reads_the_primary_only(client_for, supervisor, worked, replica, page):
    _response, _primary, read = _get(client_for(supervisor), reverse(page))

    assert read == ""


def test_a_replica_too_far_behind_is_passed_over(client_for, supervisor, worked, replica, monkeypatch):
    monkeypatch.setattr(routers, "replica_lag_seconds", lambda: settings.REPLICA_MAX_LAG_SECONDS + 1)

    _response, primary, read = _get(client_for(supervisor), reverse("reports"))

    assert "coaching_encounterpatient" in primary
    assert read == ""


def test_a_replica_out_of_reach_is_passed_over(client_for, supervisor, worked, unreachable_replica):
    response = client_for(supervisor).get(reverse("reports"))

    assert response.status_code == 200
    assert response.context["report"] is not None


def test_without_a_replica_everything_reads_the_primary():
    with routers.from_replica() as database:
        assert database == "default"
        assert router.db_for_read(Patient) == "default"


def test_writes_go_to_the_primary_and_only_the_primary_is_migrated(replica):
    with routers.from_replica() as database:
        assert database == routers.REPLICA
        assert router.db_for_read(Patient) == routers.REPLICA
        assert router.db_for_write(Patient) == "default"
    assert router.db_for_read(Patient) == "default"
    assert router.allow_migrate("default", "patients")
    assert not router.allow_migrate(routers.REPLICA, "patients")
