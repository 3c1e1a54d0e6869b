"""The patient pages, from each role's side: allowed, look-only (404), outsider (404), anonymous (login)."""

from __future__ import annotations

import csv
import datetime
import io
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Consent, Patient, ProgramStatus
from recovery_program.models import AccessAction, AccessLog
from tests.factories import ConsentFactory, PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _enroll_data(supervisor, coach=None, **overrides):
    data = {
        "legal_name": "Genevieve Hart",
        "preferred_name": "Gen",
        "date_of_birth": "1995-06-14",
        "phone": "603-555-0170",
        "ok_to_text": "on",
        "safe_contact_notes": "Text only.",
        "preferred_language": "English",
        "due_date": (TODAY() + datetime.timedelta(days=90)).isoformat(),
        "delivery_date": "",
        "enrollment_date": TODAY().isoformat(),
        "clinical_provider": supervisor.pk,
        "coach": coach.pk if coach else "",
        "once_key": str(uuid.uuid4()),
    }
    return data | overrides


# The caseload list


def test_coach_lists_her_caseload_only(client_for, coach, patient, other_patient, outside_patient):
    page = client_for(coach).get(reverse("patients:list")).content.decode()
    assert "Rosalind Avery" in page
    assert "Wilhelmina Drake" not in page
    assert "Theodora Finch" not in page


def test_coach_cannot_find_another_coachs_patient_by_search(client_for, coach, patient, other_patient):
    response = client_for(coach).get(reverse("patients:list"), {"q": "Wilhelmina"})
    assert list(response.context["page"]) == []


def test_coach_cannot_reach_another_coachs_patient_through_the_coach_filter(
    client_for, coach, other_coach, patient, other_patient
):
    # The coach filter is not offered to coaches; a forged one is ignored.
    response = client_for(coach).get(reverse("patients:list"), {"coach": other_coach.pk})
    assert "coach" not in response.context["filter"].form.fields
    assert list(response.context["page"]) == [patient]


def test_supervisor_searches_by_preferred_name(client_for, supervisor, patient, other_patient):
    response = client_for(supervisor).get(reverse("patients:list"), {"q": "roz"})
    assert list(response.context["page"]) == [patient]


def test_supervisor_filters_by_status_and_coach(client_for, supervisor, other_coach, patient, other_patient):
    Patient.objects.filter(pk=other_patient.pk).update(status=ProgramStatus.DISCONNECTED)
    client = client_for(supervisor)
    assert list(client.get(reverse("patients:list"), {"status": "disconnected"}).context["page"]) == [other_patient]
    assert list(client.get(reverse("patients:list"), {"coach": other_coach.pk}).context["page"]) == [other_patient]


def test_admin_cannot_open_the_patient_list(client_for, admin, patient):
    assert client_for(admin).get(reverse("patients:list")).status_code == 404


def test_admin_home_shows_counts_and_no_names(client_for, admin, patient, other_patient):
    page = client_for(admin).get(reverse("home")).content.decode()
    assert "Enrolled" in page
    assert "Rosalind" not in page
    assert "Wilhelmina" not in page
    assert reverse("patients:list") not in page


def test_list_is_paginated(client_for, supervisor, program):
    PatientFactory.create_batch(30, program=program, clinical_provider=supervisor)
    response = client_for(supervisor).get(reverse("patients:list"), {"page": 2})
    assert len(response.context["page"]) == 5


@pytest.mark.parametrize("batch", [5, 40])
def test_list_queries_do_not_grow_with_the_caseload(
    client_for, coach, supervisor, batch, django_assert_max_num_queries
):
    for patient in PatientFactory.create_batch(batch, program=coach.program, clinical_provider=supervisor):
        on_caseload_of(patient, coach)
    client = client_for(coach)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("patients:list"))
    assert response.context["page"].paginator.count == batch


@pytest.mark.parametrize("batch", [5, 40])
def test_supervisor_list_queries_do_not_grow(client_for, supervisor, coach, batch, django_assert_max_num_queries):
    for patient in PatientFactory.create_batch(batch, program=coach.program, clinical_provider=supervisor):
        on_caseload_of(patient, coach)
    client = client_for(supervisor)
    # 17: one more than before episodes, for the stays in a higher level of care of the whole page.
    with django_assert_max_num_queries(17):
        client.get(reverse("patients:list"))


# The patient page


def test_coach_opens_her_patients_page(client_for, coach, patient):
    response = client_for(coach).get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    assert "Rosalind Avery" in response.content.decode()


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
def test_outsiders_get_not_found(request, client_for, who, patient):
    user = request.getfixturevalue(who)
    assert client_for(user).get(reverse("patients:detail", args=[patient.pk])).status_code == 404


