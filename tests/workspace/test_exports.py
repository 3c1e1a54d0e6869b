"""The supervisors' list downloads: who may download, what a de-identified file holds, an identified file's reason
and notice, one access-log row per download, and the file streamed."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coaching.models import Encounter
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog, Export
from referrals.models import REDISCLOSURE_NOTICE
from staff.models import User
from staff.roles import Role
from tests.factories import PatientFactory, UserFactory, log_encounter, on_caseload_of, record_referral, share_concern
from workspace.services import export_record

pytestmark = pytest.mark.django_db

URL = reverse("exports")
KINDS = ["encounters", "concerns", "referrals", "patients"]


def _choices(**changes):
    today = timezone.localdate()
    return {
        "kind": "encounters",
        "starts_on": (today - datetime.timedelta(days=30)).isoformat(),
        "ends_on": today.isoformat(),
        "coach": "",
        "file_format": "csv",
        "reason": "",
    } | changes


def _rows(response) -> list[list[str]]:
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def logged(coach, patient, supervisor):
    """Two encounters with Rosalind (one with her neighbour too), a concern and a referral about her."""
    neighbour = PatientFactory(program=coach.program, legal_name="Juniper Hale", clinical_provider=supervisor)
    on_caseload_of(neighbour, coach)
    log_encounter(coach, [patient, neighbour], summary="She spoke of her mother's threats.", place="Her sister's flat")
    log_encounter(coach, [patient], summary="Planned her week.")
    share_concern(coach, patient, description="Bruises on her arm.")
    record_referral(supervisor, patient, outcome="Went to intake.")
    return neighbour


def test_a_supervisor_downloads_encounters_without_names_notes_or_days(client_for, supervisor, patient, logged):
    response = client_for(supervisor).post(URL, _choices())

    rows = _rows(response)
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0] == ["Encounter", "Woman", "When", "Kind", "Minutes", "Coach", "Entered in error"]
    text = repr(rows)
    for secret in ["Rosalind", "Roz", "Juniper", "threats", "Planned her week", "sister", str(patient.date_of_birth)]:
        assert secret not in text
    assert {row[2] for row in rows[1:]} == {
        f"{timezone.localtime(e.occurred_at):%Y-%m}" for e in Encounter.objects.all()
    }
    assert len(rows) == 4  # the group encounter gives a row for each of its two women


def test_the_same_woman_keeps_one_pseudonym_in_a_file_and_another_in_the_next(client_for, supervisor, logged):
    client = client_for(supervisor)
    first = _rows(client.post(URL, _choices()))[1:]
    second = _rows(client.post(URL, _choices()))[1:]

    # Rosalind is on both encounters, Juniper on the group one: two women, one named twice, the same way.
    women = [row[1] for row in first]
    assert sorted(women.count(name) for name in set(women)) == [1, 2]
    assert {row[1] for row in first}.isdisjoint({row[1] for row in second})
    assert {row[0] for row in first}.isdisjoint({row[0] for row in second})


def test_concerns_referrals_and_women_are_de_identified_too(client_for, supervisor, patient, logged):
    client = client_for(supervisor)
    for kind, secrets in [
        ("concerns", ["Bruises", "Rosalind"]),
        ("referrals", ["Granite House", "intake", "Rosalind"]),
        ("patients", ["Rosalind", "Roz", "Juniper", str(patient.date_of_birth), patient.phone or "Rosalind"]),
    ]:
        rows = _rows(client.post(URL, _choices(kind=kind)))
        assert len(rows) > 1, kind
        assert not any(secret in repr(rows) for secret in secrets), kind


def test_an_identified_file_needs_a_reason_and_says_so_next_to_the_field(client_for, supervisor, logged):
    before = AccessLog.objects.count()

    response = client_for(supervisor).post(URL, _choices(identified="on", reason="  "))

    assert response.status_code == 200
    assert not response.streaming
    assert "Say why you need names and dates" in response.content.decode()
    assert AccessLog.objects.count() == before
    assert not Export.objects.exists()


def test_an_identified_file_starts_with_the_part_2_notice_and_its_reason_is_kept(client_for, supervisor, logged):
    response = client_for(supervisor).post(URL, _choices(identified="on", reason="Court order 2027-114"))

    rows = _rows(response)
    assert rows[1] == [REDISCLOSURE_NOTICE]
    assert "Rosalind Avery" in repr(rows)
    assert "She spoke of her mother's threats." in repr(rows)
    export = Export.objects.get()
    assert (export.identified, export.reason, export.kind) == (True, "Court order 2027-114", "encounters")


def test_an_identified_file_gives_each_woman_her_own_note_of_a_group_encounter_and_no_one_elses(
    client_for, coach, supervisor, patient
):
    neighbour = PatientFactory(program=coach.program, legal_name="Juniper Hale", clinical_provider=supervisor)
    on_caseload_of(neighbour, coach)
    log_encounter(
        coach,
        [patient, neighbour],
        summary="Group on sleep.",
        notes={patient.pk: "Asked about a sleep clinic.", neighbour.pk: "Left before the break."},
    )

    rows = _rows(client_for(supervisor).post(URL, _choices(identified="on", reason="Audit")))

    header = next(row for row in rows if row[:2] == ["Encounter", "Woman"])
    by_name = {row[2]: row for row in rows[rows.index(header) + 1 :]}
    assert header[-1] == "Her own note"
    assert by_name[patient.legal_name][-1] == "Asked about a sleep clinic."
    assert by_name["Juniper Hale"][-1] == "Left before the break."
    assert "Left before the break." not in repr(by_name[patient.legal_name])


def test_a_de_identified_file_carries_no_note_at_all(client_for, coach, supervisor, patient):
    log_encounter(coach, [patient], notes={patient.pk: "Asked about a sleep clinic."})

    rows = _rows(client_for(supervisor).post(URL, _choices()))

    assert "Asked about a sleep clinic." not in repr(rows)
    assert "Her own note" not in rows[0]


def test_each_download_leaves_one_access_log_row_naming_its_choices(client_for, supervisor, coach, logged):
    before = AccessLog.objects.count()

    _rows(client_for(supervisor).post(URL, _choices(kind="patients", coach=coach.pk)))

    row = AccessLog.objects.get(pk__gt=0, record_type="export")
    assert AccessLog.objects.count() == before + 1
    export = Export.objects.get()
    assert (row.action, row.patient_id, row.user) == (AccessAction.EXPORT, None, supervisor)
    assert row.record_id == f"{export.pk}:{export.digest()}"
    assert (export.kind, export.coach, export.identified, export.reason) == ("patients", coach, False, "")


def test_the_database_refuses_an_identified_export_without_a_reason(supervisor):
    today = timezone.localdate()
    with pytest.raises(IntegrityError):
        Export.objects.create(
            user=supervisor, kind="encounters", file_format="csv", starts_on=today, ends_on=today, identified=True
        )


def test_one_coach_narrows_the_file_to_her_work(client_for, supervisor, other_coach, logged, other_patient):
    log_encounter(other_coach, [other_patient])

    rows = _rows(client_for(supervisor).post(URL, _choices(coach=other_coach.pk)))

    assert [row[5] for row in rows[1:]] == ["Nell Rowe"]


def test_an_excel_file_is_streamed_and_holds_text_never_formulas(client_for, supervisor, coach, patient):
    log_encounter(coach, [patient])
    coach.first_name = "=HYPERLINK(1)"
    coach.save()

    response = client_for(supervisor).post(URL, _choices(file_format="xlsx"))

    assert response.streaming
    workbook = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "=HYPERLINK(1) Quill" in sheet
    assert "<f>" not in sheet
    assert "Rosalind" not in sheet


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"starts_on": "2027-02-30"}, "Type a date in “From”"),
        ({"starts_on": "2027-03-10", "ends_on": "2027-03-01"}, "“To” is before “From”"),
        ({"coach": "99999"}, "Choose one of your program"),
        ({"kind": "staff"}, "Which list"),
    ],
)
def test_bad_choices_are_shown_next_to_the_field_and_nothing_is_downloaded(
    client_for, supervisor, changes, field_message
):
    response = client_for(supervisor).post(URL, _choices(**changes))

    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Export.objects.exists()


def test_coaches_and_admins_get_a_404(client_for, coach, admin):
    for user in (coach, admin):
        client = client_for(user)
        assert client.get(URL).status_code == 404
        assert client.post(URL, _choices()).status_code == 404
        assert client.get(reverse("patients:export")).status_code == 404
    assert not Export.objects.exists()


def test_another_programs_supervisor_downloads_none_of_this_programs_women(client_for, outside_supervisor, logged):
    rows = _rows(client_for(outside_supervisor).post(URL, _choices()))

    assert rows[1:] == []


def test_anyone_not_logged_in_is_sent_to_log_in(client):
    assert client.get(URL).url.startswith("/login/")


def test_the_patient_lists_download_is_streamed_de_identified_and_logged_once(client_for, supervisor, logged):
    before = AccessLog.objects.count()

    response = client_for(supervisor).get(reverse("patients:export"))

    rows = _rows(response)
    assert rows[0][0] == "Woman"
    assert len(rows) == 3
    assert "Rosalind" not in repr(rows)
    assert AccessLog.objects.count() == before + 1
    assert Export.objects.get().kind == "patients"


def test_the_export_page_offers_the_choices_with_labels(client_for, supervisor):
    page = client_for(supervisor).get(URL, {"kind": "referrals"}).content.decode()

    for label in ["Which list", "From", "To", "Coach", "File", "Include names", "Why you need names and dates"]:
        assert label in page
    assert re.search(r'value="referrals"[^>]*checked', page)


def _download_queries(client, kind) -> int:
    with CaptureQueriesContext(connection) as queries:
        _rows(client.post(URL, _choices(kind=kind)))
    return len(queries)


def test_a_download_runs_the_same_queries_for_three_or_thirty_rows(client_for, supervisor, coach, patient):
    client = client_for(supervisor)
    client.get(URL)  # the first request after logging in settles the session; not measured

    def grow(size):
        for _ in range(size):
            other = PatientFactory(program=coach.program, clinical_provider=supervisor)
            on_caseload_of(other, coach)
            log_encounter(coach, [patient, other])
            record_referral(supervisor, share_concern(coach, other).patient)

    grow(3)
    small = {kind: _download_queries(client, kind) for kind in KINDS}
    grow(27)
    large = {kind: _download_queries(client, kind) for kind in KINDS}
    assert small == large


def test_the_admins_only_download_is_the_training_table_with_no_clinical_field(client_for, admin, logged):
    client = client_for(admin)
    text = client.get(reverse("staff:compliance_csv")).content.decode()

    assert text.splitlines()[0] == "Name,Role,E-mail,Status,Missing or lapsed,Expiring within 60 days"
    for clinical in ["Rosalind", "Juniper", "threats", "Bruises", "Granite House"]:
        assert clinical not in text
    assert client.get(URL).status_code == 404
    assert client.get(reverse("patients:export")).status_code == 404


def _record(user, **changes):
    today = timezone.localdate()
    choices = {
        "kind": "encounters",
        "file_format": "csv",
        "starts_on": today,
        "ends_on": today,
        "coach": None,
        "identified": False,
        "reason": "",
    }
    return export_record(actor=Actor(user, None), **(choices | changes))


def test_the_service_refuses_a_coach_an_admin_a_missing_reason_and_another_programs_coach(
    coach, admin, supervisor, outside_supervisor
):
    for user in (coach, admin):
        with pytest.raises(ValidationError):
            _record(user)
    with pytest.raises(ValidationError, match="Say why"):
        _record(supervisor, identified=True, reason=" ")
    with pytest.raises(ValidationError, match="coaches"):
        _record(outside_supervisor, coach=coach)
    assert not Export.objects.exists()
    assert _record(supervisor, identified=True, reason="Audit").reason == "Audit"


def test_the_service_refuses_a_period_that_ends_before_it_starts_or_spans_more_than_three_years(supervisor):
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="before"):
        _record(supervisor, starts_on=today, ends_on=today - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="three years"):
        _record(supervisor, starts_on=today - datetime.timedelta(days=3 * 366 + 1), ends_on=today)
    assert not Export.objects.exists()
    assert _record(supervisor, starts_on=today - datetime.timedelta(days=3 * 366), ends_on=today).pk


def test_months_and_days_are_the_programs_even_while_the_file_is_sent(client_for, settings, program, coach, patient):
    # The file is written after the request has ended (and its program's zone with it): an encounter on the
    # evening of 28 February in Los Angeles is already March in UTC, the server's zone here.
    settings.TIME_ZONE = "UTC"
    program.time_zone = "America/Los_Angeles"
    program.save(update_fields=["time_zone"])
    evening = datetime.datetime(2027, 3, 1, 3, 0, tzinfo=datetime.UTC)  # 19:00 on 28 February in Los Angeles
    with time_machine.travel(evening + datetime.timedelta(hours=1), tick=False):
        log_encounter(coach, [patient], occurred_at=evening)
        supervisor = UserFactory(program=program, role=Role.SUPERVISOR)
        client = client_for(supervisor)
        deidentified = _rows(client.post(URL, _choices(starts_on="2027-02-28", ends_on="2027-02-28")))
        identified = _rows(
            client.post(URL, _choices(starts_on="2027-02-28", ends_on="2027-02-28", identified="on", reason="Audit"))
        )

    assert [row[2] for row in deidentified[1:]] == ["2027-02"]
    assert identified[4][3] == "2027-02-28 19:00"


@pytest.mark.parametrize("kind", KINDS)
def test_every_row_has_a_cell_for_each_heading(client_for, supervisor, logged, kind):
    client = client_for(supervisor)
    plain = _rows(client.post(URL, _choices(kind=kind)))
    named = _rows(client.post(URL, _choices(kind=kind, identified="on", reason="Audit")))[3:]

    for rows in (plain, named):
        assert len(rows) > 1
        assert {len(row) for row in rows[1:]} == {len(rows[0])}


def test_the_export_page_lists_the_programs_latest_downloads_with_their_reasons(
    client_for, supervisor, outside_supervisor, logged
):
    other = UserFactory(program=supervisor.program, role=Role.SUPERVISOR, first_name="June", last_name="Okafor")
    _rows(client_for(other).post(URL, _choices(identified="on", reason="Court <b>order</b> 114")))
    _rows(client_for(outside_supervisor).post(URL, _choices(identified="on", reason="Their own audit")))

    page = client_for(supervisor).get(URL).content.decode()

    assert "June Okafor downloaded encounters" in page
    assert "Court &lt;b&gt;order&lt;/b&gt; 114" in page
    assert "Their own audit" not in page


def test_the_demo_shows_a_download_with_names_and_one_without(client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(User.objects.get(username="supervisor2"))

    page = client.get(URL).content.decode()

    assert "without names" in page
    assert "The state&#x27;s quarterly report asks for each woman by name." in page
