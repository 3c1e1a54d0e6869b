from __future__ import annotations

import multiprocessing
import runpy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_names_the_production_services_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "minio",
        "object-store-setup",
        "migrate",
        "web",
        "worker",
        "worker-email",
        "worker-texts",
        "beat",
    }
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in set(services) - {"migrate", "object-store-setup"}:  # they run once and end
        assert "healthcheck" in services[name], f"{name} has no health check"
    # web, the workers and beat run the one image of the app.
    assert len({services[name]["build"] for name in ("web", "worker", "worker-email", "worker-texts", "beat")}) == 1
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert set(compose["volumes"]) >= {"pgdata", "miniodata"}


def test_migrations_run_as_the_owner_and_the_app_as_a_role_that_only_reads_and_writes_rows():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://recovery:")
    assert "grant_app_role recovery_app" in " ".join(migrate["command"])
    for name in ("web", "worker", "worker-email", "worker-texts", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://recovery_app:"), name
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(services[name]["command"]), name


def test_each_queue_has_a_worker_of_its_own():
    """Texts, e-mails and the sweep each have their own queue (settings.CELERY_TASK_ROUTES) and workers: a slow text
    provider holds up neither the e-mail pages nor the sweep. Compose runs with CELERY_QUEUE unset: "celery"."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    taken = {}
    for name in ("worker", "worker-email", "worker-texts"):
        command = services[name]["command"]
        taken[name] = set(command[command.index("-Q") + 1].split(","))
    assert taken == {
        "worker": {"celery", "celery.sweep"},
        "worker-email": {"celery.email"},
        "worker-texts": {"celery.sms"},
    }


def test_the_queues_all_start_with_the_runs_own_name(settings):
    """`make test` gives each run its own CELERY_QUEUE; every queue (and every route) starts with it."""
    queue = settings.CELERY_QUEUE
    names = {q.name for q in settings.CELERY_TASK_QUEUES}
    assert names == {queue, f"{queue}.sms", f"{queue}.email", f"{queue}.sweep"}
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} <= names


def test_the_web_container_runs_two_gunicorn_workers_per_core_and_one_unless_told(monkeypatch):
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert "--workers" not in services["web"]["command"]  # gunicorn.conf.py decides
    assert "--config gunicorn.conf.py" in " ".join(services["web"]["command"])
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 4)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 9
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 3


def test_the_image_serves_with_gunicorn_conf_py():
    """The image's own command (what runs when compose or another orchestrator gives none) reads the same settings."""
    command = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    assert "gunicorn" in command
    assert '"--config", "gunicorn.conf.py"' in command
    assert "--workers" not in command


APP_SERVICES = ("web", "worker", "worker-email", "worker-texts", "beat")


def test_the_app_keeps_private_files_in_the_object_store_not_on_a_volume_of_its_own():
    """Any web node serves what another saved: the files are in MinIO's private bucket, created (with the app's own
    user, kept to that bucket) by a one-shot service the app waits for; no app service mounts a volume for files."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["minio"]["image"].startswith("minio/minio:")
    assert "MINIO_KMS_SECRET_KEY" in services["minio"]["environment"]  # so it can encrypt what it keeps
    setup = services["object-store-setup"]
    assert setup["depends_on"]["minio"]["condition"] == "service_healthy"
    script = "\n".join(setup["command"])
    for step in ("mc mb --ignore-existing", "mc anonymous set none", "mc encrypt set sse-s3", "mc admin policy attach"):
        assert step in script, step
    for name in APP_SERVICES:
        service = services[name]
        environment = service["environment"]
        assert environment["OBJECT_STORAGE_URL"].endswith("http://minio:9000}"), name
        assert environment["OBJECT_STORAGE_BUCKET"], name
        assert "PRIVATE_MEDIA_ROOT" not in environment, name
        assert not service.get("volumes"), name
        assert service["depends_on"]["object-store-setup"]["condition"] == "service_completed_successfully", name
