"""Break-glass: the supervisor on call opens a record out of her reach in an emergency, for a limited time."""

from __future__ import annotations

import datetime
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from patients import permissions as patient_permissions
from patients.models import BreakGlass
from recovery_program import outbox
from recovery_program.audit import Actor
from recovery_program.models import AccessLog, OutboundMessage, Outgoing
from recovery_program.once import FIELD
from supervision.services import break_glass_open, break_glass_review, supervision_assign
from tests.factories import PatientFactory, UserFactory, add_shift, on_caseload_of
from tests.supervision.conftest import AFTER_HOURS

pytestmark = pytest.mark.django_db

REASON = "Her partner called: she took pills; coach and supervisor not answering"


@pytest.fixture
def own_reach(program):
    program.supervisors_see_all = False
    program.save(update_fields=["supervisors_see_all"])
    return program


@pytest.fixture
def third_supervisor(program):
    return UserFactory(username="super_c", first_name="Ada", last_name="Moss", program=program, role="supervisor")


@pytest.fixture
def far_patient(own_reach, admin, other_coach, backup_supervisor):
    """A woman of the program on a coach Iris does not supervise, whose clinical provider is June."""
    supervision_assign(
        actor=Actor(admin, None), coach=other_coach, supervisor=backup_supervisor, started_on=datetime.date(2026, 1, 1)
    )
    patient = PatientFactory(
        program=own_reach,
        legal_name="Marisol Keane",
        date_of_birth=datetime.date(1996, 4, 9),
        clinical_provider=backup_supervisor,
    )
    on_caseload_of(patient, other_coach, started_on=datetime.date(2026, 1, 2))
    return patient


@pytest.fixture
def on_call(program, supervisor, backup_supervisor):
    """Iris is the primary on call the night of AFTER_HOURS, June the backup."""
    return add_shift(
        program,
        supervisor,
        backup_supervisor,
        AFTER_HOURS - datetime.timedelta(hours=3),
        AFTER_HOURS + datetime.timedelta(hours=9),
    )


@pytest.fixture
def night():
    with time_machine.travel(AFTER_HOURS, tick=False) as traveller:
        yield traveller


def _form(patient, reason=REASON):
    return {
        "legal_name": patient.legal_name.upper(),
        "date_of_birth": patient.date_of_birth.isoformat(),
        "reason": reason,
    }


def _open(supervisor, patient, reason=REASON):
    return break_glass_open(actor=Actor(supervisor, None), patient=patient, reason=reason, now=AFTER_HOURS)


def test_a_supervisor_kept_to_her_own_does_not_see_another_coachs_woman(client_for, supervisor, far_patient, night):
    assert client_for(supervisor).get(reverse("patients:detail", args=[far_patient.pk])).status_code == 404


