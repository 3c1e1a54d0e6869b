from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions as coaching_permissions
from coaching import services as coaching_services
from coaching.models import Draft
from coaching.permissions import patients_for_logging
from coaching.views.drafts import draft_answer, draft_initial, initial_from, posted_ids
from patients import permissions as patient_permissions
from patients.permissions import clinical_providers_for, patients_visible_to
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.confirm import confirm_page, confirmed
from recovery_program.once import creates_once
from staff.models import User
from supervision import paging, permissions, services
from supervision import rota as rota_module
from supervision.forms import (
    ActionItemForm,
    AgendaItemForm,
    BoundaryAnswerForm,
    BoundaryQuestionForm,
    BreakGlassForm,
    BreakGlassReviewForm,
    CaseReviewForm,
    CheckInForm,
    CoverForm,
    DualRelationshipDecisionForm,
    DualRelationshipForm,
    SessionEditForm,
    SessionForm,
    ShiftEditForm,
    ShiftForm,
    SupervisionForm,
    SwapForm,
    UnavailabilityForm,
)
from supervision.hours import outside_hours
from supervision.models import ActionItem, AgendaKind, SessionStatus, SupervisionSession
from supervision.queue import debriefs_for, queue_for

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
            messages.success(
                request,
                _("%(supervisor)s supervises %(coach)s now.")
                % {"supervisor": form.cleaned_data["supervisor"], "coach": coach},
            )
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
            messages.success(request, _("Shift added to the rota."))
            return redirect("supervision:rota")
    program = request.user.program
    now = timezone.now()
    shifts = rota_module.live_shifts(program).filter(ends_at__gte=now)
    page = Paginator(shifts, 30).get_page(request.GET.get("page"))
    shift_now = paging.on_call_at(program, now)
    cover_now = rota_module.primary_at(shift_now, now)[1] if shift_now else None
    return render(
        request,
        "supervision/rota.html",
        {
            "form": form,
            "page": page,
            "rows": rota_module.rota_rows(program, list(page)),
            "now": shift_now,
            "primary_now": cover_now.substitute if cover_now else (shift_now.primary if shift_now else None),
            "page_now": now,
            "can_change": permissions.can_change_rota(request.user),
            "can_mark_away": permissions.can_mark_unavailable(request.user),
        },
    )


def _shift_label(shift) -> str:
    span = rota_module.say_span(shift.program, shift.starts_at, shift.ends_at)
    return _("%(span)s: %(primary)s") % {"span": span, "primary": shift.primary}


