"""The API's documentation pages (/docs: Swagger UI, /redoc: ReDoc), served offline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.adapters.http.browser import chromium, needs_chromium
from tests.adapters.http.conftest import TOKEN, Serve, bearer

PAGES = ("/docs", "/redoc")
#: Attributes of the pages that name a URL the browser loads.
URL_ATTRIBUTES = {"src", "href", "data-openapi-url"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


def fetch_page_and_assets(client: httpx.Client, base: str, page: str) -> dict[str, httpx.Response]:
    """The page, then every URL it references, each checked to stay on this server."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.text)
    assert response.headers["content-type"].startswith("text/html")
    fetched = {page: response}
    refs = references(response.text)
    assert any(ref.endswith(".js") for ref in refs), refs
    for ref in refs:
        if ref.startswith("data:"):
            continue
        url = urljoin(base + page, ref)
        assert urlsplit(url).netloc == urlsplit(base).netloc, f"{page} loads {ref} from elsewhere"
        fetched[ref] = client.get(url)
    return fetched


@pytest.mark.parametrize("page", PAGES)
def test_docs_pages_and_every_asset_come_from_this_server(serve: Serve, page: str) -> None:
    running = serve()
    fetched = fetch_page_and_assets(running.client, running.url, page)
    for ref, response in fetched.items():
        assert response.status_code == 200, (ref, response.status_code)
        if ref != "/openapi.json":  # the page and its files are never sniffed
            assert response.headers["x-content-type-options"] == "nosniff", ref
    types = {ref: r.headers["content-type"] for ref, r in fetched.items()}
    assert any("javascript" in t for t in types.values()), types
    if page == "/docs":
        assert any(t.startswith("text/css") for t in types.values()), types
    assert any(t.startswith("application/json") for t in types.values()), types  # the spec
    csp = fetched[page].headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # no inline script, no CDN
    assert "<script>" not in fetched[page].text  # every script is a file (CSP: 'self')


def test_the_redoc_page_lets_only_its_own_styles_in(serve: Serve) -> None:
    running = serve()
    first, second = (running.client.get("/redoc") for _ in range(2))
    pattern = r"style-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'"
    nonces = [re.search(pattern, r.headers["content-security-policy"]) for r in (first, second)]
    assert all(nonces), [r.headers["content-security-policy"] for r in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0][1] != nonces[1][1]  # fresh for every answer
    assert f'nonce="{nonces[0][1]}"' in first.text  # handed to the page's script


def test_with_a_token_the_pages_open_but_the_document_stays_protected(serve: Serve) -> None:
    running = serve(token=TOKEN)
    for page in PAGES:
        fetched = fetch_page_and_assets(running.client, running.url, page)
        statuses = {ref: r.status_code for ref, r in fetched.items()}
        assert statuses.pop("/openapi.json") == 401, statuses  # the page asks for the token
        assert set(statuses.values()) == {200}, statuses
    assert running.client.get("/openapi.json", headers=bearer()).status_code == 200


def test_the_docs_routes_stay_out_of_the_api_document(serve: Serve) -> None:
    spec = serve().client.get("/openapi.json").json()
    assert not any(path.startswith(("/docs", "/redoc")) for path in spec["paths"])
    assert serve().client.get("/docs/oauth2-redirect").status_code == 404  # no OAuth2 here


# ------------------------------------------------------------------ in a browser

