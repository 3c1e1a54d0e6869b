from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from coaching import permissions, services
from coaching.forms import AddendumForm, EncounterEditForm, EncounterForm, EnteredInErrorForm
from coaching.models import AppointmentKind, Draft
from coaching.views.drafts import draft_initial, notes_initial
from patients import permissions as patient_permissions
from recovery_program.audit import AccessAction, actor_from, log_access_many
from recovery_program.forms import PICK
from recovery_program.ids import id_or_none
from recovery_program.keyset import keyset_page
from recovery_program.once import creates_once


def _done(request, url_name, **kwargs):
    """After a save: a plain redirect, or for htmx a client-side one."""
    if request.htmx:
        return HttpResponseClientRedirect(reverse(url_name, kwargs=kwargs))
    return redirect(url_name, **kwargs)


def _render_form(request, template, context):
    # htmx swaps just the form back in: no page reload on a mistake, and nothing typed is lost.
    return render(request, f"{template}#form" if request.htmx else template, context)


def _posted_patients_are_hers(request) -> None:
    """A forged patient id is a 404, as if there were no such patient."""
    for pk in request.POST.getlist("patients"):
        permissions.get_patient_for_logging(request.user, pk)


def encounter_list(request):
    """Her encounters (a supervisor: the program's), newest first; ?patient= narrows them to one patient, ?coach=
    to one coach, ?until= (a date) starts the list at the end of that day. Keyset pages: as fast years back."""
    if not permissions.can_see_encounters(request.user):
        raise Http404
    encounters = permissions.encounters_visible_to(request.user)
    patient = None
    if request.GET.get("patient"):
        patient = patient_permissions.get_patient_for_user(request.user, request.GET["patient"])
        encounters = encounters.filter(patients=patient)
    coach = permissions.coach_filter_for(request.user, request.GET.get("coach"))
    if coach:
        encounters = encounters.filter(coach=coach)
    week = _week_of(request.GET.get("week"))
    if week:
        encounters = encounters.filter(occurred_at__gte=week[0], occurred_at__lt=week[1])
    mine = request.GET.get("mine") == "1"
    if mine:  # a clinical provider's own women (nobody else is anyone's clinical provider)
        encounters = encounters.filter(pk__in=encounters.filter(patients__clinical_provider=request.user).values("pk"))
    until = _date_or_none(request.GET.get("until"))
    if until:
        # Midnight after that day, in the program's zone.
        day_after = datetime.datetime.combine(
            until + datetime.timedelta(days=1), datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        encounters = encounters.filter(occurred_at__lt=day_after)
    page = keyset_page(
        permissions.encounters_shown_to(
            request.user, encounters.select_related("coach", "other_coach").prefetch_related("patients")
        ),
        request.GET,
        field="occurred_at",
        keep={
            "patient": str(patient.pk) if patient else "",
            "coach": str(coach.pk) if coach else "",
            "week": f"{week[0]:%Y-%m-%d}" if week else "",
            "mine": "1" if mine else "",
            "until": until.isoformat() if until else "",
        },
    )
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        {present.pk for encounter in page for present in permissions.patients_shown(encounter)},
        record_type="encounter list",
    )
    return render(
        request,
        "coaching/encounter_list.html",
        {
            "page": page,
            "patient": patient,
            "coach": coach,
            "until": until,
            # What she typed, when it is no date: shown back with what to type.
            "until_typed": "" if until else request.GET.get("until", "")[:20],
            "coaches": permissions.coaches_to_filter_by(request.user),
            "week": week[0] if week else None,
            "mine": mine,
            "can_log": permissions.can_log_encounters(request.user),
        },
    )


def _date_or_none(value: str | None) -> datetime.date | None:
    """A date typed in the list's filter; anything else is no filter (the form says so)."""
    try:
        day = datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or day < datetime.date.max else None  # its end is the next day


def _week_of(value: str | None) -> tuple[datetime.datetime, datetime.datetime] | None:
    """?week=2027-03-01: from the Monday of that day's week, at midnight in the active (the program's) zone, to
    the next Monday. Anything that is not a date is ignored."""
    zone = timezone.get_current_timezone()
    try:
        day = datetime.date.fromisoformat(value or "")
        monday = day - datetime.timedelta(days=day.weekday())
        following = monday + datetime.timedelta(weeks=1)
    except (ValueError, OverflowError):
        return None
    return (
        datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=zone),
    )


