"""The three roles, and what each may do.

Each role is a Django group. `ROLE_PERMISSIONS` below is the one place that says
which permissions each group holds; a data migration creates the groups, and
after every migrate (and every test-database flush) `sync_roles` brings them back
in line with this table. A user has exactly one role (set through
`staff.services.user_set_role`). Code never compares role names to decide access:
each app's permissions.py asks for these permissions instead.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # The values are the group names in the database: they never change; only the labels are translated.
    COACH = "coach", _("Coach")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Admin")


# In a sentence about everyone who holds a role ("required of coaches").
ROLE_PLURALS = {Role.COACH: _("coaches"), Role.SUPERVISOR: _("supervisors"), Role.ADMIN: _("admins")}

# The roles that reach patients' records: giving one takes two people (staff.models.AccountChangeRequest).
CLINICAL_ROLES = frozenset({Role.COACH, Role.SUPERVISOR})

# Coaches hold patient permissions only object by object, on their caseload
# (patients.permissions.CASELOAD_PERMISSIONS, granted with the coach assignment).
ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.COACH: {
        "patients.view_caseload",
        "patients.add_grantinterview",
        # No "patients.export_patients": she works from her phone and needs no file of names that leaves the app
        # (42 CFR Part 2's minimum necessary); supervisors keep theirs.
        "coaching.log_encounters",
        "coaching.share_concerns",
        "coaching.change_safetyplan",
        "coaching.keep_week",
        "coaching.change_recoverygoal",
        # Her caseload's pregnancies (the woman is reached through patients.permissions); never custody or CPS.
        "patients.change_pregnancy",
        # She takes a woman's BARC-10 with her and reads her trend (coaching.permissions).
        "coaching.add_barc10",
        "supervision.add_agendaitem",
        "supervision.add_dualrelationship",
        "referrals.record_in_person_disclosure",
    },
    Role.SUPERVISOR: {
        "staff.view_program_staff",
        "staff.propose_role_change",
        "supervision.add_supervisionassignment",
        "supervision.view_supervisionsession",
        "supervision.add_supervisionsession",
        "supervision.change_supervisionsession",
        "supervision.change_agendaitem",
        "supervision.change_dualrelationship",
        "supervision.view_oncallshift",
        "supervision.add_oncallshift",
        "supervision.change_oncallshift",
        "supervision.add_unavailability",
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.change_patient_contact",
        "patients.change_patient_status",
        "patients.assign_coach",
        "patients.view_access_log",
        "patients.export_patients",
        "patients.view_patient_counts",
        "patients.view_consent",
        "patients.add_consent",
        "patients.change_consent",
        "patients.view_child",
        "patients.add_child",
        "patients.change_child",
        "patients.change_pregnancy",
        "patients.view_childcustody",
        "patients.change_childcustody",
        "patients.change_dischargereason",
        "patients.add_grantinterview",
        "patients.change_grantinterview",
        "coaching.view_encounter",
        "coaching.view_concern",
        "coaching.change_concern",
        "coaching.view_safetyplan",
        "coaching.view_appointment",
        "coaching.view_recoverygoal",
        "coaching.change_recoverygoal",
        "coaching.view_barc10",
        "coaching.add_barc10",
        "referrals.view_referral",
        "referrals.add_referral",
        "referrals.change_referral",
        "referrals.view_cpsreport",
        "referrals.add_cpsreport",
        "referrals.change_cpsreport",
        "referrals.view_patientcommunication",
        "referrals.add_patientcommunication",
        "referrals.change_patientcommunication",
        "referrals.view_disclosure",
        "referrals.add_disclosure",
        "referrals.view_serviceagreement",
        "referrals.add_serviceagreement",
    },
    Role.ADMIN: {
        "staff.view_program_staff",
        "staff.manage_staff",
        "staff.propose_role_change",
        "staff.view_trainingrecord",
        "staff.add_trainingrecord",
        "staff.add_trainingkind",
        "staff.change_trainingkind",
        "staff.add_trainingrequirement",
        "staff.delete_trainingrequirement",
        "supervision.add_supervisionassignment",
        "supervision.view_oncallshift",
        "supervision.add_oncallshift",
        "patients.view_patient_counts",
        "coaching.view_resource",
        "coaching.add_resource",
        "coaching.change_resource",
    },
}


def members_with_role(role: Role, *, program_id: int | None = None, active_only: bool = True):
    """The staff who hold a role (in one program, or in all): the one place that turns a role into people."""
    from staff.models import User

    members = User.objects.filter(groups__name=role.value)
    if program_id is not None:
        members = members.filter(program_id=program_id)
    if active_only:
        members = members.filter(is_active=True)
    return members


def sync_roles(apps) -> None:
    """Create the three groups and give each exactly the permissions of ROLE_PERMISSIONS.

    Takes an app registry (the real one, or a migration's historical one). A
    permission whose app is not migrated yet is left for the next run.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's historical apps have no models_module; create_permissions skips those.
        saved = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = saved

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = [name.split(".") for name in names]
        query = models.Q(pk__in=[])
        for app_label, codename in wanted:
            query |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
