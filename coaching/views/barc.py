"""Her BARC-10s: taken with her by her coach (or a supervisor of her program), read with their trend."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coaching import permissions, services
from coaching.barc import TREND_SHOWN, trend_points
from coaching.forms import Barc10CorrectionForm, Barc10Form, Barc10NewForm
from coaching.models import Barc10Occasion
from recovery_program.audit import AccessAction, actor_from, log_access
from recovery_program.once import creates_once

PAGE_SIZE = 10


def barc10_list(request, pk):
    patient = permissions.get_patient_for_barc10(request.user, pk)
    barcs = permissions.barc10s_of(request.user, patient)
    trend = list(barcs[:TREND_SHOWN])[::-1]
    page = Paginator(barcs, PAGE_SIZE).get_page(request.GET.get("page"))
    due = permissions.barc10_due_of(request.user, patient)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="BARC-10")
    now = timezone.now()
    return render(
        request,
        "coaching/barc10_list.html",
        {
            "patient": patient,
            "page": page,
            "correctable": {barc.pk for barc in page if barc.correctable_by(request.user, now)},
            "trend": trend_points(trend),
            "due_on": due["barc10_due_on"] if due else None,
            "today": timezone.localdate(),
            "can_enter": permissions.can_enter_barc10(request.user, patient),
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def barc10_new(request, pk):
    patient = permissions.get_patient_for_barc10_entry(request.user, pk)
    if request.method == "POST":
        form = Barc10NewForm(request.POST)
        if form.is_valid():
            try:
                services.barc10_record(
                    actor=actor_from(request),
                    patient=patient,
                    taken_on=form.cleaned_data["taken_on"],
                    occasion=form.cleaned_data["occasion"],
                    answers=form.answers(),
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Her BARC-10 is saved."))
                return redirect("coaching:barc10", pk=patient.pk)
    else:
        due = permissions.barc10_due_of(request.user, patient) or {"barc10_last_on": None}
        first = due["barc10_last_on"] is None or (
            due["barc10_episode_on"] is not None and due["barc10_last_on"] < due["barc10_episode_on"]
        )
        occasion = Barc10Occasion.INTAKE if first else Barc10Occasion.NINETY_DAY
        form = Barc10NewForm(initial={"taken_on": timezone.localdate(), "occasion": occasion})
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="BARC-10")
    return render(request, "coaching/barc10_form.html", {"form": form, "patient": patient, "barc": None})


@require_http_methods(["GET", "POST"])
def barc10_correct(request, pk, barc_pk):
    patient = permissions.get_patient_for_barc10_entry(request.user, pk)
    barc = permissions.get_barc10_for_correction(request.user, patient, barc_pk)
    if request.method == "POST":
        form = Barc10CorrectionForm(request.POST, version=barc.version)
        if form.is_valid():
            try:
                services.barc10_correct(
                    actor=actor_from(request),
                    barc=barc,
                    taken_on=form.cleaned_data["taken_on"],
                    occasion=form.cleaned_data["occasion"],
                    answers=form.answers(),
                    version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Her BARC-10 is corrected. What it held before is kept."))
                return redirect("coaching:barc10", pk=patient.pk)
    else:
        form = Barc10CorrectionForm(initial=Barc10Form.initial_for(barc), version=barc.version)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=barc, record_type="BARC-10")
    return render(request, "coaching/barc10_form.html", {"form": form, "patient": patient, "barc": barc})
