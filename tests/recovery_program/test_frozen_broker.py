"""A broker that accepts connections and never answers (a frozen Redis) must not hang the request that enqueues
a task after its commit: publishing gives up within seconds, and the outbox row and the sweep carry the work."""

from __future__ import annotations

import socket
import threading

import pytest

from recovery_program.celery import app
from supervision.tasks import deliver_page

pytestmark = pytest.mark.broker  # without REDIS_URL tasks run in-process and nothing is published


@pytest.fixture
def frozen_broker():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)  # the kernel completes each connection; nothing ever reads or answers
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def test_publishing_to_a_frozen_broker_gives_up_within_seconds(frozen_broker):
    outcome = {}

    def publish():
        try:
            with app.connection_for_write(frozen_broker) as connection:
                deliver_page.apply_async((1,), connection=connection)
        except Exception as error:
            outcome["error"] = error

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    publisher.join(timeout=15)  # without socket timeouts it would wait for ever

    assert not publisher.is_alive()
    assert "Timeout" in str(outcome["error"])
