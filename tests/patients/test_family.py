"""Pregnancy and parenting: her pregnancies (coach and supervisors keep them), her children (custody and child
protective services for supervisors only), the CPS report's children, and the births on the program report."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse

from patients import permissions
from patients.models import Child, ChildCustody, Pregnancy, where_she_is
from patients.services import child_custody_save, child_save, pregnancy_save
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from referrals.services import cps_report_record
from tests.factories import PatientFactory, on_caseload_of

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2027, 3, 2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def _save(user, patient, **fields) -> Pregnancy:
    return pregnancy_save(actor=Actor(user, None), patient=patient, pregnancy=Pregnancy(**fields))


@pytest.fixture
def child(supervisor, patient):
    return child_save(
        actor=Actor(supervisor, None),
        patient=patient,
        child=Child(first_name="Mila", date_of_birth=datetime.date(2025, 6, 1), next_court_date=_days(9)),
    )


@pytest.fixture
def custody(supervisor, child):
    return child_custody_save(
        actor=Actor(supervisor, None),
        child=child,
        fields={"custody": "relative", "cps": "open", "cps_opened_on": _days(-30)},
    )


# Rules


def test_what_is_known_of_the_birth_waits_for_the_delivery(coach, patient):
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(30), gestational_weeks=39, birth_weight_grams=3000)
    assert set(refused.value.message_dict) == {"gestational_weeks", "birth_weight_grams"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Pregnancy.objects.create(program=patient.program, patient=patient, due_date=_days(30), infant_withdrawal="yes")


def test_a_plan_of_safe_care_names_with_whom_and_when_together(coach, patient):
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(30), safe_care_plan=True)
    assert set(refused.value.message_dict) == {"safe_care_with", "safe_care_on"}
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(30), safe_care_with="Hospital social worker")
    assert set(refused.value.message_dict) == {"safe_care_plan"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Pregnancy.objects.create(program=patient.program, patient=patient, due_date=_days(30), safe_care_plan=True)


@pytest.mark.parametrize(
    ("field", "value"), [("gestational_weeks", 19), ("gestational_weeks", 46), ("birth_weight_grams", 200)]
)
def test_implausible_births_are_refused_by_the_service_and_the_database(coach, patient, field, value):
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(-5), delivery_date=_days(-3), **{field: value})
    assert field in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Pregnancy.objects.create(
            program=patient.program, patient=patient, due_date=_days(-5), delivery_date=_days(-3), **{field: value}
        )


def test_one_pregnancy_at_a_time_waits_for_its_delivery(coach, patient):
    _save(coach, patient, due_date=_days(60))
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(90))
    assert "due_date" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Pregnancy.objects.create(program=patient.program, patient=patient, due_date=_days(90))


def test_a_delivery_cannot_be_in_the_future(coach, patient):
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(5), delivery_date=_days(1))
    assert "delivery_date" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _save(coach, patient, due_date=_days(200), delivery_date=_days(-2))
    assert refused.value.message_dict["delivery_date"] == [
        "That is more than 20 weeks before the due date: check both dates."
    ]


def test_a_child_needs_a_date_of_birth_or_a_year(supervisor, patient):
    with pytest.raises(ValidationError) as refused:
        child_save(actor=Actor(supervisor, None), patient=patient, child=Child(first_name="Noor"))
    assert "date_of_birth" in refused.value.message_dict


def test_her_current_pregnancy_keeps_her_dates_in_step(coach, patient):
    pregnancy = _save(coach, patient, due_date=_days(84))
    patient.refresh_from_db()
    assert (patient.due_date, patient.delivery_date, patient.current_pregnancy_status) == (_days(84), None, "pregnant")
    pregnancy.delivery_date, pregnancy.due_date = _days(-2), _days(-1)
    pregnancy_save(actor=Actor(coach, None), patient=patient, pregnancy=pregnancy)
    patient.refresh_from_db()
    assert (patient.delivery_date, patient.current_pregnancy_status) == (_days(-2), "postpartum")
    assert AccessLog.objects.filter(patient=patient, action=AccessAction.CHANGE, record_type="pregnancy").exists()


def test_cps_dates_fit_the_case(supervisor, child):
    actor = Actor(supervisor, None)
    for fields, field in [
        ({"cps": "open"}, "cps_opened_on"),
        ({"cps": "none", "cps_opened_on": _days(-3)}, "cps"),
        ({"cps": "closed", "cps_opened_on": _days(-3)}, "cps_closed_on"),
        ({"cps": "closed", "cps_opened_on": _days(-3), "cps_closed_on": _days(-9)}, "cps_closed_on"),
    ]:
        with pytest.raises(ValidationError) as refused:
            child_custody_save(actor=actor, child=child, fields={"custody": "with_her", **fields})
        assert field in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        ChildCustody.objects.create(program=child.program, child=child, cps="open")


def test_a_childs_year_of_birth_is_her_date_of_births(child):
    assert child.birth_year == 2025
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.filter(pk=child.pk).update(birth_year=2024)


def test_a_child_never_joins_another_programs_mother(child, outside_patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Child.objects.filter(pk=child.pk).update(program=outside_patient.program)


# Where she is, and what is due


def test_where_she_is_in_words(coach, patient):
    patient.due_date = _days(12 * 7)
    assert where_she_is(patient, TODAY) == "Pregnant — 28 weeks"
    patient.due_date, patient.delivery_date = _days(-95), _days(-92)
    assert where_she_is(patient, TODAY) == "Postpartum — 3 months"
    patient.due_date, patient.delivery_date = None, _days(-500)
    assert where_she_is(patient, TODAY) == "Parenting"


def test_her_page_says_a_plan_of_safe_care_is_due(client_for, coach, patient):
    _save(coach, patient, due_date=_days(20))
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Pregnant — 38 weeks" in page
    assert "Her due date is near and no Plan of Safe Care is recorded." in page
    pregnancy = Pregnancy.objects.get(patient=patient)
    pregnancy.delivery_date = _days(-1)
    pregnancy_save(actor=Actor(coach, None), patient=patient, pregnancy=pregnancy)
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "She has delivered and no Plan of Safe Care is recorded." in page


# Who sees and does what


def test_her_coach_records_a_pregnancy_from_the_form(client_for, coach, patient):
    response = client_for(coach).post(
        reverse("patients:pregnancy_add", args=[patient.pk]),
        {"due_date": _days(40).isoformat(), "prenatal_care": "on", "prenatal_care_where": "Riverbend OB", "moud": "on"},
    )
    assert response.status_code == 302
    assert Pregnancy.objects.get(patient=patient).prenatal_care_where == "Riverbend OB"


def test_a_pregnancy_sent_twice_is_saved_once(client_for, coach, patient):
    client = client_for(coach)
    data = {"due_date": _days(40).isoformat(), "once_key": "9f0c2f0e-8d4a-4b39-9a57-1a2b3c4d5e6f"}
    first = client.post(reverse("patients:pregnancy_add", args=[patient.pk]), data)
    again = client.post(reverse("patients:pregnancy_add", args=[patient.pk]), data)
    assert (first.status_code, again.status_code) == (302, 302)
    assert Pregnancy.objects.filter(patient=patient).count() == 1


def test_bad_input_is_shown_next_to_the_field_and_kept(client_for, coach, patient):
    response = client_for(coach).post(
        reverse("patients:pregnancy_add", args=[patient.pk]),
        {"due_date": _days(40).isoformat(), "gestational_weeks": "39", "safe_care_with": "Dr. Ruiz"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["gestational_weeks"] == ["Record the delivery date first."]
    assert "safe_care_plan" in form.errors
    assert "Dr. Ruiz" in response.content.decode()
    assert not Pregnancy.objects.exists()


def test_a_coach_never_sees_custody_or_cps(client_for, coach, patient, child, custody):
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Mila" in page
    assert "Next court date" in page
    for hidden in ("Custody", "CPS", "kinship", "Open case"):
        assert hidden not in page
    assert client_for(coach).get(reverse("patients:child_custody", args=[patient.pk, child.pk])).status_code == 404


def test_her_supervisor_sees_and_records_custody(client_for, supervisor, patient, child, custody):
    client = client_for(supervisor)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "With a relative (kinship care)" in page
    assert "open case" in page
    url = reverse("patients:child_custody", args=[patient.pk, child.pk])
    response = client.post(url, {"custody": "with_her", "cps": "closed", "cps_opened_on": _days(-30).isoformat()})
    assert response.status_code == 200
    assert response.context["form"].errors["cps_closed_on"] == ["Enter the day the case was closed."]
    response = client.post(
        url,
        {
            "custody": "with_her",
            "cps": "closed",
            "cps_opened_on": _days(-30).isoformat(),
            "cps_closed_on": _days(-1).isoformat(),
        },
    )
    assert response.status_code == 302
    assert ChildCustody.objects.get(child=child).cps == "closed"
    assert ChildCustody.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "pregnancy", "custody_page"),
    [
        ("coach", 200, 404),
        ("supervisor", 200, 200),
        ("other_coach", 404, 404),
        ("outside_supervisor", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_each_role_reaches_what_it_may(request, client_for, patient, child, who, pregnancy, custody_page):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("patients:pregnancy_add", args=[patient.pk])).status_code == pregnancy
    assert client.get(reverse("patients:child_custody", args=[patient.pk, child.pk])).status_code == custody_page


def test_the_helpers_keep_to_her_program(supervisor, outside_supervisor, outside_patient):
    _save(outside_supervisor, outside_patient, due_date=_days(40))
    kid = child_save(
        actor=Actor(outside_supervisor, None), patient=outside_patient, child=Child(first_name="Ezra", birth_year=2022)
    )
    assert not permissions.pregnancies_for(supervisor, outside_patient).exists()
    assert permissions.children_for(supervisor, outside_patient) == []
    with pytest.raises(Http404):
        permissions.get_child_for_custody(supervisor, outside_patient.pk, kid.pk)
    assert len(permissions.children_for(outside_supervisor, outside_patient)) == 1


def test_anonymous_goes_to_login(client, patient):
    response = client.get(reverse("patients:pregnancy_add", args=[patient.pk]))
    assert response.status_code == 302
    assert "login" in response.url


def test_another_programs_pregnancy_is_a_404(client_for, supervisor, outside_supervisor, outside_patient):
    pregnancy = _save(outside_supervisor, outside_patient, due_date=_days(40))
    url = reverse("patients:pregnancy_edit", args=[outside_patient.pk, pregnancy.pk])
    assert client_for(supervisor).get(url).status_code == 404


def test_reads_write_the_access_log(client_for, coach, patient):
    pregnancy = _save(coach, patient, due_date=_days(40))
    client_for(coach).get(reverse("patients:pregnancy_edit", args=[patient.pk, pregnancy.pk]))
    assert AccessLog.objects.filter(
        user=coach, patient=patient, action=AccessAction.VIEW, record_type="pregnancy"
    ).exists()


def test_her_page_runs_the_same_queries_whatever_her_family(
    client_for, supervisor, patient, django_assert_max_num_queries
):
    client = client_for(supervisor)
    url = reverse("patients:detail", args=[patient.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    actor = Actor(supervisor, None)
    for n in range(4):
        kid = child_save(actor=actor, patient=patient, child=Child(first_name=f"Kid{n}", birth_year=2020 + n))
        child_custody_save(actor=actor, child=kid, fields={"custody": "with_her", "cps": "none"})
        _save(supervisor, patient, due_date=_days(-400 * (n + 1)), delivery_date=_days(-400 * (n + 1)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# The CPS report's children


def test_a_cps_report_names_her_children_only(client_for, supervisor, patient, child, other_patient):
    fields = {"made_at": NOW, "agency": "DCYF", "made_by": supervisor, "what_was_reported": "Alone at home."}
    report = cps_report_record(actor=Actor(supervisor, None), patient=patient, fields={**fields, "children": [child]})
    assert list(report.children.all()) == [child]
    page = client_for(supervisor).get(reverse("referrals:cps_report_detail", args=[report.pk])).content.decode()
    assert "Mila (2025)" in page
    stranger = child_save(
        actor=Actor(supervisor, None), patient=other_patient, child=Child(first_name="Ezra", birth_year=2022)
    )
    with pytest.raises(ValidationError):
        cps_report_record(actor=Actor(supervisor, None), patient=patient, fields={**fields, "children": [stranger]})


def test_the_cps_report_form_offers_her_children(client_for, supervisor, patient, child):
    form = client_for(supervisor).get(reverse("referrals:cps_report_new", args=[patient.pk])).context["form"]
    assert list(form.fields["children"].queryset) == [child]


# The report: births in the period


def test_the_report_counts_births_withdrawal_and_plans_of_safe_care(
    client_for, supervisor, coach, patient, other_patient
):
    third = PatientFactory(program=patient.program, clinical_provider=supervisor)
    on_caseload_of(third, coach)
    _save(
        coach,
        patient,
        due_date=_days(-20),
        delivery_date=_days(-25),
        infant_withdrawal="yes",
        safe_care_plan=True,
        safe_care_with="Hospital social worker",
        safe_care_on=_days(-40),
    )
    _save(
        coach,
        other_patient,
        due_date=_days(-10),
        delivery_date=_days(-12),
        infant_withdrawal="no",
        safe_care_plan=True,
        safe_care_with="OB clinic",
        safe_care_on=_days(-5),
    )  # made after the delivery
    _save(coach, third, due_date=_days(-200), delivery_date=_days(-200), infant_withdrawal="yes")  # before the period
    response = client_for(supervisor).get(
        reverse("reports"), {"period": "dates", "start": _days(-60).isoformat(), "end": TODAY.isoformat()}
    )
    table = response.context["report"].table("births")
    assert [row.values[0] for row in table.rows] == [2, 1, 1, 50.0]
    download = client_for(supervisor).get(
        reverse("reports"),
        {"period": "dates", "start": _days(-60).isoformat(), "end": TODAY.isoformat(), "download": "births"},
    )
    assert "Plan of Safe Care rate (%),50.0" in download.content.decode()


def test_a_supervisor_corrects_which_children_a_cps_report_concerns(client_for, supervisor, patient, child):
    fields = {"made_at": NOW, "agency": "DCYF", "made_by": supervisor, "what_was_reported": "Alone at home."}
    report = cps_report_record(actor=Actor(supervisor, None), patient=patient, fields=fields)
    client = client_for(supervisor)
    url = reverse("referrals:cps_report_edit", args=[report.pk])
    form = client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "concerns"}
    data |= {"children": [child.pk], "made_by": supervisor.pk, "version": report.version}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert list(report.children.all()) == [child]