def test_a_patient_that_does_not_exist_looks_the_same_as_one_out_of_reach(client_for, coach, other_patient):
    client = client_for(coach)
    missing = client.get(reverse("patients:detail", args=[999999]))
    hidden = client.get(reverse("patients:detail", args=[other_patient.pk]))
    assert missing.status_code == hidden.status_code == 404

    def without_csrf(response):
        return re.sub(rb'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', b"", response.content)

    assert without_csrf(missing) == without_csrf(hidden)


def test_anonymous_visitor_is_sent_to_log_in(client, patient):
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_each_view_of_a_patient_page_writes_an_access_log_row(client_for, coach, patient):
    client = client_for(coach)
    client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="192.0.2.7")
    client.get(reverse("patients:detail", args=[patient.pk]), REMOTE_ADDR="192.0.2.7")
    views = AccessLog.objects.filter(patient=patient, action=AccessAction.VIEW, user=coach)
    assert views.count() == 2
    assert views.first().ip_address == "192.0.2.7"


def test_refused_views_write_no_access_log_row(client_for, other_coach, patient):
    client_for(other_coach).get(reverse("patients:detail", args=[patient.pk]))
    assert not AccessLog.objects.filter(user=other_coach).exists()


def test_coach_sees_only_the_summary_of_her_consents_and_no_access_log_link(client_for, coach, patient):
    # The summary (tests/patients/test_consent_summary.py) names whom she may tell; the consents themselves, their
    # signed forms and the revoke links are the supervisors'.
    consent = ConsentFactory(patient=patient)
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "What she has agreed we may share" in page
    assert "Consents to share her information" not in page
    assert reverse("patients:consent_revoke", args=[patient.pk, consent.pk]) not in page
    assert reverse("patients:consent_signed_form_add", args=[patient.pk, consent.pk]) not in page
    assert reverse("patients:access_log", args=[patient.pk]) not in page
    assert reverse("patients:edit", args=[patient.pk]) not in page
    assert reverse("patients:contact", args=[patient.pk]) in page


def test_page_says_plainly_when_there_is_no_current_consent(client_for, supervisor, patient):
    ConsentFactory(patient=patient, expires_on=TODAY() - datetime.timedelta(days=1))
    page = client_for(supervisor).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "No current consent to share her information with anyone" in page
    assert "expired" in page


def test_page_lists_a_current_consent_without_the_warning(client_for, supervisor, patient):
    ConsentFactory(patient=patient)
    page = client_for(supervisor).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "No current consent" not in page
    assert "current" in page


def test_free_text_is_escaped_on_the_patient_page(client_for, coach, patient):
    Patient.objects.filter(pk=patient.pk).update(safe_contact_notes="<script>alert('x')</script>")
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


def test_detail_queries_do_not_grow(client_for, supervisor, patient, django_assert_max_num_queries):
    for _ in range(10):
        ConsentFactory(patient=patient)
    client = client_for(supervisor)
    # 30: her episodes (with their stays in a higher level of care) and her open stay, her pregnancy and children,
    # BARC-10, recovery plan and interviews, whatever their number; 31 when a cache of the process is cold (after
    # other tests of the directory, one more lookup).
    with django_assert_max_num_queries(31):
        client.get(reverse("patients:detail", args=[patient.pk]))


# Contact details


def test_coach_changes_her_patients_contact_details(client_for, coach, patient):
    response = client_for(coach).post(
        reverse("patients:contact", args=[patient.pk]),
        {
            "phone": "603-555-0123",
            "ok_to_text": "on",
            "safe_contact_notes": "Mornings",
            "preferred_language": "English",
            "version": patient.version,
        },
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.ok_to_text, patient.ok_to_leave_message) == ("603-555-0123", True, False)
    assert AccessLog.objects.filter(patient=patient, action=AccessAction.CHANGE, user=coach).exists()


