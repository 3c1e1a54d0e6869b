from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coaching import permissions as coaching_permissions
from coaching import services as coaching_services
from coaching.permissions import patients_for_logging
from patients.permissions import clinical_providers_for, patients_visible_to
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.once import creates_once
from staff.models import User
from supervision import paging, permissions, services
from supervision.forms import (
    ActionItemForm,
    AgendaItemForm,
    CaseReviewForm,
    SessionForm,
    ShiftForm,
    SupervisionForm,
)
from supervision.models import ActionItem, AgendaItem, OnCallShift, SessionStatus, SupervisionSession
from supervision.queue import queue_for

WEEKS_SHOWN = 12


@require_http_methods(["GET", "POST"])
@creates_once
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


def reach(request):
    """Who to call now: the supervisor on call, and during office hours her own supervisor."""
    return render(
        request,
        "supervision/reach.html",
        {
            "reach": paging.reachable_now(request.user),
            "can_share": coaching_permissions.can_share_concerns(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def rota(request):
    if not permissions.can_keep_rota(request.user):
        raise Http404
    supervisors = clinical_providers_for(request.user)
    form = ShiftForm(request.POST or None, supervisors=supervisors)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_add(actor=actor_from(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Shift added to the rota.")
            return redirect("supervision:rota")
    shifts = OnCallShift.objects.filter(program_id=request.user.program_id, ends_at__gte=timezone.now()).select_related(
        "primary", "backup"
    )
    page = Paginator(shifts, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/rota.html",
        {"form": form, "page": page, "now": paging.on_call_at(request.user.program, timezone.now())},
    )


@require_http_methods(["GET", "POST"])
def page_detail(request, pk):
    """Where the link in a page leads: say "I have it", and the coach sees a supervisor has her concern."""
    page = permissions.get_page_for_user(request.user, pk)
    concern = page.concern
    if request.method == "POST":
        try:
            coaching_services.concern_acknowledge(actor=actor_from(request), concern=concern)
        except ValidationError as error:
            messages.info(request, error.messages[0])
        else:
            messages.success(request, "Thank you: you have it. The coach sees that a supervisor has seen her concern.")
        return redirect("coaching:concern_detail", pk=concern.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=concern.patient, record=concern)
    return render(
        request,
        "supervision/page.html",
        {"page": page, "concern": concern, "pages": concern.pages.select_related("recipient")},
    )


def queues(request):
    """A supervisor's coaches, each with her weekly queue; a coach goes straight to her own agenda."""
    if not permissions.sees_program_supervision(request.user):
        return redirect("supervision:queue", coach_pk=request.user.pk)
    coaches = permissions.coaches_supervised_by(request.user)
    return render(request, "supervision/queues.html", {"coaches": coaches})


def queue(request, coach_pk):
    coach = permissions.get_coach_for_queue(request.user, coach_pk)
    the_queue = queue_for(request.user, coach)
    log_access_many(actor_from(request), AccessAction.VIEW, the_queue.patient_ids(), record_type="supervision queue")
    return render(
        request,
        "supervision/queue.html",
        {
            "coach": coach,
            "queue": the_queue,
            "is_self": coach.pk == request.user.pk,
            "can_record": permissions.can_record_sessions(request.user),
            "sessions": permissions.sessions_visible_to(request.user).filter(coach=coach)[:5],
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def agenda_add(request):
    if not permissions.can_add_agenda_items(request.user):
        raise Http404
    patients = patients_for_logging(request.user)
    form = AgendaItemForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        services.agenda_item_add(actor=actor_from(request), **form.cleaned_data)
        messages.success(request, "Added to your supervision agenda.")
        return redirect("supervision:queue", coach_pk=request.user.pk)
    # The form lists her caseload by name to choose from.
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="agenda form"
    )
    return render(request, "supervision/agenda_form.html", {"form": form})


CaseFormSet = forms.formset_factory(CaseReviewForm, extra=1)
ActionFormSet = forms.formset_factory(ActionItemForm, extra=2)


@require_http_methods(["GET", "POST"])
@creates_once
def session_new(request, coach_pk):
    coach = permissions.get_coach_for_queue(request.user, coach_pk)
    if not permissions.can_record_sessions(request.user):
        raise Http404
    patients = patients_visible_to(request.user).filter(assignments__coach=coach, assignments__ended_on__isnull=True)
    people = User.objects.filter(pk__in=[coach.pk, request.user.pk])
    agenda = AgendaItem.objects.filter(coach=coach, discussed_in__isnull=True)
    actions = ActionItem.objects.filter(session__coach=coach, done_at__isnull=True).select_related("owner")
    data = request.POST or None
    form = SessionForm(data, agenda=agenda, actions=actions)
    # The cases start from this week's queue: one line for each patient it names.
    from_queue = [{"patient": pk} for pk in queue_for(request.user, coach).patient_ids_in_order()]
    cases = CaseFormSet(data, prefix="case", form_kwargs={"patients": patients}, initial=from_queue)
    action_items = ActionFormSet(data, prefix="action", form_kwargs={"people": people})
    if request.method == "POST" and form.is_valid() and cases.is_valid() and action_items.is_valid():
        session = services.session_record(
            actor=actor_from(request),
            coach=coach,
            fields={
                name: form.cleaned_data[name] for name in ("held_on", "minutes", "status", "notes", "notes_for_coach")
            },
            cases=[_case(c) for c in cases.cleaned_data if c.get("patient")],
            action_items=[_action(a) for a in action_items.cleaned_data if a.get("what")],
            agenda_done=list(form.cleaned_data["agenda_done"]),
            actions_done=list(form.cleaned_data["actions_done"]),
        )
        messages.success(request, "Session recorded.")
        return redirect("supervision:session", pk=session.pk)
    # The form lists the coach's caseload by name, and starts with a line for each patient of her queue.
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        patients.values_list("pk", flat=True),
        record_type="supervision session form",
    )
    return render(
        request,
        "supervision/session_form.html",
        {"coach": coach, "form": form, "cases": cases, "action_items": action_items},
    )


def _case(data):
    return {key: data[key] for key in ("patient", "discussion", "decisions", "shared_with_coach")}


def _action(data):
    return {"what": data["what"], "owner": data["owner"], "due_on": data["due_on"]}


def session_detail(request, pk):
    session = permissions.get_session_for_user(request.user, pk)
    shared_parts_only = permissions.sees_only_shared_parts(request.user, session)
    cases = session.cases.select_related("patient")
    if shared_parts_only:
        cases = cases.filter(shared_with_coach=True)
    cases = list(cases)
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        {case.patient_id for case in cases},
        record_type="supervision session",
        record_id=str(session.pk),
    )
    return render(
        request,
        "supervision/session.html",
        {
            "session": session,
            "cases": cases,
            "shared_parts_only": shared_parts_only,
            "action_items": session.action_items.select_related("owner"),
        },
    )


def weeks(request):
    """Each of her coaches' last twelve weeks: held, missed or cancelled, so a gap shows at once."""
    if not permissions.sees_program_supervision(request.user):
        raise Http404
    today = timezone.localdate()
    this_week = services.week_start(today)
    starts = [this_week - datetime.timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    coaches = list(permissions.coaches_supervised_by(request.user))
    sessions = SupervisionSession.objects.filter(coach__in=coaches, held_on__gte=starts[0]).values(
        "coach_id", "held_on", "status"
    )
    marks: dict[tuple[int, datetime.date], str] = {}
    for row in sessions:
        key = (row["coach_id"], services.week_start(row["held_on"]))
        if row["status"] == SessionStatus.HELD or key not in marks:
            marks[key] = row["status"]
    rows = [(coach, [marks.get((coach.pk, start), "none") for start in starts]) for coach in coaches]
    return render(request, "supervision/weeks.html", {"starts": starts, "rows": rows})


@require_http_methods(["POST"])
def action_item_done(request, pk):
    item = permissions.get_action_item_for_update(request.user, pk)
    services.action_item_done(actor=actor_from(request), item=item)
    messages.success(request, f"Done: {item.what}")
    return redirect("supervision:queue", coach_pk=item.session.coach_id)
