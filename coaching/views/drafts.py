"""Drafts: what she types in a long form is saved as she goes (static/js/keep.js posts it every few seconds).

`draft_answer` and `draft_initial` serve every app's long forms; each app's draft view first decides, through its
own permission layer, that she may write that form (404 otherwise) and which patients the draft is about."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coaching import permissions, services
from coaching.forms import ConcernForm, EncounterForm, note_name
from coaching.models import Draft
from recovery_program.audit import actor_from
from recovery_program.ids import id_or_none


def draft_answer(
    request,
    *,
    form: Draft.Form,
    fields: Collection[str],
    page: str,
    key: str = "",
    patients: Iterable[int] = (),
) -> HttpResponse:
    """Saves her draft and answers with the status line; or, when she chose to start over, removes it and sends
    her back to the form."""
    if "start_over" in request.POST:
        services.draft_discard(user=request.user, form=form, key=key)
        return redirect(page)
    try:
        services.draft_save(
            actor=actor_from(request),
            form=form,
            key=key,
            page=page,
            fields=fields,
            data=dict(request.POST.lists()),
            patients=patients,
        )
    except ValidationError as error:
        # 200, so that the status line shows the refusal where "Saved as draft" would be.
        return HttpResponse(error.messages[0])
    return HttpResponse(_("Saved as draft at %(time)s.") % {"time": time_format(timezone.localtime(), "g:i a")})


def posted_ids(request, name: str) -> list[int]:
    """The row ids posted under `name`, garbage left out (a draft is kept whatever she picked)."""
    return [pk for pk in map(id_or_none, request.POST.getlist(name)) if pk is not None]


# The coaches' new-record forms: the form, and the field where she picks the patients it is about.
NEW_FORMS = {Draft.Form.ENCOUNTER: (EncounterForm, "patients"), Draft.Form.CONCERN: (ConcernForm, "patient")}


@require_POST
def draft_save(request, form):
    """A new encounter's or concern's draft (coaches)."""
    draft_form = permissions.get_draft_form_for(request.user, form)
    form_class, picked = NEW_FORMS[draft_form]
    patients = permissions.patients_for_logging(request.user).filter(pk__in=posted_ids(request, picked))
    about = list(patients.values_list("pk", flat=True))
    return draft_answer(
        request,
        form=draft_form,
        fields=_with_notes(form_class.base_fields, about),
        page=reverse(f"coaching:{draft_form}_new"),
        patients=about,
    )


def _with_notes(fields: Collection[str], patients: Iterable[int]) -> set[str]:
    """A form's fields and the own notes of the women ticked on it (the notes of an encounter's form)."""
    return {*fields, *(note_name(pk) for pk in patients)}


def notes_initial(draft: Draft) -> dict[str, str]:
    """The own notes kept in an encounter's draft, as the form's initial values."""
    return {name: values[0] for name, values in draft.data.items() if name.startswith("note_") and values}


@require_POST
def encounter_edit_draft(request, pk):
    """Her draft of a change to one of her encounters: one per encounter."""
    encounter = permissions.get_encounter_for_change(request.user, pk)
    caseload = permissions.patients_for_logging(request.user).filter(pk__in=posted_ids(request, "patients"))
    present = encounter.patients.values_list("pk", flat=True)
    about = {*caseload.values_list("pk", flat=True), *present}
    return draft_answer(
        request,
        form=Draft.Form.ENCOUNTER,
        key=str(encounter.pk),
        fields=_with_notes(EncounterForm.base_fields, caseload.values_list("pk", flat=True)),
        page=reverse("coaching:encounter_edit", args=[encounter.pk]),
        patients=about,
    )


def draft_initial(user, form: Draft.Form, form_class, key: str = "", prefix: str = "") -> tuple[Draft | None, dict]:
    """Her draft for this form (and key), if she has one, as the form's initial values."""
    draft = permissions.drafts_of(user).filter(form=form, key=key).first()
    if draft is None:
        return None, {}
    return draft, initial_from(draft.data, form_class, prefix)


def initial_from(data: dict[str, list[str]], form_class, prefix: str = "") -> dict:
    """A draft's posted values as one form's initial values (`prefix` as in a formset's "case-0-")."""
    initial = {}
    for name, field in form_class.base_fields.items():
        if f"{prefix}{name}" not in data:
            continue
        values = data[f"{prefix}{name}"]
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if multiple else (values[0] if values else "")
    return initial
