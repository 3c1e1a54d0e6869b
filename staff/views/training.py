"""Training records and compliance."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from recovery_program.audit import actor_from
from recovery_program.confirm import confirm_page, confirmed
from recovery_program.once import creates_once
from recovery_program.spreadsheet import csv_download
from recovery_program.uploads import document_response
from staff import permissions, services
from staff.forms import RequirementForm, TrainingKindForm, TrainingRecordForm
from staff.models import TrainingRequirement
from staff.roles import ROLE_PLURALS, Role
from staff.training import compliance_for


def my_training(request):
    return redirect("staff:training", pk=request.user.pk)


def member_training(request, pk):
    """Her training record and what she still needs."""
    member = permissions.get_member_for_training(request.user, pk)
    return render(
        request,
        "staff/training.html",
        {
            "member": member,
            "records": member.training_records.select_related("kind"),
            "compliance": compliance_for([member], timezone.localdate())[member.pk],
            "can_record": permissions.can_record_training(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def training_add(request, pk):
    member = permissions.get_member_for_training(request.user, pk)
    if not permissions.can_record_training(request.user):
        raise Http404
    form = TrainingRecordForm(
        request.POST or None, request.FILES or None, kinds=permissions.training_kinds_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in TrainingRecordForm.Meta.fields}
        services.training_record_add(actor=actor_from(request), user=member, fields=fields)
        messages.success(request, _("Training recorded."))
        return redirect("staff:training", pk=member.pk)
    return render(request, "staff/training_form.html", {"form": form, "member": member})


def certificate(request, record_pk):
    """Sent only to the staff member, her supervisor and admins; never from the web root."""
    record = permissions.get_certificate_for_user(request.user, record_pk)
    return document_response(record.certificate, f"certificate-{record.pk}{Path(record.certificate.name).suffix}")


def _compliance_rows(request, people):
    people = list(people)
    results = compliance_for(people, timezone.localdate())
    return [(person, results[person.pk]) for person in people]


def compliance(request):
    if not permissions.can_see_compliance(request.user):
        raise Http404
    people = permissions.compliance_people_for(request.user).prefetch_related("groups")
    page = Paginator(people.order_by("first_name", "last_name", "pk"), 50).get_page(request.GET.get("page"))
    rows = _compliance_rows(request, page.object_list)
    return render(
        request,
        "staff/compliance.html",
        {"page": page, "rows": rows, "can_export": permissions.can_export_compliance(request.user)},
    )


def compliance_csv(request):
    if not permissions.can_export_compliance(request.user):
        raise Http404
    response, writer = csv_download(
        "training-compliance.csv",
        [_("Name"), _("Role"), _("E-mail"), _("Status"), _("Missing or lapsed"), _("Expiring within 60 days")],
    )
    people = permissions.compliance_people_for(request.user).prefetch_related("groups").order_by("first_name", "pk")
    for person, result in _compliance_rows(request, people):
        writer.writerow(
            [
                str(person),
                str(person.role.label) if person.role else "",
                person.email,
                str(result.label),
                "; ".join(result.missing),
                "; ".join(result.expiring),
            ]
        )
    return response


@require_http_methods(["GET", "POST"])
@creates_once
def kinds(request):
    if not permissions.can_manage_training_kinds(request.user):
        raise Http404
    kinds = permissions.training_kinds_for(request.user)
    kind_form = TrainingKindForm(request.POST if "add_kind" in request.POST else None, prefix="kind")
    requirement_form = RequirementForm(
        request.POST if "add_requirement" in request.POST else None, prefix="req", kinds=kinds
    )
    if "add_kind" in request.POST and kind_form.is_valid():
        if kinds.filter(name__iexact=kind_form.cleaned_data["name"]).exists():
            kind_form.add_error("name", _("There is already a kind of training by that name."))
        else:
            services.training_kind_add(actor=actor_from(request), fields=kind_form.cleaned_data)
            messages.success(request, _("Kind of training added."))
            return redirect("staff:training_kinds")
    if "add_requirement" in request.POST and requirement_form.is_valid():
        data = requirement_form.cleaned_data
        if TrainingRequirement.objects.filter(
            program_id=request.user.program_id, role=data["role"], kind=data["kind"]
        ).exists():
            requirement_form.add_error("kind", _("This role already requires it."))
        else:
            services.training_requirement_add(actor=actor_from(request), fields=data)
            messages.success(request, _("Requirement added."))
            return redirect("staff:training_kinds")
    return render(
        request,
        "staff/training_kinds.html",
        {
            "kinds": kinds,
            "requirements": TrainingRequirement.objects.filter(program_id=request.user.program_id).select_related(
                "kind"
            ),
            "kind_form": kind_form,
            "requirement_form": requirement_form,
        },
    )


@require_http_methods(["GET", "POST"])
def kind_edit(request, pk):
    if not permissions.can_manage_training_kinds(request.user):
        raise Http404
    kind = get_object_or_404(permissions.training_kinds_for(request.user), pk=pk)
    form = TrainingKindForm(request.POST or None, instance=kind)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        services.training_kind_change(actor=actor_from(request), kind=kind, fields=changed)
        messages.success(request, _("Saved."))
        return redirect("staff:training_kinds")
    return render(request, "staff/training_kind_edit.html", {"form": form, "kind": kind})


@require_http_methods(["GET", "POST"])
def requirement_remove(request, pk):
    if not permissions.can_manage_training_kinds(request.user):
        raise Http404
    requirement = get_object_or_404(TrainingRequirement, pk=pk, program_id=request.user.program_id)
    role = ROLE_PLURALS[Role(requirement.role)]
    if not confirmed(request):
        return confirm_page(
            request,
            title=_("Remove “%(requirement)s” for %(roles)s?") % {"requirement": requirement, "roles": role},
            effects=[
                _("It is no longer required of %(roles)s: compliance and reminders stop counting it.")
                % {"roles": role},
                _("Training records already kept stay as they are, and the staff history notes who removed it."),
            ],
            button=_("Remove the requirement"),
            action=reverse("staff:requirement_remove", args=[requirement.pk]),
            cancel_url=reverse("staff:training_kinds"),
            back_label=_("Training kinds"),
        )
    services.training_requirement_remove(actor=actor_from(request), requirement=requirement)
    messages.success(request, _("Requirement removed."))
    return redirect("staff:training_kinds")
