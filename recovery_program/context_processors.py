from __future__ import annotations

from patients import permissions as patient_permissions


def navigation(request) -> dict:
    """What the main menu offers, asked of each app's permission layer (never of the role's name)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_patients": patient_permissions.can_list_patients(user),
        "nav_patients_label": "Patients" if patient_permissions.sees_whole_program(user) else "My caseload",
    }
