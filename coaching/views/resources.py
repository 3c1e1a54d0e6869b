from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coaching import permissions
from coaching.forms import ResourceForm
from recovery_program.once import creates_once


@require_http_methods(["GET", "POST"])
@creates_once
def resource_list(request):
    """Admins keep the program's list of resources coaches can share: add, rename, retire."""
    resources = permissions.resources_managed_by(request.user)
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.program_id = request.user.program_id
        if resources.filter(name__iexact=form.cleaned_data["name"]).exists():
            form.add_error("name", _("This program already has a resource by that name."))
        else:
            form.save()
            messages.success(request, _("%(name)s added.") % {"name": form.instance.name})
            return redirect("coaching:resources")
    return render(request, "coaching/resource_list.html", {"resources": resources, "form": form})


@require_http_methods(["GET", "POST"])
def resource_edit(request, pk):
    resource = get_object_or_404(permissions.resources_managed_by(request.user), pk=pk)
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("coaching:resources")
    return render(request, "coaching/resource_edit.html", {"resource": resource, "form": form})
