from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy

from recovery_program.database_roles import harden_trigger_ignore

logger = logging.getLogger("recovery_program")


class RecoveryProgramConfig(AppConfig):
    name = "recovery_program"
    verbose_name = gettext_lazy("Recovery program")

    def ready(self) -> None:
        from recovery_program.health import check_register
        from recovery_program.outbox import outbox_check

        post_migrate.connect(harden_trigger_ignore, sender=self)
        check_register("emails", outbox_check)
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning("REDIS_URL is not set: background tasks run in-process, without a worker.")
