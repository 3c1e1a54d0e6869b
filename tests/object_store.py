"""An S3 endpoint for tests: moto's server, in a thread of the test process, with one private bucket.

Its address and keys are what settings would read from the environment (`as_environment`), so that a test points
the app at it either in-process (`point_settings`) or in a served process of its own."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


@dataclass(frozen=True)
class ObjectStore:
    url: str
    bucket: str
    access_key: str = "test-access-key"
    secret_key: str = "test-secret-key"  # moto accepts any key

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def as_environment(self) -> dict[str, str]:
        return {
            "OBJECT_STORAGE_URL": self.url,
            "OBJECT_STORAGE_BUCKET": self.bucket,
            "OBJECT_STORAGE_REGION": REGION,
            "OBJECT_STORAGE_ACCESS_KEY_ID": self.access_key,
            "OBJECT_STORAGE_SECRET_ACCESS_KEY": self.secret_key,
        }

    def point_settings(self, settings) -> None:
        for name, value in self.as_environment().items():
            setattr(settings, name, value)

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return [entry["Key"] for entry in listed.get("Contents", [])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def object_store(_moto_server, settings) -> ObjectStore:
    """A new empty bucket on the test S3 server, and the settings pointed at it."""
    store = ObjectStore(url=_moto_server, bucket=f"private-{uuid.uuid4().hex[:12]}")
    store.client().create_bucket(Bucket=store.bucket)
    store.point_settings(settings)
    return store
