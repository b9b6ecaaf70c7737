"""The pages in a real browser: Debian's headless Chromium driven by Playwright.

Screenshots land in tests/artifacts/ (git-ignored): open them with any image viewer after a run.
Skipped only when /usr/bin/chromium is missing outside CI; in CI (`CI` set) a missing browser fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_pages import page_app, serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian chromium is not installed (make install adds it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(page_app(tmp_path_factory.mktemp("browser") / "store")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    new_page = context.new_page()
    yield new_page
    context.close()


def test_switching_language_changes_the_labels(page: Page, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base_url + "/id/site/shusha-fortress")
    expect(page.locator("h1")).to_have_text("Shusha Fortress")
    page.screenshot(path=str(ARTIFACTS / "site-page-en.png"), full_page=True)
    page.locator('.langs a[data-lang="ru"]').click()
    expect(page.locator("h1")).to_have_text("Шушинская крепость")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.screenshot(path=str(ARTIFACTS / "site-page-ru.png"), full_page=True)
    page.goto(base_url + "/id/place/shusha")  # the cookie keeps the choice
    expect(page.locator("h1")).to_have_text("Шуша")


def test_an_example_query_runs_in_the_query_ui(page: Page, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base_url + "/query")
    expect(page.locator(".yasqe")).to_be_visible()
    page.select_option("#example-picker", index=1)
    page.locator(".yasqe_queryButton").click()
    rows = page.locator(".yasr table tbody tr")
    expect(rows.first).to_be_visible(timeout=30_000)
    # The first example's expected result (header + rows, SPARQL TSV) gives the exact row count.
    expected = ROOT / "queries" / "001-sites-by-type-and-place.expected.tsv"
    expected_rows = len(expected.read_text(encoding="utf-8").splitlines()) - 1
    expect(rows).to_have_count(expected_rows)
    page.screenshot(path=str(ARTIFACTS / "query-ui-results.png"), full_page=True)


def test_search_in_another_script_lands_on_the_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/sites")
    page.fill("#q", "Շուշի")
    page.keyboard.press("Enter")
    page.locator('.search-results a[href="/id/place/shusha"]').click()
    expect(page).to_have_url(base_url + "/id/place/shusha")
    expect(page.locator("h1")).to_have_text("Shusha")
