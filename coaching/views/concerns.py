from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions, services
from coaching.forms import ConcernCloseForm, ConcernForm, ConcernNoteForm
from coaching.models import ConcernStatus, Draft
from coaching.views.drafts import draft_initial
from coaching.views.encounters import _done, _render_form
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.ids import id_or_404
from recovery_program.once import creates_once


def concern_list(request):
    """Supervisors: the queue of open concerns, most urgent and oldest first (or the closed ones).
    A coach: the concerns she shared, newest first, with their status."""
    user = request.user
    coach = None
    # ?mine=1: a clinical provider's own women (supervisors; nobody else is anyone's clinical provider).
    mine = permissions.can_act_on_concerns(user) and request.GET.get("mine") == "1"
    if permissions.can_act_on_concerns(user):
        showing_closed = request.GET.get("show") == "closed"
        concerns = (
            permissions.concerns_visible_to(user)
            .filter(status=ConcernStatus.CLOSED)
            .select_related("patient__clinical_provider", "coach")
            if showing_closed
            else permissions.concern_queue_for(user)
        )
        coach = permissions.coach_filter_for(user, request.GET.get("coach"))
        if coach:
            concerns = concerns.filter(coach=coach)
        if mine:
            concerns = concerns.filter(patient__clinical_provider=user)
        template = "coaching/concern_queue.html"
    elif permissions.can_share_concerns(user):
        showing_closed = False
        # Counting her new notes groups the rows, which drops the model's own order: newest first, said again.
        concerns = (
            permissions.concerns_visible_to(user)
            .select_related("patient")
            .with_new_notes()
            .order_by("-created_at", "-id")
        )
        template = "coaching/concern_list.html"
    else:
        raise Http404
    page = Paginator(concerns, 25).get_page(request.GET.get("page"))
    log_access_many(actor_from(request), AccessAction.VIEW, {c.patient_id for c in page}, record_type="concern list")
    query = request.GET.copy()  # the pages keep what the list is narrowed to
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "page": page,
            "showing_closed": showing_closed,
            "query": query.urlencode(),
            "coach": coach,
            "mine": mine,
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def concern_new(request):
    """The coach shares a concern with her supervisor, about a patient of her caseload."""
    if not permissions.can_share_concerns(request.user):
        raise Http404
    encounter = None
    encounter_id = request.POST.get("encounter") or request.GET.get("encounter")
    if encounter_id:
        encounter = permissions.get_encounter_for_change(request.user, id_or_404(encounter_id))
    patients = permissions.patients_for_logging(request.user)
    if encounter is not None:
        patients = patients.filter(encounters=encounter)
    draft = None
    if request.method == "POST":
        if request.POST.get("patient"):
            permissions.get_patient_for_logging(request.user, request.POST["patient"])
        form = ConcernForm(request.POST, patients=patients)
        concern = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                concern = services.concern_share(
                    actor=actor_from(request),
                    patient=data["patient"],
                    encounter=encounter,
                    fields={
                        "category": data["category"],
                        "description": data["description"],
                        "urgency": data["urgency"],
                    },
                )
            except ValidationError as error:  # she was discharged, or waits for her new consent
                form.add_error(None, error.messages)
        if concern is not None:
            messages.success(request, _("Shared with your supervisor. You can follow it here."))
            return _done(request, "coaching:concern_detail", pk=concern.pk)
    else:
        initial = {}
        if encounter is None:
            draft, initial = draft_initial(request.user, Draft.Form.CONCERN, ConcernForm)
        if request.GET.get("patient"):
            initial["patient"] = permissions.get_patient_for_logging(request.user, request.GET["patient"]).pk
        if draft is None and encounter is None and not patients.exists():
            return render(request, "coaching/nothing_to_log.html", {"what": _("share a concern")})
        form = ConcernForm(initial=initial, patients=patients)
    # The form lists her caseload by name to choose from.
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="concern form"
    )
    draft_url = None if encounter else reverse("coaching:draft_save", args=[Draft.Form.CONCERN])
    context = {"form": form, "encounter": encounter, "draft": draft, "draft_url": draft_url}
    return _render_form(request, "coaching/concern_form.html", context)


def concern_detail(request, pk):
    concern = permissions.get_concern_for_user(request.user, pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=concern.patient, record=concern)
    # Her supervisors' notes are new to her until she opens it (her home page and list say so until then).
    services.concern_notes_mark_seen(user=request.user, concern=concern)
    acting = permissions.can_act_on_concerns(request.user)
    return render(
        request,
        "coaching/concern_detail.html",
        {
            "concern": concern,
            "notes": concern.notes.select_related("author"),
            "acting": acting,
            "note_form": ConcernNoteForm() if acting and concern.is_open else None,
            "close_form": ConcernCloseForm() if acting and concern.is_open else None,
        },
    )


@require_POST
def concern_acknowledge(request, pk):
    concern = permissions.get_concern_for_action(request.user, pk)
    try:
        concern = services.concern_acknowledge(actor=actor_from(request), concern=concern)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if concern.acknowledged_by_id == request.user.pk:
            messages.success(request, _("Marked as seen. The coach can see that a supervisor has it."))
        else:  # someone else had it first
            messages.info(request, concern.who_has_it(request.user))
    return redirect("coaching:concern_detail", pk=concern.pk)


def _action(request, pk, form_class, do):
    concern = permissions.get_concern_for_action(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = do(concern, form.cleaned_data)
        except ValidationError as error:
            # Closed while she was writing: the page says who closed it, and keeps what she wrote.
            form.add_error(None, error)
            concern.refresh_from_db()
        else:
            messages.success(request, message)
            return redirect("coaching:concern_detail", pk=concern.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=concern.patient, record=concern)
    forms = {"note_form": ConcernNoteForm(), "close_form": ConcernCloseForm()}
    forms["note_form" if form_class is ConcernNoteForm else "close_form"] = form
    return render(
        request,
        "coaching/concern_detail.html",
        {
            "concern": concern,
            "notes": concern.notes.select_related("author"),
            "acting": True,
            "refused_form": form if not concern.is_open else None,
            **forms,
        },
    )


@require_POST
@creates_once
def concern_note(request, pk):
    def do(concern, data):
        services.concern_add_note(actor=actor_from(request), concern=concern, text=data["text"])
        return _("Note added. The coach sees it with her concern.")

    return _action(request, pk, ConcernNoteForm, do)


@require_POST
def concern_close(request, pk):
    def do(concern, data):
        services.concern_close(
            actor=actor_from(request), concern=concern, reason=data["reason"], note_to_coach=data["note_to_coach"]
        )
        return _("Concern closed.")

    return _action(request, pk, ConcernCloseForm, do)


@require_POST
def concern_draft_discard(request):
    permissions.get_draft_form_for(request.user, Draft.Form.CONCERN)
    services.draft_discard(user=request.user, form=Draft.Form.CONCERN)
    return redirect("coaching:concern_new")
