from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import expect

from tests.conftest import CHROMIUM

# A phone held upright.
PHONE = {"width": 390, "height": 844}

# CI runs the suite on two cores, several times in a row: an answer may take longer than Playwright's 5 seconds
# there (an autosave waits 1.5 s after the last key, then a busy server answers). A passing check does not wait.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Without the service worker that keeps the coach's two forms (workspace/offline.py): a page it controls
    # fetches through it, out of reach of page.route. tests/browser/test_logging_with_no_signal.py allows it.
    return {
        **browser_context_args,
        "viewport": PHONE,
        "is_mobile": True,
        "has_touch": True,
        "service_workers": "block",
    }


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(page):
    """Every browser test also checks that nothing on its pages broke the Content-Security-Policy."""
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    yield
    assert violations == []


@pytest.fixture(autouse=True)
def _answered_before_the_database_is_emptied(page):
    """A request the server is still answering when a test ends (an autosave, a page loading) would race the flush
    that empties the database after it: a deadlock in CI. Let the page's requests finish, then leave the page."""
    yield
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=10_000)
        page.goto("about:blank")
