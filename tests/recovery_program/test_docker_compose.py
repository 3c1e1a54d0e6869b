from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_names_the_production_services_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in set(services) - {"migrate"}:  # it runs once and ends
        assert "healthcheck" in services[name], f"{name} has no health check"
    # web, worker and beat run the one image of the app.
    assert services["web"]["build"] == services["worker"]["build"] == services["beat"]["build"]
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert set(compose["volumes"]) >= {"pgdata", "media"}


def test_migrations_run_as_the_owner_and_the_app_as_a_role_that_only_reads_and_writes_rows():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://recovery:")
    assert "grant_app_role recovery_app" in " ".join(migrate["command"])
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://recovery_app:"), name
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(services[name]["command"]), name
