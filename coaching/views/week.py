"""Her week: the appointments she goes to with a woman and the contacts she means to make. Supervisors read the
weeks of their coaches; admins never."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions, services
from coaching.forms import AppointmentEditForm, AppointmentForm, ReminderEditForm, ReminderForm
from coaching.models import AppointmentStatus, ReminderStatus
from coaching.views.encounters import _done, _render_form
from coaching.week import week_of
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.ids import id_or_none
from recovery_program.once import creates_once


def _first_day(value: str | None) -> datetime.date | None:
    """?from=2027-03-01: the first of the seven days shown; anything that is not a date is today."""
    try:
        day = datetime.date.fromisoformat(value or "")
    except ValueError:
        return None
    return (
        day
        if datetime.date.min + datetime.timedelta(days=8) < day < datetime.date.max - datetime.timedelta(days=8)
        else None
    )


def my_week(request):
    """Her own week (a supervisor: pick a coach, ?coach=), seven days from ?from= (today by default)."""
    if not permissions.can_read_weeks(request.user):
        raise Http404
    coach_id = request.GET.get("coach")
    if not coach_id and not permissions.can_keep_week(request.user):
        return _render_week(request, None)
    if coach_id and id_or_none(coach_id) is None:
        raise Http404
    return _render_week(request, permissions.get_week_coach(request.user, id_or_none(coach_id)))


def coach_week(request, pk):
    """One coach's week, for her supervisors (and for herself)."""
    return _render_week(request, permissions.get_week_coach(request.user, pk))


def _render_week(request, coach):
    week = week_of(request.user, coach, _first_day(request.GET.get("from"))) if coach else None
    if week:
        log_access_many(
            actor_from(request), AccessAction.VIEW, week.patient_ids(), record_type="week", record_id=str(coach.pk)
        )
    return render(
        request,
        "coaching/week.html",
        {
            "week": week,
            "coach": coach,
            "mine": coach is not None and coach.pk == request.user.pk and permissions.can_keep_week(request.user),
            "coaches": permissions.week_coaches_for(request.user)
            if permissions.picks_a_coachs_week(request.user)
            else [],
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def appointment_new(request):
    return _new(request, AppointmentForm, "coaching/appointment_form.html", _add_appointment, _("Appointment added."))


@require_http_methods(["GET", "POST"])
@creates_once
def reminder_new(request):
    return _new(request, ReminderForm, "coaching/reminder_form.html", _add_reminder, _("Reminder set."))


def _add_appointment(request, form):
    services.appointment_add(
        actor=actor_from(request), patient=form.cleaned_data["patient"], fields=form.appointment_fields()
    )


def _add_reminder(request, form):
    services.reminder_add(
        actor=actor_from(request), patient=form.cleaned_data["patient"], fields=form.reminder_fields()
    )


def _new(request, form_class, template, add, done):
    if not permissions.can_keep_week(request.user):
        raise Http404
    patients = permissions.patients_for_logging(request.user)
    if request.method == "POST":
        if request.POST.get("patient"):
            permissions.get_patient_for_logging(request.user, request.POST["patient"])
        form = form_class(request.POST, patients=patients)
        if form.is_valid():
            try:
                add(request, form)
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, done)
                return _done(request, "coaching:week")
    else:
        wanted = id_or_none(request.GET.get("patient"))
        form = form_class(initial={"patient": wanted} if wanted else None, patients=patients)
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="week form"
    )
    return _render_form(request, template, {"form": form})


@require_POST
def appointment_close(request, pk, status):
    """Cancelled, or she did not come."""
    appointment = permissions.get_appointment_for_change(request.user, pk)
    if status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        raise Http404
    try:
        services.appointment_close(actor=actor_from(request), appointment=appointment, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Appointment cancelled.") if status == AppointmentStatus.CANCELLED else _("Noted."))
    return redirect("coaching:week")


@require_POST
def reminder_close(request, pk, status):
    reminder = permissions.get_reminder_for_change(request.user, pk)
    if status not in (ReminderStatus.DONE, ReminderStatus.DISMISSED):
        raise Http404
    try:
        services.reminder_close(actor=actor_from(request), reminder=reminder, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Reminder done.") if status == ReminderStatus.DONE else _("Reminder dismissed."))
    return redirect("coaching:week")


@require_http_methods(["GET", "POST"])
def appointment_edit(request, pk):
    """Moving or correcting her planned appointment: the day, the time, where, the note."""
    appointment = permissions.get_appointment_for_change(request.user, pk)
    return _edit(
        request,
        appointment,
        AppointmentEditForm,
        "coaching/appointment_edit.html",
        lambda form: services.appointment_change(
            actor=actor_from(request),
            appointment=appointment,
            fields=form.appointment_fields(),
            version=form.cleaned_data["version"],
        ),
        _("Appointment changed."),
    )


@require_http_methods(["GET", "POST"])
def reminder_edit(request, pk):
    """Moving her open reminder to another day or time, or saying better what it is."""
    reminder = permissions.get_reminder_for_change(request.user, pk)
    return _edit(
        request,
        reminder,
        ReminderEditForm,
        "coaching/reminder_edit.html",
        lambda form: services.reminder_change(
            actor=actor_from(request),
            reminder=reminder,
            fields=form.reminder_fields(),
            version=form.cleaned_data["version"],
        ),
        _("Reminder changed."),
    )


def _edit(request, record, form_class, template, change, done):
    if request.method == "POST":
        form = form_class(request.POST, version=record.version)
        if form.is_valid():
            try:
                change(form)
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, done)
                return _done(request, "coaching:week")
    else:
        form = form_class(initial=form_class.initial_for(record), version=record.version)
    log_access(actor_from(request), AccessAction.VIEW, patient=record.patient, record=record)
    return _render_form(request, template, {"form": form, "record": record})
