"""Her grant interviews: the form that records one, and the list of interviews due in the next 30 days."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from patients import permissions, services
from patients.interview_forms import GrantInterviewCorrectForm, GrantInterviewForm
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.once import creates_once

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@creates_once
def interview_record(request, pk):
    """Her coach or a supervisor records that an interview was done, or that she could not be reached or declined."""
    patient = permissions.get_patient_for_interviews(request.user, pk)
    episodes = permissions.interviews_for(request.user, patient)
    kinds = episodes[0].kinds_to_record if episodes else None
    form = GrantInterviewForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_interview_record(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Interview recorded."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="grant interviews")
    return render(
        request,
        "patients/interview_form.html",
        {"form": form, "patient": patient, "current": episodes[0] if episodes else None},
    )


@require_GET
def interviews_due(request):
    """Interviews due in the next 30 days: a coach's caseload, or a supervisor's program (one coach's, if asked)."""
    coaches = permissions.coaches_assignable_by(request.user) if permissions.sees_whole_program(request.user) else None
    coach_id = request.GET.get("coach") or None
    if coaches is None or coach_id is None or not coach_id.isdigit():
        coach_id = None
    due = permissions.interviews_due_for(request.user, coach_id=int(coach_id) if coach_id else None)
    page = Paginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    log_access_many(actor_from(request), AccessAction.VIEW, [e.patient_id for e in page], record_type="interviews due")
    return render(
        request,
        "patients/interviews_due.html",
        {
            "page": page,
            "coaches": coaches,
            "coach_id": int(coach_id) if coach_id else None,
            "coach_query": f"coach={coach_id}" if coach_id else "",
        },
    )


@require_http_methods(["GET", "POST"])
def interview_correct(request, pk, interview_pk):
    """A supervisor of her program corrects a recorded interview, saying why; 404 for everyone else."""
    interview = permissions.get_interview_to_correct(request.user, pk, interview_pk)
    initial = {"outcome": interview.outcome, "dated_on": interview.dated_on, "outside_window": interview.outside_window}
    form = GrantInterviewCorrectForm(request.POST or None, initial=initial, version=interview.version)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_interview_correct(
                actor=actor_from(request),
                interview=interview,
                outcome=data["outcome"],
                dated_on=data["dated_on"],
                outside_window=data["outside_window"],
                reason=data["reason"],
                version=data["version"],
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Interview corrected."))
            return redirect("patients:detail", pk=interview.patient_id)
    log_access(actor_from(request), AccessAction.VIEW, patient=interview.patient, record=interview)
    return render(request, "patients/interview_correct.html", {"form": form, "interview": interview})
