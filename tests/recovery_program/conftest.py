from tests.object_store import _moto_server, object_store  # noqa: F401 (fixtures for this folder's tests)
