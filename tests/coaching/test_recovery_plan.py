"""Her recovery plan: goals in her words with steps and dates. Her coach (or a cover) keeps it with her, her
program's supervisors read it, its every change, and may change it; admins and other programs never see it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coaching.models import ACTIVE_GOALS_MAX, GOAL_STEPS_MAX, GoalStatus, GoalStep, RecoveryGoal, StepStatus
from coaching.services import (
    goal_step_add,
    goal_step_mark,
    recovery_goal_add,
    recovery_goal_change,
    recovery_goal_close,
)
from patients.models import Patient, ProgramStatus
from patients.services import cover_give
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import PatientFactory, make_goal, on_caseload_of

pytestmark = pytest.mark.django_db


def _url(name, obj):
    return reverse(f"coaching:{name}", args=[obj.pk])


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def _goal_form(**overrides):
    data = {"area": "children", "in_her_words": "Have my kids home with me by summer.", "target_on": ""}
    return data | overrides


# What she and her coach do.


def test_her_coach_adds_a_goal_with_a_first_step_and_it_shows_its_progress(client_for, coach, patient):
    client = client_for(coach)
    response = client.post(
        _url("goal_new", patient),
        _goal_form(first_step="Call the caseworker about visits", first_step_due=_days(3).isoformat()),
    )

    assert response.url == _url("recovery_plan", patient)
    goal = RecoveryGoal.objects.get(patient=patient)
    assert (goal.area, goal.status, goal.created_by) == ("children", GoalStatus.ACTIVE, coach)
    assert list(goal.steps.values_list("what", "order")) == [("Call the caseworker about visits", 1)]
    assert AccessLog.objects.filter(action=AccessAction.CREATE, record_type="recovery plan", patient=patient).exists()
    page = client.get(_url("recovery_plan", patient)).content.decode()
    assert "Have my kids home with me by summer." in page
    assert "0 of 1 step done" in page
    assert "next: Call the caseworker about visits" in page


def test_one_tap_ticks_a_step_done_in_place_with_htmx(client_for, coach, patient):
    goal = make_goal(coach, patient, steps=[("Visit the apartment", _days(1)), ("Sign the lease", None)])
    step = goal.steps.get(order=1)

    response = client_for(coach).post(_url("goal_step_mark", step), {"status": "done"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "1 of 2 steps done" in response.content.decode()
    assert "<html" not in response.content.decode()
    step.refresh_from_db()
    assert (step.status, step.done_on, step.done_by) == (StepStatus.DONE, timezone.localdate(), coach)


def test_without_javascript_the_tick_comes_back_to_her_plan(client_for, coach, patient):
    goal = make_goal(coach, patient, steps=[("Visit the apartment", None)])

    response = client_for(coach).post(_url("goal_step_mark", goal.steps.get()), {"status": "done"})

    assert response.url == _url("recovery_plan", patient)
    assert goal.steps.get().status == StepStatus.DONE


def test_a_mistaken_tap_is_undone_and_a_step_may_be_not_needed(coach, patient):
    goal = make_goal(coach, patient, steps=[("A", None), ("B", None)], done=1)
    first, second = goal.steps.all()
    goal_step_mark(actor=Actor(coach, None), step=first, status="open")
    goal_step_mark(actor=Actor(coach, None), step=second, status="not_needed")
    first.refresh_from_db()
    assert (first.status, first.done_on, first.done_by) == ("open", None, None)
    goal = RecoveryGoal.objects.prefetch_related("steps").get(pk=goal.pk)
    # A step not needed counts for neither side of the progress.
    assert goal.progress() == (0, 1)


def test_she_reaches_a_goal_or_sets_it_aside_and_it_stays_in_her_plan(client_for, coach, patient):
    reached, aside = make_goal(coach, patient), make_goal(coach, patient, in_her_words="Go back to school")
    client = client_for(coach)
    client.post(_url("goal_close", reached), {"status": "reached"})
    client.post(_url("goal_close", aside), {"status": "set_aside"})

    reached.refresh_from_db()
    aside.refresh_from_db()
    assert (reached.status, reached.closed_on, reached.closed_by) == ("reached", timezone.localdate(), coach)
    assert aside.status == "set_aside"
    page = client.get(_url("recovery_plan", patient)).content.decode()
    assert "Goals reached or set aside (2)" in page
    assert "Go back to school" in page


def test_changing_her_goal_keeps_its_version_and_refuses_a_stale_one(client_for, coach, supervisor, patient):
    goal = make_goal(coach, patient)
    opened_at = goal.version
    recovery_goal_change(
        actor=Actor(supervisor, None),
        goal=goal,
        fields={"area": "housing", "in_her_words": "Somewhere safe", "target_on": None},
        version=opened_at,
    )

    response = client_for(coach).post(
        _url("goal_edit", goal), _goal_form(area="housing", in_her_words="My own place", version=opened_at)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "while you were editing" in page
    assert "My own place" in page  # what she typed is kept
    goal.refresh_from_db()
    assert goal.in_her_words == "Somewhere safe"


def test_an_empty_goal_is_refused_next_to_the_field_and_her_typing_kept(client_for, coach, patient):
    response = client_for(coach).post(_url("goal_new", patient), _goal_form(in_her_words="  ", first_step="Call"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Write her goal, in her words." in page
    assert 'value="Call"' in page
    assert not RecoveryGoal.objects.exists()


# Rules, each held by the service (and the database where it can).


def test_she_works_on_at_most_a_few_goals_at_a_time(coach, patient):
    for n in range(ACTIVE_GOALS_MAX):
        last = make_goal(coach, patient, in_her_words=f"Goal {n}")
    with pytest.raises(ValidationError, match="Mark one reached or set one aside"):
        make_goal(coach, patient)
    recovery_goal_close(actor=Actor(coach, None), goal=last, status="set_aside")
    make_goal(coach, patient)  # room again


def test_the_database_holds_the_cap_on_goals_too(coach, patient):
    for n in range(ACTIVE_GOALS_MAX):
        make_goal(coach, patient, in_her_words=f"Goal {n}")
    with transaction.atomic(), pytest.raises(IntegrityError, match="at most"):
        RecoveryGoal.objects.create(
            program=patient.program, patient=patient, area="other", in_her_words="One more", created_by=coach
        )


def test_a_closed_goal_needs_its_date_and_who_and_an_open_one_neither(coach, patient):
    goal = make_goal(coach, patient)
    with transaction.atomic(), pytest.raises(IntegrityError):
        RecoveryGoal.objects.filter(pk=goal.pk).update(status="reached")
    with transaction.atomic(), pytest.raises(IntegrityError):
        RecoveryGoal.objects.filter(pk=goal.pk).update(closed_on=timezone.localdate(), closed_by=coach)


def test_a_step_done_needs_its_date_and_who(coach, patient):
    step = make_goal(coach, patient, steps=[("A", None)]).steps.get()
    with transaction.atomic(), pytest.raises(IntegrityError):
        GoalStep.objects.filter(pk=step.pk).update(status="done")
    with transaction.atomic(), pytest.raises(IntegrityError):
        GoalStep.objects.filter(pk=step.pk).update(done_on=timezone.localdate(), done_by=coach)


def test_a_goal_and_a_step_say_something(coach, patient):
    with pytest.raises(ValidationError, match="in her words"):
        make_goal(coach, patient, in_her_words=" ")
    goal = make_goal(coach, patient)
    with pytest.raises(ValidationError, match="Write the step"):
        goal_step_add(actor=Actor(coach, None), goal=goal, what="  ", due_on=None)
    with transaction.atomic(), pytest.raises(IntegrityError):
        RecoveryGoal.objects.filter(pk=goal.pk).update(in_her_words="")


def test_a_goal_is_about_one_of_the_areas_and_ends_one_of_two_ways(coach, patient):
    with pytest.raises(ValidationError) as refused:
        make_goal(coach, patient, area="moon")
    assert "area" in refused.value.error_dict
    goal = make_goal(coach, patient)
    with transaction.atomic(), pytest.raises(IntegrityError):
        RecoveryGoal.objects.filter(pk=goal.pk).update(area="moon")
    with pytest.raises(ValidationError, match="reached this goal or set it aside"):
        recovery_goal_close(actor=Actor(coach, None), goal=goal, status="active")
    with pytest.raises(ValidationError, match="done, not needed, or still to do"):
        goal_step_mark(
            actor=Actor(coach, None),
            step=goal_step_add(actor=Actor(coach, None), goal=goal, what="A", due_on=None),
            status="gone",
        )


def test_a_date_already_past_is_refused_but_one_kept_from_before_is_not(coach, patient):
    with pytest.raises(ValidationError) as refused:
        make_goal(coach, patient, target_on=_days(-1))
    assert "target_on" in refused.value.error_dict
    goal = make_goal(coach, patient)
    with pytest.raises(ValidationError, match="This date has passed"):
        goal_step_add(actor=Actor(coach, None), goal=goal, what="Call", due_on=_days(-2))
    RecoveryGoal.objects.filter(pk=goal.pk).update(target_on=_days(-5))
    goal.refresh_from_db()
    recovery_goal_change(
        actor=Actor(coach, None),
        goal=goal,
        fields={"area": "work", "in_her_words": "A job", "target_on": _days(-5)},
        version=goal.version,
    )


def test_a_closed_goal_takes_no_new_steps_or_ticks(coach, patient):
    goal = make_goal(coach, patient, steps=[("A", None)])
    recovery_goal_close(actor=Actor(coach, None), goal=goal, status="reached")
    with pytest.raises(ValidationError, match="no longer one she is working on"):
        goal_step_add(actor=Actor(coach, None), goal=goal, what="B", due_on=None)
    with pytest.raises(ValidationError, match="no longer one she is working on"):
        goal_step_mark(actor=Actor(coach, None), step=goal.steps.get(), status="done")
    with pytest.raises(ValidationError, match="already marked reached"):
        recovery_goal_close(actor=Actor(coach, None), goal=goal, status="set_aside")


def test_a_goal_holds_a_few_steps(coach, patient):
    goal = make_goal(coach, patient, steps=[(f"Step {n}", None) for n in range(GOAL_STEPS_MAX)])
    with pytest.raises(ValidationError, match="at most"):
        goal_step_add(actor=Actor(coach, None), goal=goal, what="One more", due_on=None)


def test_only_who_keeps_her_plan_writes_it_whoever_calls(coach, other_coach, admin, patient):
    goal = make_goal(coach, patient, steps=[("A", None)])
    for outsider in (other_coach, admin):
        with pytest.raises(ValidationError, match="Only her coach"):
            recovery_goal_add(
                actor=Actor(outsider, None), patient=patient, fields={"area": "other", "in_her_words": "x"}
            )
        with pytest.raises(ValidationError, match="Only her coach"):
            goal_step_mark(actor=Actor(outsider, None), step=goal.steps.get(), status="done")


def test_goals_and_steps_are_never_deleted(coach, patient):
    goal = make_goal(coach, patient, steps=[("A", None)])
    with transaction.atomic(), pytest.raises(DatabaseError):
        GoalStep.objects.filter(goal=goal).delete()
    with transaction.atomic(), pytest.raises(DatabaseError):
        RecoveryGoal.objects.filter(pk=goal.pk).delete()


def test_a_step_cannot_join_a_goal_of_another_program(coach, patient, outside_supervisor):
    goal = make_goal(coach, patient)
    with transaction.atomic(), pytest.raises(IntegrityError):
        GoalStep.objects.create(program=outside_supervisor.program, goal=goal, what="x", order=9, created_by=coach)


# Who sees what, from each role's side.


def test_who_reads_and_who_changes_her_plan(
    client_for, coach, other_coach, supervisor, outside_supervisor, admin, patient
):
    goal = make_goal(coach, patient, steps=[("A", None)])
    step = goal.steps.get()
    pages = [_url("recovery_plan", patient), _url("goal_new", patient), _url("goal_edit", goal)]
    for user in (coach, supervisor):
        for url in pages:
            assert client_for(user).get(url).status_code == 200, (user, url)
    for user in (other_coach, outside_supervisor, admin):
        for url in [*pages, _url("recovery_plan_history", patient)]:
            assert client_for(user).get(url).status_code == 404, (user, url)
        assert client_for(user).post(_url("goal_step_mark", step), {"status": "done"}).status_code == 404
        assert client_for(user).post(_url("goal_close", goal), {"status": "reached"}).status_code == 404
    assert client_for(coach).get(_url("recovery_plan_history", patient)).status_code == 404
    assert Client().get(pages[0]).status_code == 302  # anonymous: to the login page
    step.refresh_from_db()
    goal.refresh_from_db()
    assert (step.status, goal.status) == ("open", "active")


def test_a_supervisor_of_her_program_may_change_it_and_reads_every_change(client_for, coach, supervisor, patient):
    goal = make_goal(coach, patient, steps=[("Visit the apartment", None)])
    client = client_for(supervisor)
    client.post(_url("goal_step_mark", goal.steps.get()), {"status": "done"})

    page = client.get(_url("recovery_plan_history", patient)).content.decode()

    assert "Visit the apartment" in page
    assert "Iris Vance" in page  # who ticked it
    assert "Mara Quill" in page  # who added it
    assert AccessLog.objects.filter(record_type="recovery plan history", user=supervisor, patient=patient).exists()


def test_a_covering_coach_keeps_it_on_her_days_only(client_for, coach, other_coach, supervisor, patient):
    goal = make_goal(coach, patient, steps=[("A", None)])
    assert client_for(other_coach).get(_url("recovery_plan", patient)).status_code == 404
    cover_give(
        actor=Actor(supervisor, None),
        covered=coach,
        covering=other_coach,
        starts_on=timezone.localdate(),
        ends_on=_days(2),
    )
    assert client_for(other_coach).post(_url("goal_step_mark", goal.steps.get()), {"status": "done"}).status_code == 302
    assert goal.steps.get().status == "done"


def test_a_discharged_womans_plan_is_read_but_no_longer_changed(client_for, coach, patient):
    goal = make_goal(coach, patient)
    Patient.objects.filter(pk=patient.pk).update(status=ProgramStatus.DISCHARGED)
    client = client_for(coach)
    assert client.get(_url("goal_edit", goal)).status_code == 404


# Her patient page and the coach's home.


def test_her_patient_page_shows_her_active_goals_and_next_steps(client_for, coach, admin, patient):
    make_goal(coach, patient, steps=[("Visit the apartment", _days(2))])
    page = client_for(coach).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'id="recovery-plan-summary"' in page
    assert "0 of 1 step done · next: Visit the apartment" in page


def test_the_coach_home_lists_steps_due_this_week_across_her_caseload(client_for, coach, supervisor, patient):
    make_goal(coach, patient, steps=[("Due soon", _days(2)), ("Far off", _days(30)), ("No date", None)])
    page = client_for(coach).get(reverse("home")).content.decode()
    assert "Steps due this week" in page
    assert "Due soon" in page
    assert "Far off" not in page
    assert "No date" not in page
    assert AccessLog.objects.filter(record_type="home: steps due", patient=patient, user=coach).exists()
    assert "Steps due this week" not in client_for(supervisor).get(reverse("home")).content.decode()


def _grow(coach, supervisor, n):
    for i in range(n):
        her = PatientFactory(program=coach.program, legal_name=f"Woman {i}", clinical_provider=supervisor)
        on_caseload_of(her, coach)
        make_goal(coach, her, steps=[(f"Step {i}", _days(1)), ("Later", _days(2))], done=1)
        make_goal(coach, her, in_her_words="Back to school", steps=[("Enrol", _days(3))])


def test_pages_run_the_same_queries_on_growing_data(
    client_for, coach, supervisor, patient, django_assert_max_num_queries
):
    make_goal(coach, patient, steps=[("A", _days(1))])
    urls = [
        reverse("home"),
        _url("recovery_plan", patient),
        reverse("patients:detail", args=[patient.pk]),
    ]
    client, sup = client_for(coach), client_for(supervisor)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(10_000) as captured:
            client.get(url)
        counts[url] = len(captured)
    with django_assert_max_num_queries(10_000) as captured:
        sup.get(_url("recovery_plan_history", patient))
    history = len(captured)
    _grow(coach, supervisor, 4)
    for n in range(4):
        make_goal(coach, patient, in_her_words=f"More {n}", steps=[("x", _days(1)), ("y", None)], done=1)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            client.get(url)
    with django_assert_max_num_queries(history):
        sup.get(_url("recovery_plan_history", patient))
