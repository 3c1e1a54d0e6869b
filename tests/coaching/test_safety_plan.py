"""Her safety plan: her coach keeps it with her, her program's supervisors read it and every version of it,
admins and other programs never see it; her safe-contact rules are on it; every read is logged."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from coaching.models import SafetyPlan
from coaching.services import safety_plan_review, safety_plan_save
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import make_safety_plan

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {
        "warning_signs": "I stop answering my phone.",
        "what_helps": "A meeting at St. Mark's; holding the baby.",
        "naloxone": "no",
        "risk_moments": ["postpartum", "leaving_care"],
        "contact_1_name": "Dana, my sponsor",
        "contact_1_phone": "603-555-0100",
        "contact_2_name": "Crisis line",
        "contact_2_phone": "988",
        "reviewed_with_her": "on",
    }
    return data | overrides


def _url(name, patient):
    return reverse(f"coaching:{name}", args=[patient.pk])


def test_her_coach_makes_her_plan_with_her_and_it_counts_as_reviewed_today(client_for, coach, patient):
    response = client_for(coach).post(_url("safety_plan_edit", patient), _form())

    assert response.url == _url("safety_plan", patient)
    plan = SafetyPlan.objects.get(patient=patient)
    assert plan.contacts == [
        {"name": "Dana, my sponsor", "phone": "603-555-0100"},
        {"name": "Crisis line", "phone": "988"},
    ]
    assert plan.risk_moments == ["postpartum", "leaving_care"]
    assert (plan.reviewed_by, plan.days_since_review()) == (coach, 0)
    assert AccessLog.objects.filter(action=AccessAction.CREATE, record_type="safety plan", patient=patient).exists()
    page = client_for(coach).get(_url("safety_plan", patient)).content.decode()
    assert "Gone over with her today" in page
    assert "Dana, my sponsor" in page
    assert 'href="tel:603-555-0100"' in page


def test_updating_it_without_her_keeps_the_last_review(client_for, coach, patient):
    with time_machine.travel(datetime.datetime(2027, 1, 4, 15, tzinfo=datetime.UTC), tick=False):
        plan = make_safety_plan(coach, patient)
    data = _form(warning_signs="New", version=plan.version)
    del data["reviewed_with_her"]

    client_for(coach).post(_url("safety_plan_edit", patient), data)

    plan.refresh_from_db()
    assert plan.warning_signs == "New"
    assert plan.reviewed_at.date() == datetime.date(2027, 1, 4)


def test_reviewed_with_her_today_marks_it_reviewed_by_her_coach(client_for, coach, patient):
    with time_machine.travel(datetime.datetime(2027, 1, 4, 15, tzinfo=datetime.UTC), tick=False):
        make_safety_plan(coach, patient)
    client = client_for(coach)
    assert "reviewed" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    client.post(_url("safety_plan_review", patient))

    plan = SafetyPlan.objects.get()
    assert plan.days_since_review() == 0
    assert plan.reviewed_by == coach
    assert "reviewed today" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()


def test_the_patient_page_says_no_plan_yet_and_how_long_since_a_review(client_for, coach, patient, frozen_now):
    client = client_for(coach)
    assert "no plan yet" in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    # Noon, twelve days back on the program's calendar: the same whatever the hour and across a DST change.
    noon = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=12),
        datetime.time(12),
        tzinfo=coach.program.zone,
    )
    with time_machine.travel(noon, tick=False):
        make_safety_plan(coach, patient)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "reviewed 12 days ago" in page


def test_a_mistake_is_shown_next_to_the_field_and_keeps_what_was_typed(client_for, coach, patient):
    response = client_for(coach).post(
        _url("safety_plan_edit", patient), _form(contact_2_phone="", contact_3_name="", contact_3_phone="555-0199")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "contact_2_phone": ["Type the phone number for Crisis line."],
        "contact_3_name": ["Write who this phone number is for."],
    }
    assert "I stop answering my phone." in response.content.decode()
    assert not SafetyPlan.objects.exists()


def test_a_plan_for_safety_at_home_needs_her_say_so(coach, patient):
    with pytest.raises(ValidationError) as refused:
        make_safety_plan(coach, patient, safety_at_home=False, safety_at_home_plan="Go to my sister's")
    assert "safety_at_home" in refused.value.error_dict
    # The database holds it too, whoever writes.
    plan = make_safety_plan(coach, patient)
    with transaction.atomic(), pytest.raises(IntegrityError):
        SafetyPlan.objects.filter(pk=plan.pk).update(safety_at_home_plan="Go to my sister's")


@pytest.mark.parametrize(
    ("field", "value"),
    [("risk_moments", ["moon_phase"]), ("naloxone", "maybe"), ("contacts", {"name": "x"})],
)
def test_the_database_refuses_what_the_plan_cannot_hold(coach, patient, field, value):
    plan = make_safety_plan(coach, patient)
    with transaction.atomic(), pytest.raises(IntegrityError):
        SafetyPlan.objects.filter(pk=plan.pk).update(**{field: value})


def test_the_service_refuses_a_contact_without_a_name_or_a_real_number(coach, patient):
    with pytest.raises(ValidationError, match="phone number"):
        make_safety_plan(coach, patient, contacts=[{"name": "Dana", "phone": "call her"}])
    with pytest.raises(ValidationError, match="Write who"):
        make_safety_plan(coach, patient, contacts=[{"name": " ", "phone": "603"}])
    with pytest.raises(ValidationError, match="at most"):
        make_safety_plan(coach, patient, contacts=[{"name": "Dana", "phone": "603"}] * 7)


def test_only_her_own_coach_keeps_it(coach, other_coach, supervisor, patient):
    for someone in (other_coach, supervisor):
        with pytest.raises(ValidationError, match="Only her coach"):
            make_safety_plan(someone, patient)
    make_safety_plan(coach, patient)
    with pytest.raises(ValidationError, match="Only her coach"):
        safety_plan_review(actor=Actor(supervisor, None), patient=patient)


def test_two_tabs_the_second_save_is_refused_and_keeps_her_text(client_for, coach, patient):
    plan = make_safety_plan(coach, patient)
    first = client_for(coach).post(_url("safety_plan_edit", patient), _form(what_helps="Tab one", version=plan.version))
    assert first.status_code == 302

    second = client_for(coach).post(
        _url("safety_plan_edit", patient), _form(what_helps="Tab two", version=plan.version)
    )

    assert second.status_code == 200
    assert "changed this" in second.content.decode()
    assert "Tab two" in second.content.decode()
    assert SafetyPlan.objects.get().what_helps == "Tab one"


def test_never_deleted(coach, patient):
    plan = make_safety_plan(coach, patient)
    with transaction.atomic(), pytest.raises(Exception, match=r"no_delete|Cannot delete|protect"):
        plan.delete()
    assert SafetyPlan.objects.filter(pk=plan.pk).exists()


def test_supervisor_reads_it_and_every_version_with_who_and_when(client_for, coach, supervisor, patient):
    make_safety_plan(coach, patient, what_helps="First words")
    make_safety_plan(coach, patient, what_helps="Second words")
    client = client_for(supervisor)

    page = client.get(_url("safety_plan", patient)).content.decode()
    assert "Second words" in page
    assert "Update it with her" not in page
    history = client.get(_url("safety_plan_history", patient))

    assert history.status_code == 200
    text = history.content.decode()
    assert text.index("Second words") < text.index("First words")
    assert str(coach) in text
    logged = AccessLog.objects.filter(user=supervisor, patient=patient, action=AccessAction.VIEW)
    assert set(logged.values_list("record_type", flat=True)) == {"safety plan", "safety plan history"}


def test_supervisor_may_not_change_it(client_for, coach, supervisor, patient):
    make_safety_plan(coach, patient)
    client = client_for(supervisor)
    assert client.get(_url("safety_plan_edit", patient)).status_code == 404
    assert client.post(_url("safety_plan_review", patient)).status_code == 404


def test_her_coach_does_not_see_the_history(client_for, coach, patient):
    make_safety_plan(coach, patient)
    assert client_for(coach).get(_url("safety_plan_history", patient)).status_code == 404


@pytest.mark.parametrize("who", ["other_coach", "admin", "outside_supervisor"])
@pytest.mark.parametrize("page", ["safety_plan", "safety_plan_edit", "safety_plan_history"])
def test_nobody_else_reaches_it(request, client_for, coach, patient, who, page):
    make_safety_plan(coach, patient)
    assert client_for(request.getfixturevalue(who)).get(_url(page, patient)).status_code == 404


def test_admins_and_other_coaches_see_no_plan_link_on_pages_they_reach(client_for, coach, other_coach, patient):
    make_safety_plan(coach, patient)
    assert client_for(other_coach).get(reverse("patients:detail", args=[patient.pk])).status_code == 404


def test_the_plan_page_keeps_her_safe_contact_rules_and_hides_the_home_section(client_for, coach, patient):
    patient.ok_to_text = False
    patient.ok_to_leave_message = False
    patient.save()
    make_safety_plan(coach, patient, safety_at_home=True, safety_at_home_plan="Bag at my sister's")

    page = client_for(coach).get(_url("safety_plan", patient)).content.decode()

    assert "Do not text her" in page
    assert "Do not leave a voice message" in page
    assert "sms:" not in page
    # Her plan for safety at home is folded away until opened.
    before, _, after = page.partition("<details>")
    assert "Bag at my sister" not in before
    assert "Bag at my sister" in after


def test_every_read_of_the_plan_writes_an_access_log_row(client_for, coach, patient):
    make_safety_plan(coach, patient)
    client = client_for(coach)
    for page in ("safety_plan", "safety_plan_edit"):
        before = AccessLog.objects.count()
        client.get(_url(page, patient))
        row = AccessLog.objects.latest("pk")
        assert AccessLog.objects.count() == before + 1
        assert (row.patient, row.record_type, row.action) == (patient, "safety plan", AccessAction.VIEW)


def test_anonymous_is_sent_to_log_in(client, patient):
    assert client.get(_url("safety_plan", patient)).url.startswith("/login/")


def test_the_plan_page_keeps_a_constant_number_of_queries(client_for, coach, patient, django_assert_max_num_queries):
    make_safety_plan(coach, patient, contacts=[{"name": f"Friend {n}", "phone": "603"} for n in range(6)])
    for _ in range(5):
        safety_plan_save(actor=Actor(coach, None), patient=patient, fields={"what_helps": str(_)}, reviewed=True)
    client = client_for(coach)
    with django_assert_max_num_queries(20):
        client.get(_url("safety_plan", patient))


def test_a_new_plan_starts_with_the_moments_her_record_shows(client_for, coach, patient):
    patient.delivery_date = timezone.localdate() - datetime.timedelta(days=40)
    patient.due_date = None
    patient.save()
    form = client_for(coach).get(_url("safety_plan_edit", patient)).context["form"]
    assert form.initial["risk_moments"] == ["postpartum"]
