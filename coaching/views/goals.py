"""Her recovery plan: goals in her own words and the steps toward them, kept with her by her coach (or a
supervisor of her program); supervisors read every change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions, services
from coaching.forms import GoalStepForm, RecoveryGoalEditForm, RecoveryGoalForm, RecoveryGoalNewForm
from coaching.models import ACTIVE_GOALS_MAX, GoalStatus, GoalStep, RecoveryGoal, StepStatus
from recovery_program.audit import AccessAction, actor_from, log_access
from recovery_program.once import creates_once
from staff.models import User

HISTORY_PAGE_SIZE = 20
RECORD = "recovery plan"


def recovery_plan(request, pk):
    patient = permissions.get_patient_for_recovery_plan(request.user, pk)
    goals = list(permissions.goals_of(request.user, patient))
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type=RECORD)
    return render(request, "coaching/recovery_plan.html", _plan_context(request, patient, goals))


def _plan_context(request, patient, goals) -> dict:
    return {
        "patient": patient,
        "active": [goal for goal in goals if goal.is_active],
        "closed": [goal for goal in goals if not goal.is_active],
        "can_change": permissions.can_change_recovery_plan(request.user, patient),
        "can_see_history": permissions.can_see_recovery_plan_history(request.user),
        "goals_max": ACTIVE_GOALS_MAX,
    }


@require_http_methods(["GET", "POST"])
@creates_once
def goal_new(request, pk):
    patient = permissions.get_patient_for_goal_change(request.user, pk)
    form = RecoveryGoalNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recovery_goal_add(
                actor=actor_from(request),
                patient=patient,
                fields=form.goal_fields(),
                first_step=form.cleaned_data["first_step"],
                first_step_due=form.cleaned_data["first_step_due"],
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, _("Her goal is in her plan."))
            return redirect("coaching:recovery_plan", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type=RECORD)
    return render(request, "coaching/goal_form.html", {"form": form, "patient": patient, "goal": None})


@require_http_methods(["GET", "POST"])
def goal_edit(request, pk):
    goal = permissions.get_goal_for_change(request.user, pk)
    if request.method == "POST":
        form = RecoveryGoalEditForm(request.POST, version=goal.version)
        if form.is_valid():
            try:
                services.recovery_goal_change(
                    actor=actor_from(request),
                    goal=goal,
                    fields=form.goal_fields(),
                    version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Her goal is saved."))
                return redirect("coaching:recovery_plan", pk=goal.patient_id)
    else:
        initial = {name: getattr(goal, name) for name in RecoveryGoalForm.base_fields}
        form = RecoveryGoalEditForm(initial=initial, version=goal.version)
    log_access(actor_from(request), AccessAction.VIEW, patient=goal.patient, record=goal, record_type=RECORD)
    return render(request, "coaching/goal_form.html", {"form": form, "patient": goal.patient, "goal": goal})


@require_POST
def goal_close(request, pk):
    """Reached, or set aside: one button each on the plan's page."""
    goal = permissions.get_goal_for_change(request.user, pk)
    status = request.POST.get("status", "")
    try:
        services.recovery_goal_close(actor=actor_from(request), goal=goal, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if status == GoalStatus.REACHED:
            done = _("Marked reached. Well done to her.")
        else:
            done = _("Set aside. It stays in her plan.")
        messages.success(request, done)
    return redirect("coaching:recovery_plan", pk=goal.patient_id)


@require_http_methods(["GET", "POST"])
@creates_once
def step_new(request, pk):
    goal = permissions.get_goal_for_change(request.user, pk)
    form = GoalStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_step_add(
                actor=actor_from(request), goal=goal, what=form.cleaned_data["what"], due_on=form.cleaned_data["due_on"]
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, _("The step is in her plan."))
            return redirect("coaching:recovery_plan", pk=goal.patient_id)
    log_access(actor_from(request), AccessAction.VIEW, patient=goal.patient, record=goal, record_type=RECORD)
    return render(request, "coaching/goal_step_form.html", {"form": form, "patient": goal.patient, "goal": goal})


@require_POST
def step_mark(request, pk):
    """One tap: done, not needed, or still to do. htmx swaps the goal's card in place; without JavaScript the
    plan's page comes back."""
    step = permissions.get_step_for_change(request.user, pk)
    error = None
    try:
        services.goal_step_mark(actor=actor_from(request), step=step, status=request.POST.get("status", ""))
    except ValidationError as refused:
        error = " ".join(refused.messages)
    patient = step.goal.patient
    if request.htmx:
        goal = permissions.goals_of(request.user, patient).get(pk=step.goal_id)
        context = _plan_context(request, patient, []) | {"goal": goal, "error": error}
        return render(request, "coaching/recovery_plan.html#goal", context)
    if error:
        messages.error(request, error)
    elif request.POST.get("status") == StepStatus.DONE:
        messages.success(request, _("Step done."))
    return redirect("coaching:recovery_plan", pk=patient.pk)


def recovery_plan_history(request, pk):
    """Every change to her goals and to their steps, newest first, each list on its own pages."""
    patient = permissions.get_patient_for_recovery_plan_history(request.user, pk)
    goal_events = (
        RecoveryGoal.pgh_event_model.objects.filter(patient=patient)
        .select_related("pgh_context", "closed_by", "created_by")
        .order_by("-pgh_id")
    )
    step_events = (
        GoalStep.pgh_event_model.objects.filter(goal__patient=patient)
        .select_related("pgh_context", "done_by", "created_by")
        .order_by("-pgh_id")
    )
    goals = Paginator(goal_events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    steps = Paginator(step_events, HISTORY_PAGE_SIZE).get_page(request.GET.get("steps"))
    ids = {e.pgh_context.metadata.get("user") for e in [*goals, *steps] if e.pgh_context}
    # One query whatever the pages hold (an empty list would skip it, and the count would change with the data).
    people = {user.pk: user for user in User.objects.filter(pk__in=[0, *(i for i in ids if isinstance(i, int))])}

    def by(event):
        """Who made the change (the request's user); for an addition without one (the demo), who added it."""
        who = people.get(event.pgh_context.metadata.get("user")) if event.pgh_context else None
        return who or (event.created_by if event.pgh_label == "insert" else None)

    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="recovery plan history")
    return render(
        request,
        "coaching/recovery_plan_history.html",
        {
            "patient": patient,
            "goals": goals,
            "steps": steps,
            "goal_rows": [(event, by(event)) for event in goals],
            "step_rows": [(event, by(event)) for event in steps],
        },
    )
