from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils import timezone

from coaching import permissions as coaching_permissions
from patients import permissions as patient_permissions
from staff import permissions
from staff.forms import LoginForm
from staff.training import compliance_for
from supervision import permissions as supervision_permissions


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


FAILED_PAGES_SHOWN = 5


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
            "failed_pages": supervision_permissions.failed_pages_for(user)[:FAILED_PAGES_SHOWN],
            "drafts": coaching_permissions.drafts_of(user),
            "patients_without_coach": patient_permissions.patients_without_coach_count(user),
            "my_compliance": compliance_for([user], timezone.localdate()).get(user.pk),
        },
    )