@require_http_methods(["GET", "POST"])
@creates_once
def encounter_new(request):
    if not permissions.can_log_encounters(request.user):
        raise Http404
    kwargs = _choices(request.user)
    # ?appointment=: "Log it" from her week; saving marks that appointment done (coaching.services.encounter_log).
    appointment = permissions.get_appointment_to_log(request.user, request.GET.get("appointment"))
    if request.method == "GET" and appointment is not None and not appointment.is_planned:
        messages.info(request, services.NOT_PLANNED)
        return redirect("coaching:week")
    if request.method == "POST":
        _posted_patients_are_hers(request)
        form = EncounterForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                encounter = services.encounter_log(
                    actor=actor_from(request),
                    fields=form.encounter_fields(),
                    patients=form.cleaned_data["patients"],
                    resources=form.cleaned_data["resources"],
                    notes=form.notes(),
                    appointment=appointment,
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Encounter saved."))
                return _done(request, "coaching:encounter_detail", pk=encounter.pk)
        draft = None
    elif appointment is not None:
        # Her appointment, not her draft: the draft stays for another time.
        draft, initial = None, _from_appointment(appointment)
        form = EncounterForm(initial=initial, **kwargs)
    else:
        draft, initial = draft_initial(request.user, Draft.Form.ENCOUNTER, EncounterForm)
        if draft is None and not kwargs["patients"].exists():
            # A new coach: what to do next, not an empty pick list (a draft is shown whatever happens).
            return render(request, "coaching/nothing_to_log.html", {"what": _("log an encounter")})
        if draft is None:
            initial = _defaults(request.user, kwargs["patients"], request.GET.get("patient"))
        else:
            initial |= notes_initial(draft)
            if initial.get("started") != PICK:
                # "30 minutes ago" meant 30 minutes before she typed it, perhaps hours ago: she answers it again.
                initial.pop("started", None)
        form = EncounterForm(initial=initial, **kwargs)
    _log_form_shown(request, kwargs["patients"])
    context = {
        "form": form,
        "draft": draft,
        # Logging an appointment keeps no draft: the appointment holds what the form starts with.
        "draft_url": "" if appointment else reverse("coaching:draft_save", args=[Draft.Form.ENCOUNTER]),
        "appointment": appointment,
    }
    return _render_form(request, "coaching/encounter_form.html", context)


def _from_appointment(appointment) -> dict:
    """The encounter form for her appointment: the woman, the kind of visit, where, and when it was planned."""
    local = timezone.localtime(appointment.starts_at)
    return {
        "patients": [appointment.patient_id],
        "kind": AppointmentKind(appointment.kind).encounter_kind,
        "started": PICK,
        "date": local.date(),
        "start_time": local.time().replace(second=0, microsecond=0),
        "duration_minutes": 60,
        "place": appointment.place,
    }


def _log_form_shown(request, patients, encounter=None) -> None:
    """The form lists her caseload by name to choose from; on a saved encounter it shows that encounter too."""
    log_access_many(
        actor_from(request), AccessAction.VIEW, patients.values_list("pk", flat=True), record_type="encounter form"
    )
    if encounter is not None:
        _log_encounter_shown(request, encounter)


def _log_encounter_shown(request, encounter) -> None:
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        encounter.patients.values_list("pk", flat=True),
        record_type="encounter",
        record_id=str(encounter.pk),
    )


def _choices(user) -> dict:
    """What the encounter form offers her: her caseload, her program's resources, and the coaches she may name at a
    warm handoff."""
    return {
        "patients": permissions.patients_for_logging(user),
        "resources": permissions.resources_for(user),
        "coaches": permissions.handoff_coaches_for(user),
    }


def _defaults(user, patients, patient_id) -> dict:
    """The kind and length she logged last, and the patient whose page she came from: the common case takes a
    few taps. "When did it start?" is left for her to answer; the date is today's, for "another time".
    A patient id that is not of her caseload is ignored."""
    last = (
        permissions.encounters_visible_to(user)
        .filter(coach=user)
        .order_by("-created_at")
        .values("duration_minutes", "kind")
        .first()
    )
    wanted = id_or_none(patient_id)
    return {
        "patients": list(patients.filter(pk=wanted).values_list("pk", flat=True)) if wanted else [],
        "date": timezone.localdate(),
        "duration_minutes": last["duration_minutes"] if last else 60,
        "kind": last["kind"] if last else None,
        "place": "",
    }


