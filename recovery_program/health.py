"""/healthz: can the app do its work right now? For monitoring; no login.

It answers 503 when the database or the broker cannot be reached, when the scheduler (Celery beat) or the workers
have not shown a sign of life for `HEARTBEAT_STALE_AFTER` (escalating unanswered urgent concerns depends on both),
or when a check another app registered says so (supervision: a page waiting too long to go out). `/healthz/web`
asks only whether this web process reaches the database: what a load balancer or container check should use,
so that a stopped scheduler does not take the web pages down with it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recovery_program.models import Heartbeat

logger = logging.getLogger(__name__)

# Beat writes its heartbeat every 30 seconds and enqueues the workers' every minute: three minutes is a real stop.
HEARTBEAT_STALE_AFTER = datetime.timedelta(minutes=3)
# The workers of each queue beat apart (settings.WORKER_HEARTBEATS): a dead texts worker is seen as itself, not
# only as texts waiting.
HEARTBEATS = ("scheduler", *settings.WORKER_HEARTBEATS.values())

# A check answers (status, figures): status "ok", or a word that makes /healthz answer 503.
Check = Callable[[datetime.datetime], tuple[str, dict[str, object]]]
_checks: dict[str, Check] = {}


def check_register(name: str, check: Check) -> None:
    """Adds a check of a higher app (called from its AppConfig.ready, as this core app imports none)."""
    _checks[name] = check


def heartbeat_record(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return "unavailable"
    return "ok"


def _broker_status() -> str:
    if settings.REDIS_URL is None:
        return "in-process"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except redis.RedisError:
        return "unavailable"
    return "ok"


def _heartbeats(now: datetime.datetime) -> dict[str, object]:
    """Each heartbeat's status ("ok", "stale", or "never" before the first) and its age in seconds."""
    if settings.REDIS_URL is None:  # tasks run in the web process: there is no worker or scheduler to watch
        return dict.fromkeys(HEARTBEATS, "in-process")
    last = dict(Heartbeat.objects.filter(name__in=HEARTBEATS).values_list("name", "beat_at"))
    answer: dict[str, object] = {}
    for name in HEARTBEATS:
        if name not in last:
            answer[name] = "never"
            continue
        age = now - last[name]
        answer[name] = "stale" if age > HEARTBEAT_STALE_AFTER else "ok"
        answer[f"{name}_seconds_ago"] = max(0, int(age.total_seconds()))
    return answer


def _answer(checks: dict[str, object]) -> JsonResponse:
    statuses = [value for name, value in checks.items() if isinstance(value, str)]
    healthy = all(value in ("ok", "in-process") for value in statuses)
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


@login_not_required
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    checks: dict[str, object] = {"database": _database_status(), "broker": _broker_status()}
    if checks["database"] == "ok":
        now = timezone.now()
        try:
            checks |= _heartbeats(now)
            for name, check in _checks.items():
                status, figures = check(now)
                checks |= {name: status, **figures}
        except DatabaseError:
            logger.exception("A health check could not read the database")
            checks["database"] = "unavailable"
    return _answer(checks)


@login_not_required
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz_web(request):
    return _answer({"database": _database_status()})