def test_the_supervisor_on_call_opens_her_record_and_sees_it_for_an_hour(
    client_for, supervisor, far_patient, on_call, night, django_capture_on_commit_callbacks, celery_eager
):
    client = client_for(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:break_glass"), _form(far_patient))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[far_patient.pk])
    grant = BreakGlass.objects.get()
    assert (grant.user, grant.patient, grant.reason) == (supervisor, far_patient, REASON)
    assert grant.ends_at - grant.opened_at == datetime.timedelta(minutes=60)
    opened = client.get(reverse("patients:detail", args=[far_patient.pk]))
    assert opened.status_code == 200
    assert "You opened this record in an emergency" in opened.content.decode()
    # Every page she read during it is a break-glass read.
    reads = patient_permissions.break_glass_reads(grant)
    assert {row.record_type for row in reads} >= {"break-glass access", "patient"}
    # The program's other supervisors are told, with no name and no reason.
    told = OutboundMessage.objects.get()
    assert told.to == "super_b@example.org"
    assert reverse("supervision:break_glass_review", args=[grant.pk]) in told.body
    for secret in ("Marisol", "Keane", "pills", "partner"):
        assert secret not in told.body
        assert secret not in told.subject

    night.shift(datetime.timedelta(minutes=61))
    client.force_login(supervisor)
    assert client.get(reverse("patients:detail", args=[far_patient.pk])).status_code == 404


def test_the_time_is_the_programs_setting(supervisor, far_patient, on_call, own_reach, night):
    own_reach.break_glass_minutes = 20
    own_reach.save(update_fields=["break_glass_minutes"])
    supervisor.program.refresh_from_db()
    grant = _open(supervisor, far_patient)
    assert grant.ends_at - grant.opened_at == datetime.timedelta(minutes=20)


def test_a_supervisor_not_on_call_cannot_open_it(client_for, third_supervisor, far_patient, on_call, night):
    response = client_for(third_supervisor).post(reverse("supervision:break_glass"), _form(far_patient))
    assert response.status_code == 200
    assert "Only the supervisor on call now" in response.content.decode()
    assert not BreakGlass.objects.exists()
    with pytest.raises(ValidationError):
        _open(third_supervisor, far_patient)


def test_a_reason_is_needed(client_for, supervisor, far_patient, on_call, night):
    response = client_for(supervisor).post(reverse("supervision:break_glass"), _form(far_patient, reason="  "))
    assert response.status_code == 200
    assert not BreakGlass.objects.exists()
    with pytest.raises(ValidationError):
        _open(supervisor, far_patient, reason=" ")


def test_a_woman_already_in_her_reach_is_not_opened_again(supervisor, patient, coach, own_reach, admin, on_call, night):
    # Iris is Rosalind's clinical provider: she sees her without breaking glass.
    with pytest.raises(ValidationError):
        _open(supervisor, patient)
    assert (
        patient_permissions.patient_for_break_glass(
            supervisor, legal_name=patient.legal_name, date_of_birth=patient.date_of_birth
        )
        is None
    )


def test_an_open_grant_is_not_opened_twice(supervisor, far_patient, on_call, night):
    _open(supervisor, far_patient)
    with pytest.raises(ValidationError):
        _open(supervisor, far_patient)


def test_another_programs_woman_is_never_opened(client_for, supervisor, outside_patient, far_patient, on_call, night):
    response = client_for(supervisor).post(reverse("supervision:break_glass"), _form(outside_patient))
    assert response.status_code == 200
    assert not BreakGlass.objects.exists()
    with pytest.raises(ValidationError):
        _open(supervisor, outside_patient)
    assert client_for(supervisor).get(reverse("patients:detail", args=[outside_patient.pk])).status_code == 404


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_coaches_admins_and_other_programs_never_break_glass(request, client_for, who, far_patient, on_call, night):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("supervision:break_glass")).status_code == 404
    assert client.post(reverse("supervision:break_glass"), _form(far_patient)).status_code == 404
    with pytest.raises(ValidationError):
        break_glass_open(actor=Actor(user, None), patient=far_patient, reason=REASON, now=AFTER_HOURS)
    assert not BreakGlass.objects.exists()


def test_a_program_whose_supervisors_see_everyone_has_no_break_glass(client_for, supervisor, program):
    assert program.supervisors_see_all
    assert client_for(supervisor).get(reverse("supervision:break_glass")).status_code == 404


def test_another_supervisor_reviews_it_from_her_home_page(
    client_for, supervisor, backup_supervisor, far_patient, on_call, night
):
    grant = _open(supervisor, far_patient)
    # Not the one who opened it: the service refuses, and so does the database.
    assert reverse("supervision:break_glass_review", args=[grant.pk]) not in (
        client_for(supervisor).get(reverse("home")).content.decode()
    )
    with pytest.raises(ValidationError):
        break_glass_review(actor=Actor(supervisor, None), grant=grant, note="Fine.", now=AFTER_HOURS)
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakGlass.objects.filter(pk=grant.pk).update(reviewed_by=supervisor, reviewed_at=AFTER_HOURS, review_note="x")

    client = client_for(backup_supervisor)
    home = client.get(reverse("home")).content.decode()
    assert reverse("supervision:break_glass_review", args=[grant.pk]) in home
    assert "Overdue" not in home
    page = client.get(reverse("supervision:break_glass_review", args=[grant.pk]))
    assert page.status_code == 200
    assert REASON in page.content.decode()
    assert client.post(reverse("supervision:break_glass_review", args=[grant.pk]), {"note": ""}).status_code == 200
    response = client.post(
        reverse("supervision:break_glass_review", args=[grant.pk]), {"note": "Needed: she was safe by 3."}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == backup_supervisor
    assert grant.review_note == "Needed: she was safe by 3."
    assert (
        reverse("supervision:break_glass_review", args=[grant.pk]) not in client.get(reverse("home")).content.decode()
    )
    with pytest.raises(ValidationError):
        break_glass_review(actor=Actor(backup_supervisor, None), grant=grant, note="Again.", now=AFTER_HOURS)


def test_a_review_waiting_72_hours_is_overdue(client_for, supervisor, backup_supervisor, far_patient, on_call, night):
    grant = _open(supervisor, far_patient)
    night.shift(datetime.timedelta(hours=73))
    client = client_for(backup_supervisor)
    home = client.get(reverse("home")).content.decode()
    assert "Overdue" in home
    assert reverse("supervision:break_glass_review", args=[grant.pk]) in home
    assert "Overdue" in client.get(reverse("supervision:break_glass_review", args=[grant.pk])).content.decode()


@pytest.mark.parametrize("who", ["coach", "admin", "outside_supervisor"])
def test_only_the_programs_supervisors_see_a_review(request, client_for, who, supervisor, far_patient, on_call, night):
    grant = _open(supervisor, far_patient)
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("supervision:break_glass_review", args=[grant.pk])).status_code == 404


