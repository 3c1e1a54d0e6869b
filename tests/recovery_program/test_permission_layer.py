"""Views, template tags and tasks reach protected records only through each app's permissions.py."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["staff", "patients", "coaching", "supervision", "referrals", "recovery_program", "workspace"]
PROTECTED = [
    "Patient",
    "Child",
    "ChildCustody",
    "Pregnancy",
    "CoachAssignment",
    "Consent",
    "StatusChange",
    "AccessLog",
    "BreakGlass",
    "CoverGrant",
]
DIRECT_QUERY = re.compile(r"\b(" + "|".join(PROTECTED) + r")\.objects\b")


def _modules():
    for app in APPS:
        for name in ("views.py", "tasks.py", "filters.py", "context_processors.py"):
            path = ROOT / app / name
            if path.exists():
                yield path
        for package in ("views", "templatetags"):
            if (ROOT / app / package).is_dir():
                yield from (ROOT / app / package).glob("*.py")


def test_views_and_tasks_never_query_protected_models_directly():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _modules()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if DIRECT_QUERY.search(line)
    ]
    assert offenders == [], "Query through the app's permissions.py instead:\n" + "\n".join(offenders)


def test_the_check_finds_a_direct_query():
    assert DIRECT_QUERY.search("patients = Patient.objects.filter(program=program)")


def test_django_guardian_is_imported_only_by_the_permission_layer_and_services():
    allowed = {"permissions.py", "services.py", "models.py", "settings.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name not in allowed and "guardian" in path.read_text()
    ]
    assert offenders == []


def test_views_and_templates_ask_the_permission_layer_not_django_permissions_directly():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _modules()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "has_perm(" in line
    ]
    offenders += [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if re.search(r"\bperms\.|role(\.value)?\s*==", path.read_text())
    ]
    assert offenders == [], "Ask the app's permissions.py (a context value) instead:\n" + "\n".join(offenders)
