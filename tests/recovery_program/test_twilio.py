"""Texts through Twilio's Messages API, against a local fake that speaks its wire format; and its receipts'
signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

import pytest

from recovery_program.messaging import SendFailed
from recovery_program.twilio import TwilioSMSBackend, e164, signature

KEY = "0b7a4c6e-2f0d-4d59-9a57-6a4f3e1c2b10"


def test_a_text_is_posted_form_encoded_with_basic_auth_and_its_receipt_address(fake_twilio):
    sid = TwilioSMSBackend().send(to="603-555-0177", body="A concern needs you now: http://x/1", key=KEY)
    assert sid.startswith("SM")
    assert len(sid) == 34
    assert fake_twilio.messages == [
        {
            "To": "+16035550177",
            "From": "+16035550111",
            "Body": "A concern needs you now: http://x/1",
            "StatusCallback": f"http://testserver/sms/receipts/{KEY}/",
            "sid": sid,
        }
    ]


def test_a_messaging_service_is_used_instead_of_a_number_when_set(fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)
    assert fake_twilio.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in fake_twilio.messages[0]


def test_wrong_credentials_are_refused_for_good(fake_twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(SendFailed) as refused:
        TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)
    assert (refused.value.kind, refused.value.permanent) == ("twilio-20003", True)


@pytest.mark.parametrize(
    ("http_status", "code", "kind", "permanent"),
    [
        (500, None, "twilio-20500", False),
        (503, None, "twilio-20503", False),
        (429, None, "twilio-20429", False),
        (400, 21211, "twilio-21211", True),  # not a valid phone number: trying again cannot help
        (400, 21610, "twilio-21610", True),  # she replied STOP
    ],
)
def test_a_busy_or_broken_provider_is_worth_another_try_a_refusal_is_not(
    fake_twilio, http_status, code, kind, permanent
):
    fake_twilio.fail_with(http_status, code)
    with pytest.raises(SendFailed) as failed:
        TwilioSMSBackend().send(to="+16035550177", body="A concern needs you now", key=KEY)
    assert (failed.value.kind, failed.value.permanent) == (kind, permanent)
    assert str(failed.value) == kind  # Twilio's words (which may repeat the number) are not kept


def test_a_provider_out_of_reach_is_worth_another_try(settings):
    settings.SMS_BACKEND = "recovery_program.twilio.TwilioSMSBackend"
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "AC1", "t", "+16035550100"
    with pytest.raises(OSError, match="refused"):
        TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)


@pytest.mark.parametrize("base", ["file:///etc/passwd", "ftp://example.org"])
def test_an_api_base_that_is_not_http_is_refused(settings, base):
    settings.TWILIO_API_BASE = base
    with pytest.raises(ValueError, match="http or https"):
        TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("603-555-0177", "+16035550177"),
        ("(603) 555 0177", "+16035550177"),
        ("1 603 555 0177", "+16035550177"),
        ("+44 20 7946 0958", "+442079460958"),
        ("555-0177", "555-0177"),
    ],
)
def test_numbers_are_sent_in_e164(typed, sent):
    assert e164(typed) == sent


def test_the_signature_is_twilios():
    # Twilio's documented example (https://www.twilio.com/docs/usage/webhooks/webhooks-security), computed by hand.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": ["CA1234567890ABCDE"],
        "Caller": ["+12349013030"],
        "Digits": ["1234"],
        "From": ["+12349013030"],
        "To": ["+18005551212"],
    }
    payload = url + "CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212"
    expected = base64.b64encode(hmac.new(b"12345", payload.encode(), hashlib.sha1).digest()).decode()
    assert signature(url, params, "12345") == expected == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.mark.django_db
def test_a_receipt_with_a_wrong_signature_or_none_is_refused_with_403(client, fake_twilio, post_receipt):
    sid = TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)
    assert post_receipt(sid, "delivered", signature="bm90IGl0").status_code == 403
    path = f"/sms/receipts/{KEY}/"
    assert (
        client.post(path, "MessageStatus=delivered", content_type="application/x-www-form-urlencoded").status_code
        == 403
    )
    assert post_receipt(sid, "delivered").status_code == 204  # for a key no page has: nothing to do


@pytest.mark.django_db
def test_without_an_auth_token_every_receipt_is_refused(settings, fake_twilio, post_receipt):
    sid = TwilioSMSBackend().send(to="+16035550177", body="x", key=KEY)
    settings.TWILIO_AUTH_TOKEN = ""
    assert post_receipt(sid, "delivered").status_code == 403


@pytest.mark.django_db
def test_the_receipt_address_takes_only_posts_and_only_keys(client):
    assert client.get(f"/sms/receipts/{uuid.uuid4()}/").status_code == 405
    assert client.post("/sms/receipts/12/", "a=b", content_type="application/x-www-form-urlencoded").status_code == 404
