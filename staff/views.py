from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from coaching import permissions as coaching_permissions
from patients import permissions as patient_permissions
from staff import permissions
from staff.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


def home(request):
    user = request.user
    return render(
        request,
        "staff/home.html",
        {
            "supervisors": permissions.supervisors_reachable_by(user),
            "staff_counts": permissions.staff_counts_for(user),
            "patient_counts": patient_permissions.patient_counts_for(user),
            "caseload_size": patient_permissions.active_caseload_size(user),
            "can_enroll": patient_permissions.can_enroll(user),
            "concern_counts": coaching_permissions.open_concern_counts(user),
            "drafts": coaching_permissions.drafts_of(user),
        },
    )


@permission_required("staff.view_program_staff", raise_exception=True)
def staff_list(request):
    members = permissions.staff_visible_to(request.user).order_by("-is_active", "first_name", "last_name")
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(request, "staff/staff_list.html", {"page": page})
