from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from coaching import permissions as coaching_permissions
from patients import permissions as patient_permissions
from staff import permissions
from staff.training import compliance_for


def home(request):
    user = request.user
    return render(
        request,
        "workspace/home.html",
        {
            "supervisors": permissions.supervisors_reachable_by(user),
            "staff_counts": permissions.staff_counts_for(user),
            "patient_counts": patient_permissions.patient_counts_for(user),
            "caseload_size": patient_permissions.active_caseload_size(user),
            "can_enroll": patient_permissions.can_enroll(user),
            "concern_counts": coaching_permissions.open_concern_counts(user),
            "drafts": coaching_permissions.drafts_of(user),
            "patients_without_coach": patient_permissions.patients_without_coach_count(user),
            "my_compliance": compliance_for([user], timezone.localdate()).get(user.pk),
        },
    )