#: Collects what the Content-Security-Policy refused, before any script of the page runs.
_WATCH_CSP = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile ? new URL(event.sourceFile).pathname : "";
  window.__refused.push(`${event.violatedDirective} ${event.blockedURI} ${where}`.trim());
});
"""


@pytest.fixture()
def browser() -> Iterator[Any]:
    driver = chromium(1280, 900)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH_CSP})
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def count(driver: Any, selector: str) -> int:
    return int(driver.execute_script(f"return document.querySelectorAll({selector!r}).length"))


def hosts(driver: Any, *, loaded: bool) -> set[str]:
    """The hosts the page asked for anything (scripts, styles, images, fetches), or got it from.

    A request the Content-Security-Policy refused is listed with status 0: it never left.
    """
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => [e.name, e.responseStatus])"
    )
    return {
        urlsplit(name).netloc
        for name, status in entries
        if not name.startswith("data:") and (status > 0 or not loaded)
    }


OPERATIONS = 17  # tests/adapters/http/test_app.py ENDPOINTS
#: What the policy refuses ReDoc, and why that is fine: the style of its custom scroll bars,
#: injected before ReDoc takes the nonce (the page uses native scroll bars), and the Redocly
#: logo of its footer, which it would load from Redocly's CDN (refused: nothing leaves).
REDOC_REFUSALS = {
    "style-src-elem inline /docs/assets/redoc.standalone.js",
    "img-src https://cdn.redoc.ly/redoc/logo-mini.svg",
}


def page(running: Any, path: str) -> str:
    return urljoin(running.url, path)


@needs_chromium
def test_swagger_ui_renders_offline_under_the_policy(serve: Serve, browser: Any) -> None:
    running = serve()
    browser.get(page(running, "/docs"))
    wait(browser, lambda d: count(d, ".opblock") >= OPERATIONS)
    assert count(browser, ".opblock") == OPERATIONS
    assert "Analyse one message" in browser.page_source
    assert browser.execute_script("return window.__refused") == []
    assert hosts(browser, loaded=False) == {urlsplit(running.url).netloc}
    # Swagger UI's own styles apply (its stylesheet came from this server)
    colour = browser.execute_script(
        "return getComputedStyle(document.querySelector('.opblock-summary-method')).color"
    )
    assert colour == "rgb(255, 255, 255)", colour


@needs_chromium
def test_redoc_renders_offline_under_the_policy(serve: Serve, browser: Any) -> None:
    running = serve()
    browser.get(page(running, "/redoc"))
    wait(browser, lambda d: count(d, "[data-section-id^='operation/']") >= OPERATIONS)
    assert "Analyse one message" in browser.page_source
    assert set(browser.execute_script("return window.__refused")) <= REDOC_REFUSALS
    here = urlsplit(running.url).netloc
    assert hosts(browser, loaded=True) == {here}
    assert hosts(browser, loaded=False) <= {here, "cdn.redoc.ly"}  # the refused logo
    rules = browser.execute_script(
        "return [...document.querySelectorAll('style[data-styled]')]"
        ".map((s) => s.sheet.cssRules.length)"
    )
    assert rules and min(rules) > 100, rules  # ReDoc's own styles were let in
    # ReDoc's styles (injected at run time) were let in by the nonce: the menu is laid out
    width = browser.execute_script(
        "return document.querySelector('.menu-content').getBoundingClientRect().width"
    )
    assert 150 < width < 400, width


@needs_chromium
def test_the_docs_ask_for_the_token_and_try_it_out_sends_it(serve: Serve, browser: Any) -> None:
    running = serve(token=TOKEN)
    browser.get(page(running, "/docs"))
    wait(browser, lambda d: _alert(d) is not None)
    alert = browser.switch_to.alert
    alert.send_keys(TOKEN)
    alert.accept()
    wait(browser, lambda d: count(d, ".opblock") >= OPERATIONS)
    assert browser.execute_script("return sessionStorage.getItem('moodmoji.token')") == TOKEN
    status = browser.execute_async_script(
        """
        const done = arguments[0];
        window.ui.fn.fetch({url: "/metrics", method: "GET", headers: {},
                            requestInterceptor: window.ui.getConfigs().requestInterceptor})
          .then((r) => done(r.status), (e) => done(e.status || String(e)));
        """
    )
    assert status == 200  # "Try it out" carries the token the page was given
    browser.get(page(running, "/redoc"))  # the same tab keeps it: no second prompt
    wait(browser, lambda d: count(d, "[data-section-id^='operation/']") >= OPERATIONS)
    assert set(browser.execute_script("return window.__refused")) <= REDOC_REFUSALS


def _alert(driver: Any) -> Any:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return driver.switch_to.alert
    except NoAlertPresentException:
        return None
