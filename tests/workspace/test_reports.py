"""The supervisors' reports: who sees them, that each chart, its table and its CSV hold the same numbers, and that
those numbers are right on a small program whose answers are known."""

from __future__ import annotations

import csv
import datetime
import io
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from coaching.models import Concern, EncounterKind
from patients.models import DischargeReason, Episode
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from referrals.services import referral_change_status
from staff.roles import Role
from staff.services import language_set
from supervision.models import SessionStatus, SupervisionSession
from tests.factories import PatientFactory, UserFactory, log_encounter, on_caseload_of, record_referral, share_concern

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)  # a Tuesday, 10:00 in New York
PERIOD = {"period": "dates", "start": "2027-01-04", "end": "2027-02-28"}


def at(day: str, hour: int = 15) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _woman(program, supervisor, coach, enrolled: str, **episode):
    woman = PatientFactory(
        program=program, clinical_provider=supervisor, enrollment_date=datetime.date.fromisoformat(enrolled)
    )
    Episode.objects.create(program=program, patient=woman, started_on=woman.enrollment_date, **episode)
    on_caseload_of(woman, coach)
    return woman


def _concern(coach, woman, when: str, category: str, urgency: str = "routine", acknowledged_after: int | None = None):
    with time_machine.travel(at(when), tick=False):
        concern = share_concern(coach, woman, category=category, urgency=urgency)
    if acknowledged_after is not None:
        Concern.objects.filter(pk=concern.pk).update(
            acknowledged_at=at(when) + datetime.timedelta(minutes=acknowledged_after), status="seen"
        )
    return concern


@pytest.fixture
def known(program, supervisor, coach, other_coach, outside_supervisor, other_program):
    """A program with known answers for 4 January to 28 February 2027 (see each test for them)."""
    completed = DischargeReason.objects.create(program=program, code="done", label="Completed the program")
    a = _woman(program, supervisor, coach, "2027-01-05")
    b = _woman(program, supervisor, coach, "2026-06-01")
    Episode.objects.filter(patient=b).update(ended_on=datetime.date(2027, 2, 10), discharge_reason=completed)
    c = _woman(program, supervisor, other_coach, "2027-02-01")
    outside_coach = UserFactory(program=other_program, role=Role.COACH)
    outsider = _woman(other_program, outside_supervisor, outside_coach, "2027-01-10")

    log_encounter(coach, [a], kind=EncounterKind.OUTREACH, occurred_at=at("2027-01-06"))
    log_encounter(coach, [a], kind=EncounterKind.COMMUNITY, occurred_at=at("2027-01-08"))
    log_encounter(coach, [a, b], kind=EncounterKind.GROUP, occurred_at=at("2027-01-20"))
    log_encounter(coach, [b], kind=EncounterKind.MEDICAL, occurred_at=at("2027-02-03"))
    log_encounter(other_coach, [c], kind=EncounterKind.PHONE, occurred_at=at("2027-02-11"))
    log_encounter(coach, [a], kind=EncounterKind.PHONE, occurred_at=at("2027-03-01"))  # after the period
    log_encounter(outside_coach, [outsider], kind=EncounterKind.GROUP, occurred_at=at("2027-01-20"))

    _concern(coach, a, "2027-01-12", "return_to_use")
    _concern(coach, b, "2027-02-02", "mental_health", "urgent_now", acknowledged_after=20)
    _concern(other_coach, c, "2027-02-12", "child_safety", "urgent_now", acknowledged_after=90)
    _concern(other_coach, c, "2027-02-20", "return_to_use")
    _concern(coach, a, "2027-02-24", "domestic_violence", "urgent_now")
    _concern(outside_coach, outsider, "2027-02-02", "return_to_use", "urgent_now")

    actor = Actor(supervisor, None)
    residential = record_referral(supervisor, a, care_type="residential", referred_on=datetime.date(2027, 1, 15))
    for status, day in (("sent", 16), ("accepted", 20), ("completed", 25)):
        referral_change_status(actor=actor, referral=residential, status=status, changed_on=datetime.date(2027, 1, day))
    record_referral(supervisor, c, care_type="iop", referred_on=datetime.date(2027, 2, 5))
    record_referral(supervisor, b, care_type="housing", referred_on=datetime.date(2026, 12, 1))  # before it
    record_referral(outside_supervisor, outsider, care_type="iop", referred_on=datetime.date(2027, 2, 5))

    for who, day, status in (
        (coach, "2027-01-11", SessionStatus.HELD),
        (coach, "2027-01-25", SessionStatus.HELD),
        (coach, "2027-02-08", SessionStatus.MISSED),
        (other_coach, "2027-01-18", SessionStatus.MISSED),
        (other_coach, "2027-02-01", SessionStatus.CANCELLED),
        (outside_coach, "2027-02-01", SessionStatus.HELD),
    ):
        SupervisionSession.objects.create(
            coach=who,
            supervisor=supervisor if who.program_id == program.pk else outside_supervisor,
            held_on=datetime.date.fromisoformat(day),
            status=status,
        )


