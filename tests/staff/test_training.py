"""Training records, certificates and compliance."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from recovery_program.audit import Actor
from staff.models import TrainingKind, TrainingRecord
from staff.services import program_setup, training_record_add
from staff.training import Status, compliance_for
from supervision.services import supervision_assign

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def standard_training(program):
    program_setup(program=program)


@pytest.fixture
def supervised(admin, coach, supervisor):
    supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=TODAY())


def _kind(program, name):
    return TrainingKind.objects.get(program=program, name=name)


def _give(coach, admin, name, *, days_ago=10, hours=8, expires_in=None):
    kind = _kind(coach.program, name)
    completed = TODAY() - datetime.timedelta(days=days_ago)
    from staff.training import default_expiry

    expires = (
        TODAY() + datetime.timedelta(days=expires_in) if expires_in is not None else default_expiry(kind, completed)
    )
    return training_record_add(
        actor=Actor(admin, None),
        user=coach,
        fields={"kind": kind, "completed_on": completed, "hours": hours, "provider": "", "expires_on": expires},
    )


def _complete_coach(coach, admin):
    for name in (
        "Recovery Coach Academy",
        "Ethics for peer recovery",
        "Confidentiality (HIPAA and 42 CFR Part 2)",
        "Mandated reporter training",
    ):
        _give(coach, admin, name)
    _give(coach, admin, "Continuing education", hours=20)


def _status(user):
    return compliance_for([user], TODAY())[user.pk]


def test_a_new_coach_is_out_of_compliance_with_what_she_misses(coach):
    result = _status(coach)
    assert result.status == Status.OUT
    assert "Recovery Coach Academy: not on record" in result.missing
    assert "Continuing education: 0 of 20 hours in the last 24 months" in result.missing


def test_a_coach_with_everything_is_compliant(coach, admin):
    _complete_coach(coach, admin)
    assert _status(coach).status == Status.COMPLIANT


def test_something_expiring_within_60_days_is_flagged(coach, admin):
    _complete_coach(coach, admin)
    _give(coach, admin, "Ethics for peer recovery", days_ago=5, expires_in=45)
    assert _status(coach).status == Status.EXPIRING


def test_lapsed_training_is_out_of_compliance(coach, admin):
    _complete_coach(coach, admin)
    _give(coach, admin, "Mandated reporter training", days_ago=3, expires_in=-1)
    assert any("lapsed" in item for item in _status(coach).missing)


def test_hours_count_only_within_the_rolling_24_months(coach, admin):
    _complete_coach(coach, admin)
    TrainingRecord.objects.filter(kind__name="Continuing education").update(
        completed_on=TODAY() - datetime.timedelta(days=800)
    )
    assert "Continuing education: 0 of 20 hours in the last 24 months" in _status(coach).missing


def test_admin_adds_a_record_with_a_certificate_and_her_compliance_changes(client_for, admin, coach):
    client = client_for(admin)
    kind = _kind(coach.program, "Recovery Coach Academy")
    response = client.post(
        reverse("staff:training_add", args=[coach.pk]),
        {
            "kind": kind.pk,
            "completed_on": TODAY().isoformat(),
            "hours": "30",
            "provider": "NH Academy",
            "certificate": SimpleUploadedFile("rca.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.expires_on is None  # the Academy does not expire
    assert "Recovery Coach Academy: not on record" not in _status(coach).missing
    assert client.get(reverse("staff:certificate", args=[record.pk])).getvalue() == PDF


def test_the_expiry_defaults_to_the_kinds_validity(client_for, admin, coach):
    kind = _kind(coach.program, "Ethics for peer recovery")
    client_for(admin).post(
        reverse("staff:training_add", args=[coach.pk]),
        {"kind": kind.pk, "completed_on": "2026-01-15", "hours": "6", "provider": ""},
    )
    assert TrainingRecord.objects.get().expires_on == datetime.date(2028, 1, 15)


@pytest.mark.parametrize(
    ("upload", "overrides", "message"),
    [
        (("notes.pdf", b"just some text pretending"), {}, "is not a PDF, PNG or JPEG"),
        (("huge.pdf", PDF + b"0" * (10 * 1024 * 1024)), {}, "the most is 10 MB"),
        (None, {"completed_on": "2999-01-01"}, "cannot be in the future"),
        (None, {"hours": "-1"}, "between 0 and 100"),
        (None, {"hours": "101"}, "between 0 and 100"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client_for, admin, coach, settings, upload, overrides, message):
    data = {
        "kind": _kind(coach.program, "CPR and first aid").pk,
        "completed_on": TODAY().isoformat(),
        "hours": "4",
        "provider": "Red Cross chapter",
    } | overrides
    if upload:
        data["certificate"] = SimpleUploadedFile(upload[0], upload[1])
    response = client_for(admin).post(reverse("staff:training_add", args=[coach.pk]), data)
    page = response.content.decode()
    assert message in page
    assert 'value="Red Cross chapter"' in page
    assert not TrainingRecord.objects.exists()
    assert not list((settings.PRIVATE_MEDIA_ROOT).glob("**/*.*"))


def test_certificates_are_kept_outside_the_web_root(admin, coach, settings):
    record = training_record_add(
        actor=Actor(admin, None),
        user=coach,
        fields={
            "kind": _kind(coach.program, "CPR and first aid"),
            "completed_on": TODAY(),
            "hours": 4,
            "provider": "",
            "certificate": SimpleUploadedFile("cpr.pdf", PDF),
        },
    )
    path = record.certificate.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.STATIC_ROOT))


@pytest.mark.parametrize(
    ("who", "status"),
    [("coach", 200), ("supervisor", 200), ("admin", 200), ("other_coach", 404), ("outside_supervisor", 404)],
)
def test_who_may_open_a_certificate(request, client_for, admin, coach, supervised, who, status):
    record = training_record_add(
        actor=Actor(admin, None),
        user=coach,
        fields={
            "kind": _kind(coach.program, "CPR and first aid"),
            "completed_on": TODAY(),
            "hours": 4,
            "provider": "",
            "certificate": SimpleUploadedFile("cpr.pdf", PDF),
        },
    )
    response = client_for(request.getfixturevalue(who)).get(reverse("staff:certificate", args=[record.pk]))
    assert response.status_code == status


def test_a_supervisor_who_does_not_supervise_her_sees_no_training(client_for, coach, supervisor):
    assert client_for(supervisor).get(reverse("staff:training", args=[coach.pk])).status_code == 404


def test_a_coach_sees_her_own_record_and_what_she_still_needs(client_for, coach):
    page = client_for(coach).get(reverse("staff:my_training"), follow=True).content.decode()
    assert "My training" in page
    assert "Recovery Coach Academy: not on record" in page


def test_a_coach_cannot_add_records(client_for, coach):
    assert client_for(coach).get(reverse("staff:training_add", args=[coach.pk])).status_code == 404


def test_the_compliance_page_for_admins_and_for_supervisors(
    client_for, client, admin, coach, other_coach, supervisor, supervised
):
    _complete_coach(coach, admin)
    rows = client_for(admin).get(reverse("staff:compliance")).context["rows"]
    assert {person.pk for person, _ in rows} >= {coach.pk, other_coach.pk, supervisor.pk}
    client.force_login(supervisor)
    rows = client.get(reverse("staff:compliance")).context["rows"]
    assert [(person, result.status) for person, result in rows] == [(coach, Status.COMPLIANT)]


def test_admins_export_the_compliance_table(client_for, admin, coach):
    response = client_for(admin).get(reverse("staff:compliance_csv"))
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert f"{coach},Coach,{coach.email},Out of compliance" in text


def test_a_name_typed_as_a_formula_is_exported_as_text(client_for, admin, coach):
    coach.first_name, coach.last_name = '=HYPERLINK("http://x","click")', "-1"
    coach.save()
    text = client_for(admin).get(reverse("staff:compliance_csv")).content.decode()
    assert '"\'=HYPERLINK(""http://x"",""click"") -1"' in text
    assert "\n=HYPERLINK" not in text


@pytest.mark.parametrize("who", ["coach", "supervisor"])
def test_only_admins_export_it(request, client_for, who):
    assert client_for(request.getfixturevalue(who)).get(reverse("staff:compliance_csv")).status_code == 404


def test_compliance_queries_do_not_grow_with_staff(client_for, admin, django_assert_max_num_queries):
    from tests.factories import UserFactory

    for user in UserFactory.create_batch(20, program=admin.program, role="coach"):
        _complete_coach(user, admin)
    client = client_for(admin)
    with django_assert_max_num_queries(16):
        client.get(reverse("staff:compliance"))


def test_admin_adds_a_kind_and_a_requirement(client_for, admin, coach):
    client = client_for(admin)
    client.post(
        reverse("staff:training_kinds"),
        {"add_kind": "1", "kind-name": "Naloxone training", "kind-validity_months": "12", "kind-is_active": "on"},
    )
    kind = _kind(admin.program, "Naloxone training")
    client.post(reverse("staff:training_kinds"), {"add_requirement": "1", "req-role": "coach", "req-kind": kind.pk})
    assert "Naloxone training: not on record" in _status(coach).missing


def test_a_file_upload_is_read_by_content_not_by_name(client_for, admin, coach):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    client_for(admin).post(
        reverse("staff:training_add", args=[coach.pk]),
        {
            "kind": _kind(coach.program, "CPR and first aid").pk,
            "completed_on": TODAY().isoformat(),
            "hours": "4",
            "certificate": SimpleUploadedFile("scan.txt", png),
        },
    )
    record = TrainingRecord.objects.get()
    assert io.BytesIO(record.certificate.read()).read(8) == png[:8]
    assert record.certificate.name.endswith(".png")  # stored by what it is, not by its name
    response = client_for(admin).get(reverse("staff:certificate", args=[record.pk]))
    assert response["Content-Type"] == "image/png"
