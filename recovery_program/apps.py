from __future__ import annotations

import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("recovery_program")


class RecoveryProgramConfig(AppConfig):
    name = "recovery_program"
    verbose_name = "Recovery program"

    def ready(self) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.warning("REDIS_URL is not set: background tasks run in-process, without a worker.")
