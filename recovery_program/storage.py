"""Files that must never be served by the web server: training certificates, signed consents, service agreements.
Sent only by a view that asked the permission layer first (`uploads.document_response`), never by a public address.

Where they are kept follows the settings, read at each use (tests point them elsewhere):
- OBJECT_STORAGE_BUCKET set: a private bucket of an S3-compatible object store (django-storages over boto3), so
  that every web node reads what any other saved and none keeps a file on its own disk. Each object is written
  private and encrypted by the store (server-side encryption); it is read back through the app and streamed to the
  one who asked, never handed out as a presigned address that could be passed on.
- otherwise: the folder PRIVATE_MEDIA_ROOT, outside the web root (`make run`, the tests, a single-node install).
"""

from __future__ import annotations

import functools
import os

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateFolderStorage(FileSystemStorage):
    """Reads PRIVATE_MEDIA_ROOT each time, so the location follows the settings (tests point it elsewhere)."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


class PrivateObjectStorage(S3Storage):
    """A private bucket: objects written private and encrypted at rest, read as a stream, with no address to give."""

    def _open(self, name, mode="rb"):
        if mode != "rb":
            return super()._open(name, mode)
        # Streamed from the store to the response in the view's chunks: nothing is spooled to the node's memory or
        # disk first (S3File would download the whole object before the first byte is sent).
        key = self._normalize_name(clean_name(name))
        try:
            found = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except self.connection.meta.client.exceptions.NoSuchKey as error:
            raise FileNotFoundError(f"No such file: {name}") from error
        stream = File(found["Body"], name)
        stream.size = found["ContentLength"]
        return stream

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files have no address: they are sent by the app's checked view.")


@functools.cache
def _object_storage(
    bucket: str, endpoint: str, region: str, access_key: str, secret_key: str, encryption: str, kms_key_id: str
) -> PrivateObjectStorage:
    parameters = {"ServerSideEncryption": encryption}
    if kms_key_id:
        parameters["SSEKMSKeyId"] = kms_key_id
    return PrivateObjectStorage(
        bucket_name=bucket,
        endpoint_url=endpoint or None,
        region_name=region or None,
        access_key=access_key or None,
        secret_key=secret_key or None,
        default_acl="private",
        object_parameters=parameters,
        file_overwrite=False,  # a signed form is never replaced in place: a name taken gets another
        querystring_auth=True,
        addressing_style="path",  # MinIO and most self-hosted stores; AWS accepts it too
        signature_version="s3v4",
    )


def current_private_storage() -> Storage:
    """The storage the settings name now: the object store when OBJECT_STORAGE_BUCKET is set, else the folder."""
    if settings.OBJECT_STORAGE_BUCKET:
        return _object_storage(
            settings.OBJECT_STORAGE_BUCKET,
            settings.OBJECT_STORAGE_URL,
            settings.OBJECT_STORAGE_REGION,
            settings.OBJECT_STORAGE_ACCESS_KEY_ID,
            settings.OBJECT_STORAGE_SECRET_ACCESS_KEY,
            settings.OBJECT_STORAGE_ENCRYPTION,
            settings.OBJECT_STORAGE_KMS_KEY_ID,
        )
    return PrivateFolderStorage()


class PrivateStorage(Storage):
    """What the FileFields hold (made once, at import): hands each call to the storage the settings name when a file
    is saved or read."""

    base_url = None  # wherever they are kept, private files have no public address

    def open(self, name, mode="rb"):
        return current_private_storage().open(name, mode)

    def save(self, name, content, max_length=None):
        return current_private_storage().save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return current_private_storage().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return current_private_storage().get_available_name(name, max_length=max_length)

    def delete(self, name):
        current_private_storage().delete(name)

    def exists(self, name):
        return current_private_storage().exists(name)

    def listdir(self, path):
        return current_private_storage().listdir(path)

    def size(self, name):
        return current_private_storage().size(name)

    def path(self, name):
        return current_private_storage().path(name)

    def url(self, name):
        return current_private_storage().url(name)

    def get_modified_time(self, name):
        return current_private_storage().get_modified_time(name)


def private_storage() -> Storage:
    return PrivateStorage()