@require_http_methods(["GET", "POST"])
def shift_edit(request, pk):
    """A supervisor changes a shift's times or people (handing it to another supervisor)."""
    shift = permissions.get_shift_for_change(request.user, pk)
    form = ShiftEditForm(request.POST or None, supervisors=clinical_providers_for(request.user), shift=shift)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_change(actor=actor_from(request), shift=shift, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Shift changed. The rota keeps its history."))
            return redirect("supervision:rota")
    return render(request, "supervision/shift_form.html", {"shift": shift, "form": form, "label": _shift_label(shift)})


@require_http_methods(["GET", "POST"])
def shift_swap(request, pk):
    """Two shifts exchange their primary supervisors."""
    shift = permissions.get_shift_for_change(request.user, pk)
    others = permissions.shifts_to_swap_with(request.user, shift, timezone.now())
    form = SwapForm(request.POST or None, shifts=others, label=_shift_label, shift=shift)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_swap(actor=actor_from(request), shift=shift, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Shifts swapped."))
            return redirect("supervision:rota")
    return render(request, "supervision/shift_swap.html", {"shift": shift, "form": form, "label": _shift_label(shift)})


@require_http_methods(["GET", "POST"])
def shift_remove(request, pk):
    """Says what removing a shift does, or which hours it would leave with no one on call; its button removes it."""
    shift = permissions.get_shift_for_change(request.user, pk)
    refusal = services.shift_removal_refusal(shift)
    if refusal:
        messages.error(request, " ".join(refusal))
        return redirect("supervision:rota")
    if not confirmed(request):
        return confirm_page(
            request,
            title=_("Remove this shift from the rota?"),
            effects=services.shift_remove_effects(shift),
            button=_("Remove the shift"),
            action=reverse("supervision:shift_remove", args=[shift.pk]),
            cancel_url=reverse("supervision:rota"),
            back_label=_("On-call rota"),
        )
    try:
        services.shift_remove(actor=actor_from(request), shift=shift)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Shift removed from the rota. Its record stays in the history."))
    return redirect("supervision:rota")


@require_http_methods(["GET", "POST"])
@creates_once
def cover_add(request, pk):
    """Someone covers part of a shift: she is its primary for those hours."""
    shift = permissions.get_shift_for_change(request.user, pk)
    form = CoverForm(request.POST or None, supervisors=clinical_providers_for(request.user), shift=shift)
    if request.method == "POST" and form.is_valid():
        try:
            services.cover_add(actor=actor_from(request), shift=shift, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s covers those hours.") % {"name": form.cleaned_data["substitute"]})
            return redirect("supervision:rota")
    return render(request, "supervision/cover_form.html", {"shift": shift, "form": form, "label": _shift_label(shift)})


@require_http_methods(["GET", "POST"])
def cover_remove(request, pk):
    cover = permissions.get_cover_for_change(request.user, pk)
    if not confirmed(request):
        span = rota_module.say_span(cover.shift.program, cover.starts_at, cover.ends_at)
        return confirm_page(
            request,
            title=_("End this cover?"),
            effects=[
                _("%(name)s no longer covers %(span)s: the shift's own primary is on call again then.")
                % {"name": cover.substitute, "span": span}
            ],
            button=_("End the cover"),
            action=reverse("supervision:cover_remove", args=[cover.pk]),
            cancel_url=reverse("supervision:rota"),
            back_label=_("On-call rota"),
        )
    services.cover_remove(actor=actor_from(request), cover=cover)
    messages.success(request, _("Cover ended."))
    return redirect("supervision:rota")


@require_http_methods(["GET", "POST"])
@creates_once
def away(request):
    """A supervisor marks the days she cannot answer (sick, on leave), and sees those she marked."""
    if not permissions.can_mark_unavailable(request.user):
        raise Http404
    form = UnavailabilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unavailability_add(actor=actor_from(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Marked. Pages pass you over on those days; the rota shows your hours to cover.")
            )
            return redirect("supervision:away")
    days = permissions.unavailability_of(request.user).filter(ends_on__gte=timezone.localdate())
    return render(request, "supervision/away.html", {"form": form, "days": days})


@require_http_methods(["GET", "POST"])
def away_remove(request, pk):
    row = permissions.get_own_unavailability(request.user, pk)
    if not confirmed(request):
        return confirm_page(
            request,
            title=_("Take these days off your days away?"),
            effects=[
                _("From %(first)s to %(last)s, pages reach you again as on any other day.")
                % {"first": date_format(row.starts_on, _("M j")), "last": date_format(row.ends_on, _("M j"))}
            ],
            button=_("I can answer these days"),
            action=reverse("supervision:away_remove", args=[row.pk]),
            cancel_url=reverse("supervision:away"),
            back_label=_("Days away"),
        )
    services.unavailability_remove(actor=actor_from(request), unavailability=row)
    messages.success(request, _("Those days no longer count as away."))
    return redirect("supervision:away")


@require_http_methods(["GET", "POST"])
def page_detail(request, pk):
    """Where the link in a page leads: the on-call page of its concern."""
    return _on_call(request, permissions.get_page_for_user(request.user, pk).concern)


@require_http_methods(["GET", "POST"])
@require_POST
def page_release(request, pk):
    """A supervisor sends a page held after a restore ("send" in the post) or drops it as no longer needed."""
    page = permissions.get_held_page_for_user(request.user, pk)
    send = request.POST.get("decision") == "send"
    page = services.page_release(actor=actor_from(request), page=page, send=send)
    if page.status == page.Status.PENDING:
        messages.success(request, _("The page to %(name)s is on its way.") % {"name": page.recipient})
    elif page.status == page.Status.DROPPED:
        messages.success(request, _("The page to %(name)s will not be sent.") % {"name": page.recipient})
    return redirect("home")


def on_call(request, pk):
    """The on-call page of a concern, reached from the concern's own page."""
    return _on_call(request, permissions.get_concern_for_on_call(request.user, pk))


def _on_call(request, concern):
    """What a supervisor answering from her phone at night needs on one page: call the coach, how it is safe to
    reach the patient, what the coach wrote, who was paged and whether it reached them, and "I have it"."""
    if request.method == "POST":
        try:
            concern = coaching_services.concern_acknowledge(actor=actor_from(request), concern=concern)
        except ValidationError as error:
            messages.info(request, error.messages[0])
        else:
            if concern.acknowledged_by_id == request.user.pk:
                messages.success(
                    request, _("Thank you: you have it. The coach sees that a supervisor has her concern.")
                )
            else:  # two said "I have it" at once, or the page was stale: the second is told who has it
                messages.info(request, concern.who_has_it(request.user))
        return redirect("supervision:on_call", pk=concern.pk)
    pages = list(permissions.pages_of(concern))
    log_access(actor_from(request), AccessAction.VIEW, patient=concern.patient, record=concern)
    return render(
        request,
        "supervision/page.html",
        {
            "concern": concern,
            "pages": pages,
            "escalation": paging.escalation_of(concern, pages),
            "holder": concern.who_has_it(request.user),
        },
    )


def queues(request):
    """A supervisor's coaches, each with her weekly queue and her hours outside office hours; a coach goes
    straight to her own agenda."""
    if not permissions.sees_program_supervision(request.user):
        return redirect("supervision:queue", coach_pk=request.user.pk)
    coaches = list(permissions.coaches_supervised_by(request.user))
    hours = outside_hours(coaches, timezone.now())
    rows = [(coach, hours[coach.pk]) for coach in coaches]
    return render(request, "supervision/queues.html", {"coaches": coaches, "rows": rows})


def queue(request, coach_pk):
    coach = permissions.get_coach_for_queue(request.user, coach_pk)
    the_queue = queue_for(request.user, coach)
    actor = actor_from(request)
    log_access_many(actor, AccessAction.VIEW, the_queue.patient_ids(), record_type="supervision queue")
    services.check_ins_read(actor=actor, items=the_queue.agenda)
    is_self = coach.pk == request.user.pk
    declarations = []
    if is_self:
        visible = set(permissions.dual_relationships_visible_to(request.user).values_list("pk", flat=True))
        declarations = [
            (declaration, declaration.pk in visible)
            for declaration in permissions.own_declarations(request.user).select_related("patient")[:20]
        ]
        log_access_many(
            actor,
            AccessAction.VIEW,
            {d.patient_id for d, shown in declarations if shown},
            record_type="dual relationship",
        )
    return render(
        request,
        "supervision/queue.html",
        {
            "coach": coach,
            "queue": the_queue,
            "is_self": is_self,
            "can_record": permissions.can_record_sessions(request.user),
            "can_answer": permissions.can_answer_boundary_questions(request.user),
            "can_declare": is_self and permissions.can_declare_dual_relationships(request.user),
            "declarations": declarations,
            "answer_form": BoundaryAnswerForm(),
            "hours": outside_hours([coach], timezone.now())[coach.pk],
            "sessions": permissions.sessions_visible_to(request.user).filter(coach=coach)[:5],
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def check_in_add(request):
    """The coach's private check-in for her next session: how she is doing, her own recovery supports."""
    return _own_agenda_item(
        request,
        CheckInForm,
        AgendaKind.CHECK_IN,
        "supervision/check_in_form.html",
        _("Thank you. It is on your agenda for your next session, for your supervisor only."),
    )


@require_http_methods(["GET", "POST"])
@creates_once
def boundary_question_add(request):
    """A boundary question for her next session, without naming anyone."""
    return _own_agenda_item(
        request,
        BoundaryQuestionForm,
        AgendaKind.BOUNDARY,
        "supervision/boundary_form.html",
        _("Your question is on your agenda for your next session."),
    )


def _own_agenda_item(request, form_class, kind, template, done):
    """An item about no patient on her own agenda (a check-in, a boundary question): coaches only."""
    if not permissions.can_add_agenda_items(request.user):
        raise Http404
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.agenda_item_add(actor=actor_from(request), kind=kind, **form.cleaned_data)
        messages.success(request, done)
        return redirect("supervision:queue", coach_pk=request.user.pk)
    return render(request, template, {"form": form})


@require_POST
def boundary_answer(request, pk):
    """A supervisor records how a boundary question was answered."""
    item = permissions.get_boundary_question_for_answer(request.user, pk)
    form = BoundaryAnswerForm(request.POST)
    if form.is_valid():
        services.boundary_question_answer(actor=actor_from(request), item=item, answer=form.cleaned_data["answer"])
        messages.success(request, _("Answer saved. She sees it on her agenda."))
    else:
        messages.error(request, _("Write how the question was answered."))
    return redirect("supervision:queue", coach_pk=item.coach_id)


@require_http_methods(["GET", "POST"])
@creates_once
def dual_relationship_add(request):
    """The coach says she knows a woman of her caseload outside the program."""
    if not permissions.can_declare_dual_relationships(request.user):
        raise Http404
    patients = patients_for_logging(request.user)
    form = DualRelationshipForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        services.dual_relationship_declare(actor=actor_from(request), **form.cleaned_data)
        messages.success(request, _("Thank you for telling us. Your supervisor will talk it over with you."))
        return redirect("supervision:queue", coach_pk=request.user.pk)
    # The form lists her caseload by name to choose from.
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="agenda form"
    )
    return render(request, "supervision/dual_relationship_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def dual_relationship_decide(request, pk):
    """A supervisor decides how a declared dual relationship is handled."""
    declaration = permissions.get_dual_relationship_for_decision(request.user, pk)
    form = DualRelationshipDecisionForm(
        request.POST or None,
        instance=declaration,
        initial={"decision": declaration.decision or None, "notes": declaration.decision_notes},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.dual_relationship_decide(
                actor=actor_from(request),
                declaration=declaration,
                decision=form.cleaned_data["decision"],
                notes=form.cleaned_data["notes"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, _("Decision saved. The coach sees it."))
            return redirect("supervision:queue", coach_pk=declaration.coach_id)
    log_access(actor_from(request), AccessAction.VIEW, patient=declaration.patient, record=declaration)
    return render(request, "supervision/dual_relationship_decide.html", {"declaration": declaration, "form": form})


@require_http_methods(["GET", "POST"])
@creates_once
def agenda_add(request):
    if not permissions.can_add_agenda_items(request.user):
        raise Http404
    patients = patients_for_logging(request.user)
    form = AgendaItemForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        services.agenda_item_add(actor=actor_from(request), **form.cleaned_data)
        messages.success(request, _("Added to your supervision agenda."))
        return redirect("supervision:queue", coach_pk=request.user.pk)
    # The form lists her caseload by name to choose from.
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="agenda form"
    )
    return render(request, "supervision/agenda_form.html", {"form": form})


CaseFormSet = forms.formset_factory(CaseReviewForm, extra=1)
ActionFormSet = forms.formset_factory(ActionItemForm, extra=2)


# A draft keeps at most this many lines of cases and of action items.
DRAFT_LINES = 30


def _session_for(request, coach_pk):
    """The coach, and her caseload, for a supervisor who records sessions; 404 for anyone else."""
    coach = permissions.get_coach_for_queue(request.user, coach_pk)
    if not permissions.can_record_sessions(request.user):
        raise Http404
    patients = patients_visible_to(request.user).filter(assignments__coach=coach, assignments__ended_on__isnull=True)
    return coach, patients


@require_http_methods(["GET", "POST"])
@creates_once
def session_new(request, coach_pk):
    coach, patients = _session_for(request, coach_pk)
    people = User.objects.filter(pk__in=[coach.pk, request.user.pk])
    agenda = permissions.agenda_of(request.user, coach)
    actions = ActionItem.objects.filter(session__coach=coach, done_at__isnull=True).select_related("owner")
    debriefs = debriefs_for(request.user, coach)
    data = request.POST or None
    draft, initial = draft_initial(request.user, Draft.Form.SESSION, SessionForm, key=str(coach.pk))
    form = SessionForm(data, agenda=agenda, actions=actions, debriefs=debriefs, initial=initial)
    if draft:
        from_queue = _lines(draft.data, "case", CaseReviewForm)
        planned = _lines(draft.data, "action", ActionItemForm)
    else:
        # The cases start from this week's queue: one line for each patient it names.
        from_queue = [{"patient": pk} for pk in queue_for(request.user, coach).patient_ids_in_order()]
        planned = []
    cases = CaseFormSet(data, prefix="case", form_kwargs={"patients": patients}, initial=from_queue)
    action_items = ActionFormSet(data, prefix="action", form_kwargs={"people": people}, initial=planned)
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
            debriefs_done=form.cleaned_data["debriefs_done"],
        )
        messages.success(request, _("Session recorded."))
        return redirect("supervision:session", pk=session.pk)
    # The form lists the coach's caseload by name, and starts with a line for each patient of her queue.
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        patients.values_list("pk", flat=True),
        record_type="supervision session form",
    )
    services.check_ins_read(actor=actor_from(request), items=list(agenda))
    return render(
        request,
        "supervision/session_form.html",
        {
            "coach": coach,
            "form": form,
            "cases": cases,
            "action_items": action_items,
            "draft": draft,
            "draft_url": reverse("supervision:session_draft", args=[coach.pk]),
        },
    )


def _lines(data: dict, prefix: str, form_class) -> list[dict]:
    """A formset's lines kept in a draft, as its initial values (the blank ones left out)."""
    lines = (initial_from(data, form_class, f"{prefix}-{i}-") for i in range(DRAFT_LINES))
    return [line for line in lines if any(line.values())]


@require_POST
def session_draft(request, coach_pk):
    """What she is typing in a session's record: her draft, one per coach."""
    coach, patients = _session_for(request, coach_pk)
    fields = {*SessionForm.base_fields}
    for prefix, form_class in (("case", CaseReviewForm), ("action", ActionItemForm)):
        fields |= {f"{prefix}-{i}-{name}" for i in range(DRAFT_LINES) for name in form_class.base_fields}
    named = [
        pk
        for name in request.POST
        if name.startswith("case-") and name.endswith("-patient")
        for pk in posted_ids(request, name)
    ]
    return draft_answer(
        request,
        form=Draft.Form.SESSION,
        key=str(coach.pk),
        fields=fields,
        page=reverse("supervision:session_new", args=[coach.pk]),
        patients=patients.filter(pk__in=named).values_list("pk", flat=True),
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
            "can_edit": permissions.can_change_sessions(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def session_edit(request, pk):
    """A supervisor corrects a session's date, length or notes."""
    session = permissions.get_session_for_change(request.user, pk)
    form = SessionEditForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in SessionEditForm.Meta.fields}
        try:
            services.session_update(
                actor=actor_from(request), session=session, fields=fields, version=form.cleaned_data["version"]
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, _("Saved. The earlier version is kept in the session's history."))
            return redirect("supervision:session", pk=session.pk)
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        set(session.cases.values_list("patient_id", flat=True)),
        record_type="supervision session",
        record_id=str(session.pk),
    )
    return render(request, "supervision/session_edit.html", {"session": session, "form": form})


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
    messages.success(request, _("Done: %(what)s") % {"what": item.what})
    return redirect("supervision:queue", coach_pk=item.session.coach_id)


@require_http_methods(["GET", "POST"])
@creates_once
def break_glass_open(request):
    """The supervisor on call opens a record out of her reach in an emergency; 404 for coaches and admins."""
    user = request.user
    if not patient_permissions.can_break_glass(user):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = patient_permissions.patient_for_break_glass(
            user, legal_name=data["legal_name"], date_of_birth=data["date_of_birth"]
        )
        if patient is None:
            form.add_error("legal_name", _("No woman of your program out of your reach has this name and birth date."))
        else:
            try:
                grant = services.break_glass_open(
                    actor=actor_from(request), patient=patient, reason=data["reason"], now=timezone.now()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                until = timezone.localtime(grant.ends_at)
                messages.warning(
                    request, _("Her record is open to you until %(time)s.") % {"time": date_format(until, _("g:i A"))}
                )
                return redirect("patients:detail", pk=patient.pk)
    on_call = services.on_call_now(user, timezone.now())
    return render(request, "supervision/break_glass.html", {"form": form, "on_call": on_call})


@require_http_methods(["GET", "POST"])
def break_glass_review(request, pk):
    """What was opened, why, and what she read; another supervisor records her review. 404 for anyone else."""
    grant = patient_permissions.get_break_glass_for_user(request.user, pk)
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass_review(
                actor=actor_from(request), grant=grant, note=form.cleaned_data["note"], now=timezone.now()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your review is recorded."))
            return redirect("supervision:break_glass_review", pk=grant.pk)
    log_access(
        actor_from(request), AccessAction.VIEW, patient=grant.patient, record=grant, record_type="break-glass review"
    )
    return render(
        request,
        "supervision/break_glass_review.html",
        {
            "grant": grant,
            "reads": patient_permissions.break_glass_reads(grant)[:200],
            "form": form if grant.reviewed_at is None and grant.user_id != request.user.pk else None,
            "overdue": grant.reviewed_at is None and timezone.now() > grant.review_due(),
        },
    )
