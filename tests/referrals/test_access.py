"""Referrals, CPS reports and patient communications are for supervisors of the patient's program alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from recovery_program.models import AccessAction, AccessLog
from tests.factories import (
    record_communication,
    record_cps_report,
    record_referral,
    share_concern,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(supervisor, coach, patient):
    concern = share_concern(coach, patient, category="child_safety", description="Baby left alone")
    return {
        "concern": concern,
        "referral": record_referral(supervisor, patient, concerns=[concern], outcome="SECRET-REFERRAL-OUTCOME"),
        "cps": record_cps_report(supervisor, patient, concerns=[concern], what_was_reported="SECRET-CPS-TEXT"),
        "communication": record_communication(
            supervisor, patient, concerns=[concern], what_was_said="SECRET-TOLD-TEXT"
        ),
    }


def _urls(records, patient):
    referral, cps, communication = records["referral"], records["cps"], records["communication"]
    return {
        ("list", "actions"): reverse("referrals:patient_actions", args=[patient.pk]),
        ("list", "accounting"): reverse("referrals:accounting", args=[patient.pk]),
        ("view", "referral"): reverse("referrals:referral_detail", args=[referral.pk]),
        ("view", "summary"): reverse("referrals:referral_summary", args=[referral.pk]),
        ("view", "cps"): reverse("referrals:cps_report_detail", args=[cps.pk]),
        ("view", "communication"): reverse("referrals:communication_detail", args=[communication.pk]),
        ("create", "referral"): reverse("referrals:referral_new", args=[patient.pk]),
        ("create", "cps"): reverse("referrals:cps_report_new", args=[patient.pk]),
        ("create", "communication"): reverse("referrals:communication_new", args=[patient.pk]),
        ("create", "disclosure"): reverse("referrals:disclosure_new", args=[patient.pk]),
        ("edit", "referral"): reverse("referrals:referral_edit", args=[referral.pk]),
        ("edit", "cps"): reverse("referrals:cps_report_edit", args=[cps.pk]),
        ("edit", "communication"): reverse("referrals:communication_edit", args=[communication.pk]),
    }


EXPECTED = {"supervisor": 200, "coach": 404, "other_coach": 404, "outside_supervisor": 404, "admin": 404}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_url_for_every_role(request, client_for, records, patient, who):
    client = client_for(request.getfixturevalue(who))
    answers = {key: client.get(url).status_code for key, url in _urls(records, patient).items()}
    assert answers == dict.fromkeys(answers, EXPECTED[who])


@pytest.mark.parametrize("who", ["coach", "other_coach", "outside_supervisor", "admin"])
def test_no_one_else_can_create_by_posting(request, client_for, records, patient, supervisor, who):
    client = client_for(request.getfixturevalue(who))
    data = {
        "care_type": "residential",
        "receiving_provider": "X",
        "decided_by": supervisor.pk,
        "made_by": supervisor.pk,
        "referred_on": "2026-01-01",
        "status": "planned",
    }
    assert client.post(reverse("referrals:referral_new", args=[patient.pk]), data).status_code == 404
    assert client.post(reverse("referrals:referral_edit", args=[records["referral"].pk]), data).status_code == 404
    assert (
        client.post(
            reverse("referrals:referral_status", args=[records["referral"].pk]),
            {"status": "sent", "changed_on": "2026-01-02"},
        ).status_code
        == 404
    )


def test_anonymous_visitors_are_sent_to_log_in(client, records, patient):
    for url in _urls(records, patient).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_nothing_of_them_reaches_any_page_the_coach_can_open(client_for, coach, records, patient):
    client = client_for(coach)
    concern = records["concern"]
    pages = [
        reverse("home"),
        reverse("patients:list"),
        reverse("patients:list") + "?q=Rosalind",
        reverse("patients:detail", args=[patient.pk]),
        reverse("coaching:concern_list"),
        reverse("coaching:concern_detail", args=[concern.pk]),
        reverse("coaching:encounter_list"),
        reverse("coaching:encounter_new"),
        reverse("coaching:concern_new"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in (
            "SECRET",
            "Granite House",
            "Division for Children",
            "DCYF",
            "/clinical/",
            "CPS report",
            "referral",
        ):
            assert secret not in page, (url, secret)


def test_the_supervisor_sees_them_on_the_concern_they_answer(client_for, supervisor, records):
    page = client_for(supervisor).get(reverse("coaching:concern_detail", args=[records["concern"].pk]))
    text = page.content.decode()
    assert "Referral to Granite House Residential" in text
    assert "CPS report to Division for Children, Youth and Families" in text


def test_every_view_is_logged(client_for, supervisor, records, patient):
    client = client_for(supervisor)
    client.get(reverse("referrals:cps_report_detail", args=[records["cps"].pk]))
    client.get(reverse("referrals:referral_summary", args=[records["referral"].pk]))
    assert AccessLog.objects.filter(action=AccessAction.VIEW, record_type="CPS report", user=supervisor).exists()
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, record_type="referral", user=supervisor).exists()


def test_a_patient_of_another_program_is_not_found(client_for, supervisor, outside_patient):
    response = client_for(supervisor).get(reverse("referrals:referral_new", args=[outside_patient.pk]))
    assert response.status_code == 404
