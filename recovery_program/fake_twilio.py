"""A local stand-in for Twilio's Messages API, for tests and `make run` (never production). It imports nothing of
the app, so that it runs on its own.

It speaks the wire format `recovery_program.twilio` uses: `POST /2010-04-01/Accounts/{sid}/Messages.json`,
form-encoded, HTTP Basic auth (the account SID and auth token); 201 with JSON `{"sid": "SM...", "status":
"queued", ...}`; errors as Twilio gives them (`{"code", "message", "status", "more_info"}`). It can be told to
fail (`fail_with(500)`, `fail_with(429)`, `fail_with(400, code=21211)`), and it posts status callbacks signed
as Twilio signs them (`receipt()` builds one, `post_receipt()` sends it).

    python -m recovery_program.fake_twilio --port 8026   # TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the
                                                          # environment; each text is receipted sent, then delivered
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERRORS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
    21211: (21211, "The 'To' number is not a valid phone number."),
    21610: (21610, "Attempt to send to unsubscribed recipient"),
}


@dataclass
class Receipt:
    url: str
    params: dict[str, str]
    signature: str

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"  # noqa: S105 (the fake's own, for tests)
    auto_receipts: bool = False  # post "sent" then "delivered" for each text accepted (for `make run`)
    messages: list[dict[str, str]] = field(default_factory=list)  # each text accepted, with its sid
    tried: list[str] = field(default_factory=list)  # the number (To) of every POST of a message, accepted or not
    _failure: tuple[int, int | None, str | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The API base (TWILIO_API_BASE)."""
        if self._server is None:
            raise RuntimeError("start() it first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._answer(self)

            def log_message(self, *args):  # the fake logs nothing: a request carries a number and a text
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fail_with(self, http_status: int, code: int | None = None, to: str | None = None) -> None:
        """From now on every message (or every one to the number `to`) is answered with this error (code: Twilio's,
        e.g. 21211 with a 400)."""
        self._failure = (http_status, code, to)

    def succeed(self) -> None:
        self._failure = None

    def receipt(self, sid: str, status: str, error_code: str = "") -> Receipt:
        """The status callback Twilio would post about the message `sid`, signed."""
        message = next(m for m in self.messages if m["sid"] == sid)
        params = {
            "AccountSid": self.account_sid,
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message["To"],
            "From": message.get("From", ""),
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        url = message["StatusCallback"]
        # Signed here as Twilio documents it, apart from the app's own check (recovery_program.twilio.signature).
        payload = url + "".join(name + params[name] for name in sorted(params))
        signed = base64.b64encode(hmac.new(self.auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()
        return Receipt(url, params, signed)

    def post_receipt(self, sid: str, status: str, error_code: str = "") -> int:
        """Posts the receipt to its StatusCallback address; returns the HTTP status the app answered."""
        receipt = self.receipt(sid, status, error_code)
        request = urllib.request.Request(  # noqa: S310 (the address the app itself gave)
            receipt.url,
            data=urllib.parse.urlencode(receipt.params).encode(),
            headers={"X-Twilio-Signature": receipt.signature, "Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        expected = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        length = int(handler.headers.get("Content-Length") or 0)
        fields = dict(urllib.parse.parse_qsl(handler.rfile.read(length).decode()))
        with self._lock:
            self.tried.append(fields.get("To", ""))
            failure = self._failure
        if handler.path != expected:
            return _reply(handler, 404, _error(20404, "The requested resource was not found", 404))
        if handler.headers.get("Authorization") != f"Basic {credentials}":
            return _reply(handler, 401, _error(20003, "Authenticate", 401))
        if failure and failure[2] in (None, fields.get("To")):
            status, code, _to = failure
            code = code or ERRORS.get(status, (status, ""))[0]
            return _reply(handler, status, _error(code, ERRORS.get(code, (code, "Error"))[1], status))
        if (
            not fields.get("To")
            or not fields.get("Body")
            or not (fields.get("From") or fields.get("MessagingServiceSid"))
        ):
            return _reply(handler, 400, _error(21604, "A 'To', 'Body' and 'From' are required.", 400))
        sid = "SM" + secrets.token_hex(16)
        with self._lock:
            self.messages.append({**fields, "sid": sid})
        _reply(handler, 201, {"sid": sid, "status": "queued", "to": fields["To"], "account_sid": self.account_sid})
        if self.auto_receipts and fields.get("StatusCallback"):
            threading.Thread(target=self._receipts_later, args=(sid,), daemon=True).start()

    def _receipts_later(self, sid: str) -> None:
        for status in ("sent", "delivered"):
            time.sleep(1)
            try:
                self.post_receipt(sid, status)
            except OSError as error:  # the app is not up (yet): a real provider would try later; the fake gives up
                print(f"Fake Twilio: the {status} receipt of {sid} could not be posted ({type(error).__name__}).")
                return


def _error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _reply(handler: BaseHTTPRequestHandler, status: int, answer: dict) -> None:
    body = json.dumps(answer).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8026)
    port = parser.parse_args().port
    fake = FakeTwilio(
        account_sid=os.environ["TWILIO_ACCOUNT_SID"], auth_token=os.environ["TWILIO_AUTH_TOKEN"], auto_receipts=True
    ).start(port=port)
    print(f"Fake Twilio at {fake.url}: texts are kept here, receipted sent and delivered.", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
