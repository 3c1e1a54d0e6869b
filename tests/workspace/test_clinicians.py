"""A clinician with the supervisor role (a group therapist, no coaches, no shifts) works from her own women: her home
page opens on their open concerns and referrals, and the concern queue, patient list and overview narrow to them.
Each concern and referral page names the woman's clinical provider."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from staff.roles import Role
from supervision.services import supervision_assign
from tests.factories import (
    PatientFactory,
    UserFactory,
    add_shift,
    on_caseload_of,
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
)
from workspace.services import staff_deactivate, staff_role_change

pytestmark = pytest.mark.django_db

ONLY_MINE = "Only women I am the clinical provider for"


@pytest.fixture
def clinician(program):
    """Noor, the program's group therapist: the supervisor role, no coaches, no shifts."""
    return UserFactory(
        username="clin_a",
        first_name="Noor",
        last_name="Ashdown",
        program=program,
        role=Role.SUPERVISOR,
        phone="603-555-0153",
    )


@pytest.fixture
def hers(coach, clinician):
    """Calla, on the coach's caseload, whose clinical provider is Noor."""
    woman = PatientFactory(program=coach.program, legal_name="Calla Winslow", clinical_provider=clinician)
    on_caseload_of(woman, coach)
    return woman


@pytest.fixture
def concerns(coach, hers, patient):
    """An open concern about Calla (Noor's) and one about Roz (Iris's)."""
    return share_concern(coach, hers, description="About Calla"), share_concern(coach, patient)


def _text(response):
    return response.content.decode()


# The concern queue


def test_the_queue_narrows_to_her_women(client_for, clinician, concerns):
    about_hers, about_roz = concerns
    page = client_for(clinician).get(reverse("coaching:concern_list") + "?mine=1")
    assert list(page.context["page"]) == [about_hers]
    assert ONLY_MINE in _text(page)
    assert [c.pk for c in client_for(clinician).get(reverse("coaching:concern_list")).context["page"]] == [
        about_hers.pk,
        about_roz.pk,
    ]


def test_each_row_of_the_queue_names_the_clinical_provider(client_for, supervisor, concerns):
    page = _text(client_for(supervisor).get(reverse("coaching:concern_list")))
    assert "Clinical provider: Noor Ashdown" in page
    assert "Clinical provider: Iris Vance" in page


def test_the_queues_pages_keep_the_filter(client_for, clinician, coach, hers, patient):
    for _ in range(26):
        share_concern(coach, hers)
    share_concern(coach, patient)
    client = client_for(clinician)
    first = client.get(reverse("coaching:concern_list") + "?mine=1")
    assert "mine=1&amp;page=2" in _text(first)
    second = client.get(reverse("coaching:concern_list") + "?mine=1&page=2")
    assert {c.patient_id for c in second.context["page"]} == {hers.pk}
    assert len(second.context["page"]) == 1


def test_a_coach_asking_for_only_her_women_sees_her_own_concerns_as_ever(client_for, coach, concerns):
    page = client_for(coach).get(reverse("coaching:concern_list") + "?mine=1")
    assert len(page.context["page"]) == 2
    assert ONLY_MINE not in _text(page)


def test_the_other_coach_and_another_programs_supervisor_see_none_of_it(
    client_for, other_coach, outside_supervisor, concerns
):
    for who in (other_coach, outside_supervisor):
        assert list(client_for(who).get(reverse("coaching:concern_list") + "?mine=1").context["page"]) == []


def test_an_admin_has_no_concern_queue(client_for, admin, concerns):
    assert client_for(admin).get(reverse("coaching:concern_list") + "?mine=1").status_code == 404


# The patient list and the overview


def test_the_patient_list_narrows_to_her_women(client_for, clinician, hers, patient):
    page = client_for(clinician).get(reverse("patients:list") + "?mine=on")
    assert list(page.context["page"]) == [hers]
    assert ONLY_MINE in _text(page)


def test_the_patient_lists_pages_keep_the_filter(client_for, clinician, program):
    PatientFactory.create_batch(27, program=program, clinical_provider=clinician)
    PatientFactory.create_batch(3, program=program)
    client = client_for(clinician)
    assert "mine=on&amp;page=2" in _text(client.get(reverse("patients:list") + "?mine=on"))
    second = client.get(reverse("patients:list") + "?mine=on&page=2")
    assert len(second.context["page"]) == 2
    assert {p.clinical_provider_id for p in second.context["page"]} == {clinician.pk}


def test_a_coach_has_no_such_filter_and_sees_her_caseload(client_for, coach, hers, patient):
    page = client_for(coach).get(reverse("patients:list") + "?mine=on")
    assert set(page.context["page"]) == {hers, patient}
    assert ONLY_MINE not in _text(page)


def test_the_overview_offers_the_filter_and_counts_only_her_women(client_for, admin, clinician, coach, hers, patient):
    page = client_for(clinician).get(reverse("overview") + "?all=1&mine=1")
    assert ONLY_MINE in _text(page)
    (row,) = [row for row in page.context["overview"].rows if row.coach == coach]
    assert row.caseload == 1  # Calla, not Roz


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_the_overview_stays_a_404_for_coaches_and_admins(client_for, request, who):
    assert client_for(request.getfixturevalue(who)).get(reverse("overview") + "?mine=1").status_code == 404


