"""A list is one access-log row naming every woman it showed (`patient_ids`); "who saw her" still finds it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from patients.models import BreakGlass
from patients.permissions import break_glass_reads
from recovery_program.audit import Actor, log_access, log_access_many
from recovery_program.models import TOUCHED_COLUMNS, AccessAction, AccessLog
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour(coach, supervisor):
    """A second woman on the coach's caseload."""
    neighbour = PatientFactory(program=coach.program, clinical_provider=supervisor)
    on_caseload_of(neighbour, coach)
    return neighbour


def test_a_list_view_leaves_one_row_naming_each_woman_shown(client_for, coach, patient, neighbour):
    since = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    client_for(coach).get(reverse("patients:list"))

    row = AccessLog.objects.get(pk__gt=since, user=coach)
    assert (row.action, row.record_type, row.patient_id) == (AccessAction.VIEW, "patient list", None)
    assert row.patient_ids == sorted([patient.pk, neighbour.pk])


def test_a_list_of_one_is_a_row_about_her_and_an_empty_list_leaves_none(coach, patient):
    actor = Actor(coach, None)
    assert log_access_many(actor, AccessAction.VIEW, [], record_type="patient list") is None
    row = log_access_many(actor, AccessAction.VIEW, [patient.pk, patient.pk], record_type="patient list")
    assert (row.patient_id, row.patient_ids) == (patient.pk, None)


def test_who_saw_her_finds_the_lists_that_named_her_and_no_other(coach, supervisor, patient, neighbour, other_patient):
    actor = Actor(coach, None)
    alone = log_access(actor, AccessAction.VIEW, patient=patient)
    with_her = log_access_many(actor, AccessAction.VIEW, [patient.pk, neighbour.pk], record_type="patient list")
    without_her = log_access_many(actor, AccessAction.VIEW, [neighbour.pk, other_patient.pk], record_type="list")

    about_her = set(AccessLog.objects.about(patient.pk).values_list("pk", flat=True))

    assert {alone.pk, with_her.pk} <= about_her
    assert without_her.pk not in about_her


def test_the_access_log_page_shows_a_list_that_named_her(client_for, coach, supervisor, patient, neighbour):
    client_for(coach).get(reverse("patients:list"))

    page = client_for(supervisor).get(reverse("patients:access_log", args=[patient.pk]))

    assert any(entry.record_type == "patient list" and entry.user == coach for entry in page.context["page"])


def test_a_break_glass_review_counts_the_lists_she_opened_in_its_window(supervisor, patient, neighbour):
    now = timezone.now()
    grant = BreakGlass.objects.create(
        program=patient.program,
        patient=patient,
        user=supervisor,
        reason="She was in danger",
        opened_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
    )
    listed = log_access_many(
        Actor(supervisor, None), AccessAction.VIEW, [patient.pk, neighbour.pk], record_type="patient list"
    )

    assert listed in list(break_glass_reads(grant))


def test_who_saw_her_has_its_index_and_what_an_account_touched_its_covering_one(coach, patient):
    # With so few rows the planner would rather scan; told not to, it must find an index that answers.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        about = AccessLog.objects.about(patient.pk).only("id")
        assert "Index Cond: (patient_ids @> " in about.explain()
        # What touched_by reads is all in accesslog_user_at (docs/performance.md measures it on 5 M rows).
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'accesslog_user_at'")
        (definition,) = cursor.fetchone()
    assert "(user_id, at DESC) INCLUDE (id, action, patient_id, patient_ids, record_type, record_id)" in definition
    touched = AccessLog.objects.touched_by(coach.pk, *_year())
    assert set(touched.query.deferred_loading[0]) == set(TOUCHED_COLUMNS)


def _year():
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