def test_coach_cannot_change_another_coachs_patient(client_for, coach, other_patient):
    response = client_for(coach).post(reverse("patients:contact", args=[other_patient.pk]), {"phone": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["edit", "status", "assign", "consent_add", "child_add", "access_log"])
def test_coach_may_look_but_not_change_the_rest(client_for, coach, patient, page):
    # Out of reach is a 404, like a patient she cannot see at all; what she sends changes nothing.
    client = client_for(coach)
    before = Patient.objects.values().get(pk=patient.pk)
    assert client.get(reverse(f"patients:{page}", args=[patient.pk])).status_code == 404
    data = {"legal_name": "Changed", "status": ProgramStatus.DISCHARGED, "reason": "x", "name": "x"}
    assert client.post(reverse(f"patients:{page}", args=[patient.pk]), data).status_code == 404
    assert Patient.objects.values().get(pk=patient.pk) == before


# Enrolling


def test_supervisor_enrolls_a_patient_onto_a_coachs_caseload(client_for, supervisor, coach):
    response = client_for(supervisor).post(reverse("patients:enroll"), _enroll_data(supervisor, coach))
    patient = Patient.objects.get(legal_name="Genevieve Hart")
    assert response.status_code == 302
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.program == supervisor.program
    assert patient.status_changes.get().status == ProgramStatus.ACTIVE
    assert coach.has_perm("patients.view_patient", patient)
    assert AccessLog.objects.filter(patient=patient, action=AccessAction.CREATE).exists()


def test_sending_the_enroll_form_twice_enrolls_her_once(client_for, supervisor, coach):
    client = client_for(supervisor)
    data = _enroll_data(supervisor, coach)
    first = client.post(reverse("patients:enroll"), data)
    second = client.post(reverse("patients:enroll"), data)
    assert Patient.objects.filter(legal_name="Genevieve Hart").count() == 1
    assert first.url == second.url


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_only_supervisors_enroll(request, client_for, who, supervisor):
    user = request.getfixturevalue(who)
    assert client_for(user).post(reverse("patients:enroll"), _enroll_data(supervisor)).status_code == 404
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_date": "2019-01-01"}, "due_date", "more than a month ago"),
        ({"due_date": "", "delivery_date": "2020-01-01"}, "delivery_date", "more than a year before she enrolled"),
        ({"due_date": "", "delivery_date": "2999-01-01"}, "delivery_date", "cannot be in the future"),
        ({"date_of_birth": "2024-01-01"}, "date_of_birth", "check the date of birth"),
        ({"legal_name": ""}, "legal_name", "Fill in “Legal name”"),
        ({"date_of_birth": "14/06/1995"}, "date_of_birth", "Type a date in “Date of birth”"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_keeps_what_was_typed(
    client_for, supervisor, coach, overrides, field, message
):
    data = _enroll_data(supervisor, coach, **overrides)
    response = client_for(supervisor).post(reverse("patients:enroll"), data)
    assert response.status_code == 200
    assert message.lower() in " ".join(response.context["form"].errors[field]).lower()
    page = response.content.decode()
    assert 'value="603-555-0170"' in page  # what she typed is still there
    assert "Text only." in page
    assert not Patient.objects.exists()


def test_an_unknown_coach_is_refused_with_a_message(client_for, supervisor, outside_supervisor):
    data = _enroll_data(supervisor, coach=outside_supervisor)  # not a coach of her program
    response = client_for(supervisor).post(reverse("patients:enroll"), data)
    assert response.context["form"].errors["coach"] == ["Choose one of your program's coaches."]
    assert not Patient.objects.exists()


def test_a_clinical_provider_from_another_program_is_refused(client_for, supervisor, outside_supervisor):
    data = _enroll_data(supervisor) | {"clinical_provider": outside_supervisor.pk}
    response = client_for(supervisor).post(reverse("patients:enroll"), data)
    assert "clinical_provider" in response.context["form"].errors


# Coach assignment


def test_supervisor_reassigns_and_the_old_coach_loses_the_patient_at_once(
    client_for, client, supervisor, coach, other_coach, patient
):
    response = client_for(supervisor).post(
        reverse("patients:assign", args=[patient.pk]), {"coach": other_coach.pk, "started_on": TODAY().isoformat()}
    )
    assert response.status_code == 302
    client.force_login(coach)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 404
    client.force_login(other_coach)
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


def test_an_assignment_overlapping_the_open_one_is_refused(client_for, supervisor, coach, other_coach, program):
    patient = PatientFactory(program=program, clinical_provider=supervisor)
    on_caseload_of(patient, coach, started_on=patient.enrollment_date + datetime.timedelta(days=10))
    response = client_for(supervisor).post(
        reverse("patients:assign", args=[patient.pk]),
        {"coach": other_coach.pk, "started_on": (patient.enrollment_date + datetime.timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 200
    assert "cannot start before" in " ".join(response.context["form"].errors["started_on"])
    assert patient.assignments.get().coach == coach
    assert coach.has_perm("patients.view_patient", patient)


def test_assigning_the_same_coach_again_says_so(client_for, supervisor, coach, patient):
    response = client_for(supervisor).post(
        reverse("patients:assign", args=[patient.pk]), {"coach": coach.pk, "started_on": TODAY().isoformat()}
    )
    assert response.status_code == 200
    assert "already her coach" in response.content.decode()


def test_supervisor_ends_an_assignment(client_for, supervisor, coach, patient):
    response = client_for(supervisor).post(
        reverse("patients:unassign", args=[patient.pk]), {"ended_on": TODAY().isoformat(), "reason": "Coach left"}
    )
    assert response.status_code == 302
    assert not coach.has_perm("patients.view_patient", patient)
    assert patient.assignments.get().end_reason == "Coach left"


# Status


def test_supervisor_changes_status_and_the_history_keeps_date_and_reason(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:status", args=[patient.pk]),
        {"status": "disconnected", "changed_on": TODAY().isoformat(), "reason": "Missed three groups"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == ProgramStatus.DISCONNECTED
    change = patient.status_changes.get()
    assert (change.status, change.changed_on, change.reason) == ("disconnected", TODAY(), "Missed three groups")
    assert change.changed_by == supervisor


def test_changing_to_the_same_status_is_refused(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:status", args=[patient.pk]),
        {"status": "active", "changed_on": TODAY().isoformat(), "reason": "x"},
    )
    assert "already active" in response.content.decode()


# Consents and children


def test_supervisor_records_and_revokes_a_consent(client_for, supervisor, patient):
    client = client_for(supervisor)
    response = client.post(
        reverse("patients:consent_add", args=[patient.pk]),
        {
            "recipient": "Granite Valley Obstetrics",
            "purpose": "Prenatal care",
            "information_scope": "Attendance",
            "signed_on": TODAY().isoformat(),
            "expires_on": "",
            "expiry_event": "discharge",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=patient)
    assert consent.is_current()
    client.post(reverse("patients:consent_revoke", args=[patient.pk, consent.pk]), {"revoked_on": TODAY().isoformat()})
    consent.refresh_from_db()
    assert not consent.is_current()


def test_a_consent_with_no_end_is_refused(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:consent_add", args=[patient.pk]),
        {"recipient": "X", "purpose": "Y", "information_scope": "Z", "signed_on": TODAY().isoformat()},
    )
    assert "give a date or an event" in response.content.decode()
    assert not Consent.objects.exists()


def test_supervisor_adds_a_child(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:child_add", args=[patient.pk]),
        {"first_name": "Juniper", "birth_year": TODAY().year - 2, "lives_with_patient": "on"},
    )
    assert response.status_code == 302
    assert patient.children.get().first_name == "Juniper"


def test_a_child_born_in_the_future_is_refused(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:child_add", args=[patient.pk]), {"first_name": "Juniper", "birth_year": TODAY().year + 3}
    )
    assert "Enter a year between" in response.content.decode()


# Export and the access log page


def _rows(response):
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_patient_list_download_is_the_supervisors_and_logged_once(client_for, supervisor, patient, other_patient):
    rows = _rows(client_for(supervisor).get(reverse("patients:export")))
    # De-identified: a code for each woman, never her name (tests/workspace/test_exports.py has the rest).
    assert len(rows[1:]) == 2
    assert "Rosalind" not in repr(rows)
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, user=supervisor).count() == 1


def test_a_coach_has_no_file_of_her_caseload(client_for, coach, patient):
    # Minimum necessary: she works from her phone; a file of names that leaves the app is more than she needs.
    client = client_for(coach)
    assert client.get(reverse("patients:export")).status_code == 404
    assert "Download the women" not in client.get(reverse("patients:list")).content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_admin_cannot_export(client_for, admin, patient):
    assert client_for(admin).get(reverse("patients:export")).status_code == 404


def test_export_defuses_spreadsheet_formulas(client_for, supervisor, coach, patient):
    Patient.objects.filter(pk=patient.pk).update(legal_name='=HYPERLINK("http://x")', preferred_name="@SUM(A1)")
    type(coach).objects.filter(pk=coach.pk).update(first_name="+1", last_name="Quill")
    today = TODAY()
    rows = _rows(
        client_for(supervisor).post(
            reverse("exports"),
            {
                "kind": "patients",
                "starts_on": f"{today.year}-01-01",
                "ends_on": today.isoformat(),
                "file_format": "csv",
                "identified": "on",
                "reason": "Audit",
            },
        )
    )
    assert rows[4][1:3] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    assert rows[4][9].startswith("'+1")


def test_supervisor_reads_who_looked_at_a_record(client_for, client, supervisor, coach, patient):
    client.force_login(coach)
    client.get(reverse("patients:detail", args=[patient.pk]))
    response = client_for(supervisor).get(reverse("patients:access_log", args=[patient.pk]))
    assert response.status_code == 200
    assert coach.get_full_name() in response.content.decode()


def test_supervisor_of_another_program_cannot_read_the_log(client_for, outside_supervisor, patient):
    response = client_for(outside_supervisor).get(reverse("patients:access_log", args=[patient.pk]))
    assert response.status_code == 404
