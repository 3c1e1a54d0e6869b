"""An e-mail backend that stops in the middle of sending until the test releases it, so that a test can kill
the worker at that moment. Used only by a worker process that a test starts."""

from __future__ import annotations

import os

import redis
from django.core.mail.backends.base import BaseEmailBackend

from recovery_program.messaging import OutboxEmailBackend, OutboxSMSBackend

# Named after the run's queue: two runs sharing one Redis (make test gives each its own queue) never take each
# other's signal.
_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
STARTED = f"test:paging:started:{_QUEUE}"
RELEASE = f"test:paging:release:{_QUEUE}"


class BlockingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=None)
        client.rpush(STARTED, "1")
        client.blpop(RELEASE, timeout=120)
        return OutboxEmailBackend().send_messages(email_messages)


class BlockingSMSBackend:
    """A text provider that stops in the middle of sending until the test releases it (a provider answering slowly)."""

    def send(self, *, to, body, key):
        client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=None)
        client.rpush(STARTED, "1")
        client.blpop(RELEASE, timeout=120)
        return OutboxSMSBackend().send(to=to, body=body, key=key)