def encounter_detail(request, pk):
    """The whole encounter (her coach's and supervisors' view), or with ?patient= one woman's part of it, as her
    record shows it: the shared note, her own note and "a group of N", never another woman's name or note. A
    group another coach logged, read because a woman of her caseload was there, is `withheld`
    (`permissions.encounters_shown_to`): her own women and their own notes only, not the shared note, place,
    resources or addenda."""
    encounter = permissions.get_encounter_for_user(request.user, pk)
    patients = permissions.patients_shown(encounter)
    her = _her_on(encounter, patients, request.GET.get("patient"))
    shown = [her] if her else patients
    log_access_many(
        actor_from(request),
        AccessAction.VIEW,
        [p.pk for p in shown],
        record_type="encounter",
        record_id=str(encounter.pk),
    )
    group_size = encounter.patients.count() if encounter.withheld else len(patients)
    # Her own women's own notes are in their records, withheld or not: only the shared note and the rest are not.
    notes = dict(encounter.notes.filter(patient__in=shown).values_list("patient_id", "text"))
    concerns = permissions.concerns_visible_to(request.user).filter(encounter=encounter)
    mine = encounter.coach_id == request.user.pk and permissions.can_log_encounters(request.user)
    return render(
        request,
        "coaching/encounter_detail.html",
        {
            "encounter": encounter,
            "her": her,
            "group_size": group_size,
            "present": [(patient, notes.get(patient.pk, "")) for patient in shown],
            # Written before each woman had her own note, it may name any of them: supervisors', on the whole view.
            "note_before": ""
            if her or not permissions.reads_notes_before_per_woman(request.user)
            else encounter.note_before_per_woman,
            "resources": [] if encounter.withheld else encounter.resources.all(),
            # An addendum is written on the whole encounter and may name any woman on it.
            "addenda": encounter.addenda.select_related("author")
            if not encounter.withheld and (not her or group_size == 1)
            else [],
            "concerns": concerns.filter(patient=her) if her else concerns,
            "can_edit": mine and encounter.edit_window_open(),
            "can_amend": mine and not encounter.is_entered_in_error,
            "can_share_concern": mine and permissions.can_share_concerns(request.user),
        },
    )


def _her_on(encounter, patients, patient_id):
    """?patient=: a woman on the encounter (404 for anyone else); None for the whole encounter."""
    if not patient_id:
        return None
    wanted = id_or_none(patient_id)
    for patient in patients:
        if patient.pk == wanted:
            return patient
    raise Http404("No such patient on this encounter.")


@require_http_methods(["GET", "POST"])
def encounter_edit(request, pk):
    encounter = permissions.get_encounter_for_change(request.user, pk)
    if encounter.is_entered_in_error:
        messages.info(request, services.IN_ERROR)
        return redirect("coaching:encounter_detail", pk=encounter.pk)
    if not encounter.edit_window_open():
        messages.info(request, _("The 72 hours to change this encounter have passed. Add an addendum instead."))
        return redirect("coaching:encounter_addendum", pk=encounter.pk)
    kwargs = _choices(request.user)
    if request.method == "POST":
        _posted_patients_are_hers(request)
        form = EncounterEditForm(request.POST, version=encounter.version, **kwargs)
        if form.is_valid():
            try:
                services.encounter_update(
                    actor=actor_from(request),
                    encounter=encounter,
                    fields=form.encounter_fields(),
                    patients=form.cleaned_data["patients"],
                    resources=form.cleaned_data["resources"],
                    notes=form.notes(),
                    version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                form.refuse(error)
            else:
                messages.success(request, _("Encounter changed."))
                return _done(request, "coaching:encounter_detail", pk=encounter.pk)
        draft = None
    else:
        draft, initial = draft_initial(request.user, Draft.Form.ENCOUNTER, EncounterForm, key=str(encounter.pk))
        initial = initial | notes_initial(draft) if draft else EncounterForm.initial_for(encounter)
        form = EncounterEditForm(initial=initial, version=encounter.version, **kwargs)
    _log_form_shown(request, kwargs["patients"], encounter)
    draft_url = reverse("coaching:encounter_edit_draft", args=[encounter.pk])
    context = {"form": form, "encounter": encounter, "draft": draft, "draft_url": draft_url}
    return _render_form(request, "coaching/encounter_form.html", context)


@require_http_methods(["GET", "POST"])
@creates_once
def encounter_addendum(request, pk):
    def act(encounter, data):
        services.encounter_add_addendum(actor=actor_from(request), encounter=encounter, text=data["text"])

    return _encounter_action(request, pk, AddendumForm, "coaching/encounter_addendum.html", act, _("Addendum added."))


@require_http_methods(["GET", "POST"])
def encounter_error(request, pk):
    def act(encounter, data):
        services.encounter_mark_in_error(actor=actor_from(request), encounter=encounter, reason=data["reason"])

    done = _("Marked as entered in error. It stays in the record, struck through.")
    return _encounter_action(request, pk, EnteredInErrorForm, "coaching/encounter_error.html", act, done)


def _encounter_action(request, pk, form_class, template, act, done):
    """Her own encounter, a small form, and the service; what the service refuses is said above the form."""
    encounter = permissions.get_encounter_for_change(request.user, pk)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(encounter, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect("coaching:encounter_detail", pk=encounter.pk)
    _log_encounter_shown(request, encounter)
    return render(request, template, {"form": form, "encounter": encounter})


@require_POST
def encounter_draft_discard(request):
    permissions.get_draft_form_for(request.user, Draft.Form.ENCOUNTER)
    services.draft_discard(user=request.user, form=Draft.Form.ENCOUNTER)
    return redirect("coaching:encounter_new")
