from __future__ import annotations

from django.utils.translation import gettext as _

from coaching import permissions as coaching_permissions
from patients import permissions as patient_permissions
from staff import permissions as staff_permissions
from supervision import permissions as supervision_permissions
from workspace import permissions as workspace_permissions


def navigation(request) -> dict:
    """What the main menu offers, asked of each app's permission layer (never of the role's name)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_patients": patient_permissions.can_list_patients(user),
        "nav_patients_label": _("Patients") if patient_permissions.sees_whole_program(user) else _("My caseload"),
        "nav_log_encounters": coaching_permissions.can_log_encounters(user),
        "nav_encounters": coaching_permissions.can_see_encounters(user),
        "nav_concerns": coaching_permissions.can_share_concerns(user) or coaching_permissions.can_act_on_concerns(user),
        "nav_concerns_label": _("Concern queue")
        if coaching_permissions.can_act_on_concerns(user)
        else _("My concerns"),
        "nav_resources": coaching_permissions.can_keep_resources(user),
        "nav_week": coaching_permissions.can_read_weeks(user),
        "nav_week_label": _("My week") if coaching_permissions.can_keep_week(user) else _("Coaches' weeks"),
        "nav_compliance": staff_permissions.can_see_compliance(user),
        "nav_supervision": supervision_permissions.sees_supervision(user),
        "nav_overview": workspace_permissions.sees_coach_overview(user),
        "nav_exports": workspace_permissions.can_export(user),
        "nav_program_figures": workspace_permissions.sees_program_figures(user),
        "nav_reports": workspace_permissions.sees_program_reports(user),
        "nav_rota": supervision_permissions.can_keep_rota(user),
        "nav_staff": staff_permissions.can_see_staff_list(user),
        "nav_staff_history": staff_permissions.can_see_staff_history(user),
        "nav_current": current_menu_item(getattr(request, "resolver_match", None)),
    }


# The menu item a page belongs to, when it is not the one its app's name suggests: one item is current at most.
_ITEMS_BY_PAGE = {
    "home": "home",
    "overview": "overview",
    "program_figures": "program_figures",
    "reports": "reports",
    "exports": "exports",
    "coaching:resources": "resources",
    "coaching:resource_edit": "resources",
    "coaching:draft_save": "",
    "coaching:week": "week",
    "coaching:coach_week": "week",
    "coaching:appointment_new": "week",
    "coaching:appointment_close": "week",
    "coaching:reminder_new": "week",
    "coaching:reminder_close": "week",
    "supervision:rota": "rota",
    "supervision:reach": "reach",
    "supervision:page": "",
    "staff:compliance": "compliance",
    "staff:compliance_csv": "compliance",
    "staff:history": "staff_history",
    "staff:my_training": "",
}
_ITEMS_BY_APP = {"patients": "patients", "supervision": "supervision", "staff": "staff"}


def current_menu_item(match) -> str:
    """Which one menu item (if any) the page belongs to: "encounters", "concerns", "staff", ..."""
    if match is None:
        return ""
    if match.view_name in _ITEMS_BY_PAGE:
        return _ITEMS_BY_PAGE[match.view_name]
    if match.app_name == "coaching":
        return "encounters" if match.url_name.startswith("encounter") else "concerns"
    return _ITEMS_BY_APP.get(match.app_name, "")
