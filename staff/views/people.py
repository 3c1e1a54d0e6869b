"""Admins manage the people of their program: accounts, roles, deactivation, password links."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from recovery_program.audit import actor_from
from recovery_program.confirm import confirm_page, confirmed
from recovery_program.once import creates_once
from staff import permissions, services
from staff.forms import NewStaffForm, ProposeRoleForm, RoleForm, StaffForm
from staff.roles import Role


def staff_list(request):
    if not permissions.can_see_staff_list(request.user):
        raise Http404
    members = permissions.staff_visible_to(request.user).order_by("-is_active", "first_name", "last_name")
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/staff_list.html",
        {
            "page": page,
            "can_manage": permissions.can_manage_staff(request.user),
            "role_changes": permissions.role_changes_to_decide(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def staff_new(request):
    if not permissions.can_manage_staff(request.user):
        raise Http404
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in StaffForm.Meta.fields}
        member = services.staff_create(actor=actor_from(request), fields=fields, role=Role(form.cleaned_data["role"]))
        messages.success(
            request,
            _("%(name)s can now set her password from the link sent to %(email)s.")
            % {"name": member, "email": member.email},
        )
        return redirect("staff:detail", pk=member.pk)
    return render(request, "staff/staff_form.html", {"form": form})


def staff_detail(request, pk):
    return detail_page(request, permissions.get_staff_member_for_user(request.user, pk))


def detail_page(request, member, *, role_form: RoleForm | None = None, propose_form: ProposeRoleForm | None = None):
    """Her staff page; with a refused role form, its message next to the field (workspace.views.staff_role)."""
    return render(
        request,
        "staff/staff_detail.html",
        {
            "member": member,
            "can_manage": permissions.can_manage_staff(request.user),
            "can_see_training": permissions.can_see_training_of(request.user, member),
            "can_see_history": permissions.can_see_staff_history(request.user),
            "role_form": role_form or RoleForm(initial={"role": member.role}),
            "can_propose": permissions.can_propose_role_changes(request.user)
            and not permissions.can_manage_staff(request.user),
            "propose_form": propose_form or ProposeRoleForm(initial={"role": member.role}),
            "waiting": permissions.role_change_waiting_for(request.user, member),
        },
    )


@require_http_methods(["GET", "POST"])
def staff_edit(request, pk):
    member = permissions.get_staff_member_for_manager(request.user, pk)
    form = StaffForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            saved = services.staff_update(actor=actor_from(request), user=member, fields=dict(changed))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            waits = "email" in changed and saved.email != changed["email"]
            messages.success(
                request, _("Saved. The new e-mail address waits for a supervisor.") if waits else _("Saved.")
            )
            return redirect("staff:detail", pk=member.pk)
    return render(request, "staff/staff_form.html", {"form": form, "member": member})


@require_POST
@creates_once
def staff_role_propose(request, pk):
    """A supervisor proposes a clinical role; an admin of the program approves it."""
    member = permissions.get_staff_member_for_proposer(request.user, pk)
    form = ProposeRoleForm(request.POST)
    if form.is_valid():
        role = Role(form.cleaned_data["role"])
        try:
            services.role_change_propose(actor=actor_from(request), user=member, role=role)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Proposed: %(name)s as %(role)s. An admin approves it.")
                % {"name": member, "role": role.label.lower()},
            )
            return redirect("staff:detail", pk=member.pk)
    return detail_page(request, member, propose_form=form)


@require_POST
def staff_reactivate(request, pk):
    member = permissions.get_staff_member_for_manager(request.user, pk)
    services.staff_reactivate(actor=actor_from(request), user=member)
    messages.success(request, _("%(name)s can log in again.") % {"name": member})
    return redirect("staff:detail", pk=member.pk)


@require_POST
def staff_password_link(request, pk):
    member = permissions.get_staff_member_for_manager(request.user, pk)
    try:
        services.staff_send_password_link(actor=actor_from(request), user=member)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("A one-time link to set a new password is on its way to %(email)s.") % {"email": member.email}
        )
    return redirect("staff:detail", pk=member.pk)


@require_http_methods(["GET", "POST"])
def staff_two_step_off(request, pk):
    """For a lost phone: her two-step login is turned off (for a coach or supervisor, proposed), and she sets it
    up again. The page first says what will happen."""
    member = permissions.get_staff_member_for_manager(request.user, pk)
    if not user_has_device(member, confirmed=None):
        messages.info(
            request, _("%(name)s has not set up two-step login: there is nothing to turn off.") % {"name": member}
        )
        return redirect("staff:detail", pk=member.pk)
    if not confirmed(request):
        second_person = permissions.needs_a_second_person(Role(member.role) if member.role else None)
        return confirm_page(
            request,
            title=_("Turn off %(name)s's two-step login?") % {"name": member},
            effects=[
                _(
                    "She logs in with her password alone until she sets up two-step login again on her new phone. "
                    "Her recovery codes stop working."
                ),
                *(
                    [
                        _(
                            "As she is a coach or supervisor, this is a proposal: it happens when a supervisor of "
                            "the program confirms it."
                        )
                    ]
                    if second_person
                    else []
                ),
                _(
                    "Do this only when you know it is her asking, for example by calling her back at the number "
                    "you have."
                ),
            ],
            button=_("Propose turning it off") if second_person else _("Turn off her two-step login"),
            action=reverse("staff:two_step_off", args=[member.pk]),
            cancel_url=reverse("staff:detail", args=[member.pk]),
            back_label=str(member),
        )
    try:
        off = services.staff_two_step_off(actor=actor_from(request), user=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Two-step login is off for %(name)s. She can set it up again after logging in.") % {"name": member}
            if off
            else _("Proposed: two-step login off for %(name)s. It is turned off when a supervisor confirms it.")
            % {"name": member},
        )
    return redirect("staff:detail", pk=member.pk)


def staff_history(request):
    """Who changed which account, role or setting of the program, and when: newest first. Admins only."""
    if not permissions.can_see_staff_history(request.user):
        raise Http404
    events = permissions.staff_events_visible_to(request.user)
    member = None
    if request.GET.get("member"):
        member = permissions.get_staff_member_for_user(request.user, request.GET["member"])
        events = events.filter(subject=member)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = f"member={member.pk}" if member else ""
    return render(request, "staff/history.html", {"page": page, "member": member, "query": query})
