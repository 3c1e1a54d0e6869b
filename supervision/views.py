from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from patients.permissions import clinical_providers_for
from recovery_program.audit import actor_from
from supervision import permissions, services
from supervision.forms import SupervisionForm


@require_http_methods(["GET", "POST"])
def coach_supervisor(request, pk):
    """Set who supervises a coach; the earlier links stay in her history."""
    coach = permissions.get_coach_for_supervision(request.user, pk)
    form = SupervisionForm(request.POST or None, supervisors=clinical_providers_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.supervision_assign(actor=actor_from(request), coach=coach, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{form.cleaned_data['supervisor']} supervises {coach} now.")
            return redirect("staff:detail", pk=coach.pk)
    return render(
        request,
        "supervision/coach_supervisor.html",
        {"coach": coach, "form": form, "history": permissions.supervision_history(coach)},
    )