def test_the_supervisors_are_told_once(supervisor, backup_supervisor, third_supervisor, far_patient, on_call, night):
    _open(supervisor, far_patient)
    told = Outgoing.objects.filter(kind="break_glass")
    assert sorted(told.values_list("recipient__email", flat=True)) == sorted(
        [backup_supervisor.email, third_supervisor.email]
    )
    for message in told:
        assert outbox.deliver(message.pk) is True
        assert outbox.deliver(message.pk) is False
    assert sorted(OutboundMessage.objects.values_list("to", flat=True)) == sorted(
        [backup_supervisor.email, third_supervisor.email]
    )


def test_a_grant_is_never_deleted_nor_stretched(supervisor, far_patient, on_call, night):
    grant = _open(supervisor, far_patient)
    with pytest.raises(DatabaseError), transaction.atomic():
        BreakGlass.objects.filter(pk=grant.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        BreakGlass.objects.filter(pk=grant.pk).update(ends_at=AFTER_HOURS + datetime.timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        BreakGlass.objects.create(
            program=grant.program,
            patient=far_patient,
            user=supervisor,
            reason="x",
            opened_at=AFTER_HOURS,
            ends_at=AFTER_HOURS,
        )


def test_the_review_page_reads_a_constant_number_of_queries(
    client_for, supervisor, backup_supervisor, far_patient, on_call, night, django_assert_max_num_queries
):
    grant = _open(supervisor, far_patient)
    client = client_for(supervisor)
    for _ in range(5):
        client.get(reverse("patients:detail", args=[far_patient.pk]))
    client = client_for(backup_supervisor)
    with django_assert_max_num_queries(20):
        client.get(reverse("supervision:break_glass_review", args=[grant.pk]))
    assert AccessLog.objects.filter(user=backup_supervisor, record_type="break-glass review").count() == 1


@pytest.mark.raw_posts
def test_the_form_sent_twice_with_one_key_opens_once(client_for, supervisor, far_patient, on_call, night):
    client = client_for(supervisor)
    data = _form(far_patient) | {FIELD: str(uuid.uuid4())}
    first = client.post(reverse("supervision:break_glass"), data)
    again = client.post(reverse("supervision:break_glass"), data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert BreakGlass.objects.count() == 1


SETTINGS = {
    "time_zone": "America/New_York",
    "office_opens": "09:00",
    "office_closes": "17:00",
    "office_days": ["0", "1", "2", "3", "4"],
    "escalation_minutes": "15",
    "no_contact_days": "14",
    "caseload_cap": "15",
}


def test_the_admin_sets_who_supervisors_see_and_the_minutes(client_for, admin, program):
    client = client_for(admin)
    page = client.get(reverse("staff:program")).content.decode()
    assert "Which women supervisors see" in page
    assert client.post(reverse("staff:program"), SETTINGS).status_code == 302
    program.refresh_from_db()
    assert (program.supervisors_see_all, program.break_glass_minutes) == (True, 60)  # left out: kept
    data = SETTINGS | {"supervisors_see_all": "no", "break_glass_minutes": "30"}
    assert client.post(reverse("staff:program"), data).status_code == 302
    program.refresh_from_db()
    assert (program.supervisors_see_all, program.break_glass_minutes) == (False, 30)
    response = client.post(reverse("staff:program"), SETTINGS | {"break_glass_minutes": "2000"})
    assert response.status_code == 200
    assert "Between 5 and 720 minutes." in response.content.decode()
