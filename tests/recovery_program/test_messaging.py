"""The HTTP text backend posts to the provider's address, and to nothing else."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from recovery_program.messaging import HTTPSMSBackend


class _Provider(BaseHTTPRequestHandler):
    received: list[dict] = []  # noqa: RUF012 (one fake provider per test run)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Provider.received.append(
            {
                "body": json.loads(self.rfile.read(length)),
                "key": self.headers["Idempotency-Key"],
                "auth": self.headers["Authorization"],
            }
        )
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    _Provider.received = []
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/messages"
    server.shutdown()


def test_a_text_is_posted_with_its_idempotency_key_and_token(settings, provider):
    settings.SMS_URL, settings.SMS_TOKEN = provider, "token-1"
    HTTPSMSBackend().send(to="+15550100", body="A concern needs you now.", key="page-7")
    assert _Provider.received == [
        {"body": {"to": "+15550100", "body": "A concern needs you now."}, "key": "page-7", "auth": "Bearer token-1"}
    ]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "sms-gateway"])
def test_an_sms_url_that_is_not_http_is_refused_before_anything_is_read(settings, url):
    settings.SMS_URL = url
    with pytest.raises(ValueError, match="http or https"):
        HTTPSMSBackend().send(to="+15550100", body="A concern needs you now.", key="page-7")
