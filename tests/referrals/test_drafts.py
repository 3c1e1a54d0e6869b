"""A supervisor's long clinical forms keep what she types as a draft: one per form and patient, hers alone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coaching.models import Draft
from recovery_program.models import AccessAction, AccessLog
from tests.factories import UserFactory, record_communication, record_cps_report, record_referral

pytestmark = pytest.mark.django_db

# The part of each form's address, its draft's kind, its page, and a field she types in.
KINDS = [
    ("referrals", Draft.Form.REFERRAL, "referrals:referral_new", "receiving_provider"),
    ("cps-reports", Draft.Form.CPS_REPORT, "referrals:cps_report_new", "what_was_reported"),
    ("communications", Draft.Form.COMMUNICATION, "referrals:communication_new", "what_was_said"),
    ("disclosures", Draft.Form.DISCLOSURE, "referrals:disclosure_new", "information"),
]


def _autosave(client, patient, kind, **data):
    return client.post(reverse("referrals:draft_save", args=[patient.pk, kind]), data, HTTP_X_REQUESTED_WITH="fetch")


@pytest.mark.parametrize(("kind", "form", "page", "field"), KINDS)
def test_her_typing_is_kept_and_offered_back_on_the_form(client_for, supervisor, patient, kind, form, page, field):
    client = client_for(supervisor)
    response = _autosave(client, patient, kind, **{field: "The baby was alone", "stowaway": "x"})
    assert response.status_code == 200
    assert "Saved as draft at" in response.content.decode()
    draft = Draft.objects.get(user=supervisor, form=form, key=str(patient.pk))
    assert draft.data == {field: ["The baby was alone"]}
    assert draft.page == reverse(page, args=[patient.pk])

    shown = client.get(reverse(page, args=[patient.pk]))
    assert "We kept what you were typing" in shown.content.decode()
    assert shown.context["form"].initial[field] == "The baby was alone"


@pytest.mark.parametrize(("kind", "form", "page", "field"), KINDS)
def test_each_write_of_a_draft_is_in_the_access_log(client_for, supervisor, patient, kind, form, page, field):
    _autosave(client_for(supervisor), patient, kind, **{field: "words"})
    row = AccessLog.objects.get(record_type="draft")
    assert (row.user, row.patient, row.action) == (supervisor, patient, AccessAction.CHANGE)


def test_a_draft_is_kept_for_each_patient(client_for, supervisor, patient, other_patient):
    client = client_for(supervisor)
    _autosave(client, patient, "cps-reports", what_was_reported="About the first")
    _autosave(client, other_patient, "cps-reports", what_was_reported="About the second")
    page = client.get(reverse("referrals:cps_report_new", args=[patient.pk])).content.decode()
    assert "About the first" in page
    assert "About the second" not in page


def test_a_draft_too_large_is_refused_and_the_last_one_stays(client_for, supervisor, patient):
    client = client_for(supervisor)
    _autosave(client, patient, "cps-reports", what_was_reported="First words")
    response = _autosave(client, patient, "cps-reports", what_was_reported="x" * 25_000)
    assert "Not saved: this is too long" in response.content.decode()
    assert Draft.objects.get().data == {"what_was_reported": ["First words"]}


@pytest.mark.parametrize("who", ["coach", "admin", "outside_supervisor"])
@pytest.mark.parametrize("kind", [kind for kind, *_ in KINDS])
def test_only_those_who_write_the_form_keep_a_draft_of_it(request, client_for, patient, who, kind):
    user = request.getfixturevalue(who)
    assert _autosave(client_for(user), patient, kind, information="x").status_code == 404
    assert not Draft.objects.exists()


def test_a_form_with_no_drafts_is_a_404(client_for, supervisor, patient):
    assert _autosave(client_for(supervisor), patient, "nonsense", information="x").status_code == 404


def test_her_draft_is_never_shown_to_another_supervisor(client_for, client, supervisor, patient, program):
    _autosave(client_for(supervisor), patient, "cps-reports", what_was_reported="Only mine")
    colleague = UserFactory(program=program, role="supervisor")
    client.force_login(colleague)
    response = client.get(reverse("referrals:cps_report_new", args=[patient.pk]))
    assert response.status_code == 200
    assert "Only mine" not in response.content.decode()


def test_starting_over_removes_the_draft(client_for, supervisor, patient):
    client = client_for(supervisor)
    _autosave(client, patient, "cps-reports", what_was_reported="Never mind")
    response = client.post(reverse("referrals:draft_save", args=[patient.pk, "cps-reports"]), {"start_over": "yes"})
    assert response.url == reverse("referrals:cps_report_new", args=[patient.pk])
    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("referrals", lambda s, p: record_referral(s, p)),
        ("cps-reports", lambda s, p: record_cps_report(s, p)),
        ("communications", lambda s, p: record_communication(s, p)),
    ],
)
def test_the_draft_is_removed_when_the_record_is_saved(client_for, supervisor, patient, other_patient, kind, record):
    client = client_for(supervisor)
    _autosave(client, patient, kind, what_was_said="x", what_was_reported="x", receiving_provider="x")
    _autosave(client, other_patient, kind, what_was_said="x", what_was_reported="x", receiving_provider="x")
    record(supervisor, patient)
    assert list(Draft.objects.values_list("key", flat=True)) == [str(other_patient.pk)]


def test_a_disclosure_draft_is_removed_when_the_disclosure_is_saved_not_by_a_cps_report(
    client_for, supervisor, patient
):
    client = client_for(supervisor)
    _autosave(client, patient, "disclosures", information="What I am disclosing")
    record_cps_report(supervisor, patient)  # writes a disclosure of its own
    assert Draft.objects.filter(form=Draft.Form.DISCLOSURE).exists()