class _Page(HTMLParser):
    """Each section's chart bars (group, series, value) and table (header, rows of text)."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.section = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "report-section" in (attrs.get("class") or ""):
            self.section = self.sections.setdefault(attrs["id"], {"bars": [], "header": [], "rows": []})
        elif self.section is None:
            return
        elif tag == "rect" and "data-value" in attrs:
            self.section["bars"].append((attrs["data-group"], attrs["data-series"], attrs["data-value"]))
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()).replace("\u2013", ""))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.section is not None:
            if not self.section["header"]:
                self.section["header"] = self.row
            else:
                self.section["rows"].append(self.row)
            self.row = None
        elif tag == "section":
            self.section = None


def _report(client, page="reports", **params):
    response = client.get(reverse(page), params)
    assert response.status_code == 200
    parser = _Page()
    parser.feed(response.content.decode())
    return parser.sections


def _table(sections, slug) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in sections[slug]["rows"]}


def test_each_chart_its_table_and_its_csv_hold_the_same_numbers(client_for, supervisor, known):
    client = client_for(supervisor)
    sections = _report(client, **PERIOD)
    assert len(sections) == 15
    for slug, section in sections.items():
        header, rows = section["header"], {row[0]: row for row in section["rows"]}
        # No BARC-10 in these records: its medians are none, so its chart has no bar (test_barc10_reports has some).
        assert section["bars"] or slug == "barc10", slug
        for group, series, value in section["bars"]:
            assert rows[group][header.index(series)] == value, (slug, group, series)
        download = client.get(reverse("reports"), {**PERIOD, "download": slug})
        assert download["Content-Type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(download.content.decode()))) == [header, *section["rows"]], slug


def test_the_numbers_are_those_of_the_records(client_for, supervisor, known):
    sections = _report(client_for(supervisor), **PERIOD)

    women = _table(sections, "women")
    assert women["Served (in the program at some time in the period)"] == ["3"]
    assert women["Enrolled or re-enrolled"] == ["2"]
    assert women["Discharged"] == ["1"]
    assert women["Discharged: Completed the program"] == ["1"]
    assert _table(sections, "retention") == {
        "3 months": ["1", "1", "100.0"],
        "6 months": ["1", "1", "100.0"],
        "12 months": ["0", "0", ""],
    }
    first = _table(sections, "first-contact")
    assert first["Seen by a coach since"] == ["2"]
    assert first["Median days to the first contact"] == ["6.5"]  # 3 days (the outreach does not count) and 10
    assert first["Slowest: days to the first contact"] == ["10"]

    encounters = sections["encounters"]
    header = encounters["header"]
    january, february = _table(sections, "encounters")["Jan 2027"], _table(sections, "encounters")["Feb 2027"]
    column = {name: header.index(name) - 1 for name in header[1:]}
    assert january[column["Group treatment session"]] == "1"
    assert january[column["Tried to reach her, no contact"]] == "1"
    assert january[column["All encounters"]] == "3"
    assert (january[column["Women seen"]], january[column["Contacts per woman seen"]]) == ("2", "1.5")
    assert february[column["All encounters"]] == "2"
    assert _table(sections, "accompaniments")["a medical or dental visit"] == ["1"]

    weeks = _table(sections, "concerns")
    assert len(weeks) == 8  # Jan 4 to Feb 22
    assert [weeks[week][-1] for week in ("Jan 11", "Feb 1", "Feb 8", "Feb 15", "Feb 22", "Jan 4")] == list("111110")
    urgent = _table(sections, "urgent")
    assert urgent["Shared as urgent"] == ["3"]
    assert urgent["Acknowledged within 30 minutes"] == ["1"]
    assert urgent["Acknowledged after 30 minutes"] == ["1"]
    assert urgent["Not acknowledged yet"] == ["1"]
    assert urgent["Median minutes to acknowledgement"] == ["55.0"]
    assert urgent["Slowest: minutes to acknowledgement"] == ["90.0"]
    relapse = _table(sections, "relapse")
    assert relapse["Noted (concerns about a return to use)"] == ["2"]
    assert relapse["Reconnected with a coach after it"] == ["1"]
    assert relapse["Not reconnected yet"] == ["1"]
    assert relapse["Median days to reconnect"] == ["8.0"]

    referrals = _table(sections, "referrals")
    assert referrals["Residential treatment"][-1] == "1"
    assert referrals["Intensive outpatient"][-1] == "1"
    assert referrals["Housing"][-1] == "0"
    assert _table(sections, "referral-completion") == {
        "Made": ["2"],
        "Completed": ["1"],
        "Completion rate (%)": ["50.0"],
        "Median days to completion": ["10.0"],
        "Slowest: days to completion": ["10"],
    }
    assert _table(sections, "supervision") == {"Mara Quill": ["2", "1", "0"], "Nell Rowe": ["0", "1", "1"]}


def test_the_first_contact_counts_from_her_enrollment_day_in_the_programs_zone(client_for, supervisor, coach, program):
    woman = _woman(program, supervisor, coach, "2027-02-15")
    # 22:30 on 14 February in New York, the evening before she enrolled (already the 15th in UTC): not after it.
    log_encounter(coach, [woman], kind=EncounterKind.PHONE, occurred_at=at("2027-02-15", hour=3))
    # 23:30 on 15 February in New York, her enrollment day (the 16th in UTC).
    log_encounter(coach, [woman], kind=EncounterKind.PHONE, occurred_at=at("2027-02-16", hour=4))

    first = _table(_report(client_for(supervisor), **PERIOD), "first-contact")

    assert first["Seen by a coach since"] == ["1"]
    assert first["Median days to the first contact"] == ["0.0"]
    assert first["Slowest: days to the first contact"] == ["0"]


def test_one_coach_narrows_every_section_to_her_work_and_caseload(client_for, supervisor, coach, known):
    sections = _report(client_for(supervisor), **PERIOD, coach=coach.pk)

    assert _table(sections, "women")["Served (in the program at some time in the period)"] == ["2"]
    assert _table(sections, "women")["Enrolled or re-enrolled"] == ["1"]
    assert _table(sections, "encounters")["Feb 2027"][-3:] == ["1", "1", "1.0"]
    assert _table(sections, "urgent")["Shared as urgent"] == ["2"]
    assert _table(sections, "referral-completion")["Made"] == ["1"]
    assert _table(sections, "supervision") == {"Mara Quill": ["2", "1", "0"]}


def test_another_program_sees_only_its_own(client_for, outside_supervisor, known):
    sections = _report(client_for(outside_supervisor), **PERIOD)

    assert _table(sections, "women")["Served (in the program at some time in the period)"] == ["1"]
    assert _table(sections, "urgent")["Shared as urgent"] == ["1"]
    assert _table(sections, "referral-completion")["Made"] == ["1"]
    assert list(_table(sections, "supervision")) != ["Mara Quill", "Nell Rowe"]
    assert len(_table(sections, "supervision")) == 1


def test_a_coach_of_another_program_is_refused_next_to_the_field(client_for, supervisor, outside_supervisor, known):
    outside_coach = UserFactory(program=outside_supervisor.program, role=Role.COACH)
    response = client_for(supervisor).get(reverse("reports"), {**PERIOD, "coach": outside_coach.pk})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors["coach"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"period": "dates", "start": "2027-02-30", "end": "2027-02-28"}, "start", ""),
        ({"period": "dates", "start": "yesterday", "end": ""}, "start", ""),
        ({"period": "dates", "start": "", "end": ""}, "start", "Choose the first day of the period."),
        ({"period": "dates", "start": "2027-02-01", "end": "2027-01-01"}, "end", "on or after the first day"),
        ({"period": "dates", "start": "2027-02-01", "end": "2027-03-03"}, "end", "today or before"),
        ({"period": "dates", "start": "1999-02-01", "end": "2027-01-01"}, "start", "2000 or later"),
        ({"period": "dates", "start": "2010-02-01", "end": "2027-01-01"}, "start", "three years at most"),
        ({"period": "forever"}, "period", ""),
        ({"coach": "not-a-number"}, "coach", ""),
        ({"coach": "99999999"}, "coach", ""),
    ],
)
def test_bad_period_input_is_told_next_to_its_field_never_a_500(client_for, supervisor, params, field, message):
    response = client_for(supervisor).get(reverse("reports"), params)

    assert response.status_code == 200
    assert response.context["report"] is None
    errors = response.context["form"].errors[field]
    assert errors
    assert message in " ".join(errors)
    assert b'class="errorlist' in response.content


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("", "2026-12-14", "2027-03-02"),  # the last 12 weeks, Monday to today
        ("weeks", "2026-12-14", "2027-03-02"),
        ("quarter", "2027-01-01", "2027-03-02"),
        ("last_quarter", "2026-10-01", "2026-12-31"),
        ("grant_year", "2026-10-01", "2027-03-02"),
    ],
)
def test_each_preset_covers_its_days(client_for, supervisor, preset, start, end):
    response = client_for(supervisor).get(reverse("reports"), {"period": preset})
    period = response.context["report"].period
    assert (str(period.start), str(period.end)) == (start, end)


def test_the_grant_year_starts_in_the_programs_month(client_for, supervisor, program):
    program.grant_year_starts = 7
    program.save()
    period = client_for(supervisor).get(reverse("reports"), {"period": "grant_year"}).context["report"].period
    assert (str(period.start), str(period.end)) == ("2026-07-01", "2027-03-02")


def test_the_page_and_each_download_are_logged_with_their_filters(client_for, supervisor, coach, known):
    client = client_for(supervisor)
    client.get(reverse("reports"), {**PERIOD, "coach": coach.pk})
    client.get(reverse("reports"), {**PERIOD, "download": "referrals"})

    rows = list(
        AccessLog.objects.filter(user=supervisor).order_by("pk").values_list("action", "record_type", "record_id")
    )
    assert rows[-2:] == [
        (AccessAction.VIEW, "program report", f"2027-01-04..2027-02-28 coach {coach.pk}"),
        (AccessAction.EXPORT, "program report: referrals", "2027-01-04..2027-02-28"),
    ]


def test_an_unknown_download_is_a_404(client_for, supervisor):
    assert client_for(supervisor).get(reverse("reports"), {"download": "names"}).status_code == 404


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin"])
def test_only_supervisors_see_reports(request, client_for, who):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("reports")).status_code == 404
    assert client_for(user).get(reverse("reports"), {"download": "women"}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("reports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_menu_offers_reports_to_supervisors_only(client_for, supervisor, coach, admin):
    link = f'href="{reverse("reports")}"'.encode()
    assert link in client_for(supervisor).get(reverse("home")).content
    assert link not in client_for(coach).get(reverse("home")).content
    assert link not in client_for(admin).get(reverse("home")).content


def test_the_report_names_no_woman(client_for, supervisor, known):
    content = client_for(supervisor).get(reverse("reports"), PERIOD).content.decode()
    for woman in Episode.objects.select_related("patient"):
        assert woman.patient.legal_name not in content
    assert "She seemed unwell" not in content


def test_the_admins_program_figures_chart_their_tables_with_no_womans_name(client_for, admin, known):
    response = client_for(admin).get(reverse("program_figures"))
    sections = _report(client_for(admin), page="program_figures")

    for slug in ("staff", "training", "supervision"):
        header, rows = sections[slug]["header"], {row[0]: row for row in sections[slug]["rows"]}
        assert sections[slug]["bars"], slug
        for group, series, value in sections[slug]["bars"]:
            assert rows[group][header.index(series)] == value, (slug, group, series)
    assert _table(sections, "staff") == {"Coaches": ["2"], "Supervisors": ["1"], "Admins": ["1"]}
    assert _table(sections, "supervision")["Mara Quill"][:2] == ["2", "1"]  # the twelve weeks from Dec 14
    page = response.content.decode()
    for episode in Episode.objects.select_related("patient"):
        assert episode.patient.legal_name not in page
    for clinical in ("She seemed unwell", "Granite House", "Talked about her week", "Completed the program"):
        assert clinical not in page


def test_a_supervisor_who_reads_spanish_gets_the_reports_in_spanish_and_the_charts_keep_their_numbers(
    client_for, supervisor, known
):
    english = _report(client_for(supervisor), **PERIOD)
    language_set(user=supervisor, code="es")
    client = client_for(supervisor)

    sections = _report(client, **PERIOD)

    assert sections.keys() == english.keys()
    decimals = 0
    for slug, section in sections.items():
        assert section["header"] != english[slug]["header"], slug  # her words
        header, rows = section["header"], {row[0]: row for row in section["rows"]}
        for group, series, value in section["bars"]:
            # What the code reads keeps the point; what she reads has the Spanish comma.
            shown = rows[group][header.index(series)]
            assert float(value) == float(shown.replace(",", ".")), (slug, group, series)
            decimals += "," in shown
        download = client.get(reverse("reports"), {**PERIOD, "download": slug})
        assert next(csv.reader(io.StringIO(download.content.decode()))) == header, slug
    assert decimals  # some figure has a decimal part, so the comma was seen
