"""Playwright fixtures: Debian's Chromium, headless, one fresh browser context per test.

Every test marked ``browser`` is skipped, with the reason shown in the
test summary, on a machine without /usr/bin/chromium.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS_DIR = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# Playwright's sync API runs an event loop in this thread, and Django refuses database access
# from a thread with a running loop unless told the code is deliberately synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# A page's first visit renders its image renditions, which takes seconds on a busy machine.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM}, which is missing")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request):
    """Each test that asks for it runs at desktop (1280x900) and phone (390x844) widths."""
    return request.param


@pytest.fixture
def page(browser, viewport):
    """A page in a fresh browser context (no cookies) at the test's viewport.

    The site must never reach the internet: any request to a host other than the live server
    fails the test.
    """
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="en-GB")
    outside_requests = []

    def refuse_outside(route):
        outside_requests.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(("http://localhost", "data:")), refuse_outside)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    yield tab
    context.close()
    assert outside_requests == [], f"the page asked for outside resources: {outside_requests}"


LOAD_EVERY_PICTURE = """() => Promise.race([
    Promise.all([...document.images].map((picture) => {
        picture.loading = "eager";
        return picture.complete ? null : new Promise((done) => {
            picture.addEventListener("load", done);
            picture.addEventListener("error", done);
        });
    })),
    new Promise((done) => setTimeout(done, 5000)),
])"""


@pytest.fixture
def screenshot(page, viewport):
    """Save a full-page screenshot as tests/artifacts/screenshots/<name>-<viewport>.png."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)

    def take(name):
        # Pictures below the fold load lazily, so a full-page shot would show them as empty
        # boxes: load every one first (at most a few seconds).
        page.evaluate(LOAD_EVERY_PICTURE)
        path = SCREENSHOTS_DIR / f"{name}-{viewport}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