# Concern and referral pages name her clinical provider


def test_the_concern_page_names_her_clinical_provider_with_how_to_reach_her(client_for, supervisor, coach, concerns):
    about_hers, _ = concerns
    for who in (supervisor, coach):
        page = _text(client_for(who).get(reverse("coaching:concern_detail", args=[about_hers.pk])))
        assert "Noor Ashdown" in page
        assert 'href="tel:603-555-0153"' in page


def test_every_clinical_record_page_names_her_clinical_provider(client_for, supervisor, hers, concerns):
    about_hers, _ = concerns
    referral = record_referral(supervisor, hers, concerns=[about_hers])
    report = record_cps_report(supervisor, hers, concerns=[about_hers])
    told = record_communication(supervisor, hers, concerns=[about_hers])
    client = client_for(supervisor)
    for url in (
        reverse("referrals:patient_actions", args=[hers.pk]),
        reverse("referrals:referral_new", args=[hers.pk]),
        reverse("referrals:referral_detail", args=[referral.pk]),
        reverse("referrals:cps_report_detail", args=[report.pk]),
        reverse("referrals:cps_report_new", args=[hers.pk]),
        reverse("referrals:communication_detail", args=[told.pk]),
        reverse("supervision:on_call", args=[about_hers.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Clinical provider" in _text(page), url
        assert "Noor Ashdown" in _text(page), url


def test_a_woman_without_one_is_said_to_have_none(client_for, supervisor, coach, patient):
    type(patient).objects.filter(pk=patient.pk).update(clinical_provider=None)
    concern = share_concern(coach, patient)
    page = _text(client_for(supervisor).get(reverse("coaching:concern_detail", args=[concern.pk])))
    assert "None named" in page


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_nobody_out_of_reach_sees_the_concern_or_its_provider(client_for, request, concerns, who):
    about_hers, _ = concerns
    response = client_for(request.getfixturevalue(who)).get(reverse("coaching:concern_detail", args=[about_hers.pk]))
    assert response.status_code == 404


# Her home page


def test_a_clinicians_home_page_opens_on_her_womens_concerns_and_referrals(client_for, clinician, hers, concerns):
    about_hers, _ = concerns
    referral = record_referral(clinician, hers, status="sent")
    record_referral(clinician, hers, status="completed")  # done: not listed
    page = _text(client_for(clinician).get(reverse("home")))
    assert page.index("Your patients") < page.index("Concerns from coaches")
    assert reverse("coaching:concern_detail", args=[about_hers.pk]) in page
    assert reverse("referrals:referral_detail", args=[referral.pk]) in page
    assert "Referrals under way (1)" in page
    assert "Rosalind" not in page  # Roz is Iris's
    assert "Your coaches at a glance" not in page  # she has none


def test_her_home_page_logs_the_women_it_names(client_for, clinician, hers, concerns):
    client_for(clinician).get(reverse("home"))
    assert set(
        AccessLog.objects.filter(user=clinician, record_type="home: her patients").values_list("patient", flat=True)
    ) == {hers.pk}


def test_a_supervisor_with_coaches_keeps_her_home_page_and_sees_her_women_after_the_queue(
    client_for, admin, supervisor, coach, patient, concerns
):
    supervision_assign(actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=timezone.localdate())
    page = _text(client_for(supervisor).get(reverse("home")))
    assert page.index("Concerns from coaches") < page.index("Your patients")
    assert "Your coaches at a glance" in page


def test_a_clinician_on_the_rota_keeps_the_rest_of_her_home_page(client_for, clinician, supervisor, hers, concerns):
    now = timezone.now()
    add_shift(hers.program, clinician, supervisor, now + datetime.timedelta(days=1), now + datetime.timedelta(days=2))
    page = _text(client_for(clinician).get(reverse("home")))
    assert page.index("Concerns from coaches") < page.index("Your patients")


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_nobody_else_has_the_section(client_for, request, concerns, who):
    page = _text(client_for(request.getfixturevalue(who)).get(reverse("home")))
    assert "Your patients" not in page
    assert "Calla" not in page


# When she can no longer be anyone's clinical provider


def test_deactivating_her_leaves_her_women_with_none_named_and_their_history_keeps_her(
    client_for, admin, clinician, hers
):
    effects = _text(client_for(admin).post(reverse("staff:deactivate", args=[clinician.pk])))
    assert "A woman has her as clinical provider: she will have none named" in effects
    hers.refresh_from_db()
    assert hers.clinical_provider == clinician  # nothing happens before the confirmation
    staff_deactivate(actor=Actor(admin, None), user=clinician)
    hers.refresh_from_db()
    assert hers.clinical_provider is None
    assert list(hers.events.order_by("pgh_id").values_list("clinical_provider_id", flat=True)) == [clinician.pk, None]


def test_a_clinician_made_a_coach_is_nobodys_clinical_provider(admin, supervisor, clinician, hers):
    staff_role_change(actor=Actor(admin, None), user=clinician, role=Role.COACH)
    hers.refresh_from_db()
    assert hers.clinical_provider is None
