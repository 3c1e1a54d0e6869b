from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, apps=None, **kwargs):
    from django.apps import apps as installed_apps

    from staff.roles import sync_roles

    sync_roles(apps or installed_apps)


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff and programs")

    def ready(self) -> None:
        # Keeps the role groups' permissions equal to staff.roles.ROLE_PERMISSIONS.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="staff.sync_roles")
        from staff.middleware import stamp_login

        # A session's lifetime and idle timeout start at login (staff.middleware.SessionLifetimeMiddleware).
        user_logged_in.connect(stamp_login, dispatch_uid="staff.stamp_login")
        from recovery_program import outbox
        from staff.services import email_changed_build, password_link_build

        # How the outbox builds the e-mails staff writes (recovery_program.outbox), when it sends them.
        outbox.register("password_link", password_link_build)
        outbox.register("email_changed", email_changed_build)
