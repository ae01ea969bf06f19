"""Browser tests: Debian's headless Chromium driven by Playwright, against `suyuan serve`.

Playwright's own browser download is never used (`executable_path`); CI
installs Debian's `chromium` (.ci/run). A failing test leaves a screenshot of
the page in the artifacts directory (`SUYUAN_TEST_ARTIFACTS`, default
<tmp>/suyuan-artifacts).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.browser import shop

ARTIFACTS = Path(os.environ.get("SUYUAN_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "suyuan-artifacts")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    if not Path(shop.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {shop.CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"browser tests: {shop.CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=shop.CHROMIUM, args=shop.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def site(db_url, tmp_path):  # noqa: ANN001, ANN201
    """The real server on this engine, stocked by its HTTP API; yields (base URL, stock)."""
    data = tmp_path / "data"
    data.mkdir()
    with shop.server(db_url, data) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            stock = shop.stock(client, shop.cast(db_url))
            for key in (stock.item, stock.recalled):
                shop.wait_logged(client, key)
        yield base, stock


@pytest.fixture
def page(browser, site, request):  # noqa: ANN001, ANN201
    """A phone-sized page that records every request; screenshot to ARTIFACTS if the test fails."""
    context = browser.new_context(viewport=shop.PHONE, locale="zh-CN")
    pg = context.new_page()
    pg.requests = []
    pg.on("request", lambda r: pg.requests.append(r.url))
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", request.node.name) + ".png")
        pg.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failing page: {path}")
    context.close()
