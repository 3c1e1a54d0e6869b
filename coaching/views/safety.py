"""Her safety plan: kept with her by her coach, read by her program's supervisors with every version."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions, services
from coaching.forms import SafetyPlanEditForm, SafetyPlanForm
from coaching.models import RiskMoment, SafetyPlan
from recovery_program.audit import AccessAction, actor_from, log_access
from staff.models import User

HISTORY_PAGE_SIZE = 20


def safety_plan(request, pk):
    patient = permissions.get_patient_for_safety_plan(request.user, pk)
    plan = permissions.safety_plan_of(request.user, patient)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=plan, record_type="safety plan")
    return render(
        request,
        "coaching/safety_plan.html",
        {
            "patient": patient,
            "plan": plan,
            "days_since_review": plan.days_since_review() if plan else None,
            "can_change": permissions.can_change_safety_plan(request.user, patient),
            "can_see_history": permissions.can_see_safety_plan_history(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def safety_plan_edit(request, pk):
    patient = permissions.get_patient_for_safety_plan_change(request.user, pk)
    plan = permissions.safety_plan_of(request.user, patient)
    form_class, kwargs = (SafetyPlanEditForm, {"version": plan.version}) if plan else (SafetyPlanForm, {})
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.safety_plan_save(
                    actor=actor_from(request),
                    patient=patient,
                    fields=form.plan_fields(),
                    reviewed=form.cleaned_data["reviewed_with_her"],
                    version=form.cleaned_data.get("version"),
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Her safety plan is saved."))
                return redirect("coaching:safety_plan", pk=patient.pk)
    else:
        initial = SafetyPlanForm.initial_for(plan) if plan else {"risk_moments": SafetyPlan.moments_that_apply(patient)}
        form = form_class(initial=initial, **kwargs)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=plan, record_type="safety plan")
    return render(request, "coaching/safety_plan_form.html", {"form": form, "patient": patient, "plan": plan})


@require_POST
def safety_plan_review(request, pk):
    patient = permissions.get_patient_for_safety_plan_change(request.user, pk)
    try:
        services.safety_plan_review(actor=actor_from(request), patient=patient)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as gone over with her today."))
    return redirect("coaching:safety_plan", pk=patient.pk)


def safety_plan_history(request, pk):
    patient = permissions.get_patient_for_safety_plan_history(request.user, pk)
    events = (
        SafetyPlan.pgh_event_model.objects.filter(patient=patient)
        .select_related("pgh_context", "reviewed_by")
        .order_by("-pgh_id")
    )
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    ids = {event.pgh_context.metadata.get("user") for event in page if event.pgh_context}
    # One query whatever the page holds (an empty list would skip it, and the count would change with the data).
    people = {user.pk: user for user in User.objects.filter(pk__in=[0, *(pk for pk in ids if isinstance(pk, int))])}
    versions = [
        {
            "event": event,
            "by": people.get(event.pgh_context.metadata.get("user")) if event.pgh_context else None,
            "risk_moments": [RiskMoment(code).label for code in event.risk_moments if code in RiskMoment.values],
        }
        for event in page
    ]
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="safety plan history")
    return render(
        request,
        "coaching/safety_plan_history.html",
        {"patient": patient, "page": page, "versions": versions, "now": timezone.now()},
    )
