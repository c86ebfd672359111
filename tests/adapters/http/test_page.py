"""The web chat page in headless Chromium, against a real server of the real model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.adapters.http.browser import (
    COLOUR_CHECKED,
    chromium,
    emoji_colour,
    layout,
    needs_chromium,
    output_dir,
)
from tests.adapters.http.conftest import TOKEN, Serve

pytestmark = needs_chromium


@pytest.fixture()
def browser() -> Iterator[Any]:
    driver = chromium(1280, 900)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Any, timeout: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def say(driver: Any, speaker: int, text: str) -> Any:
    """Types ``text`` as the ``speaker``-th person; returns the message's element once analysed."""
    from selenium.webdriver.common.keys import Keys

    css(driver, "#speakers .speaker")[speaker].click()
    before = len(css(driver, "li.msg"))
    box = css(driver, "#input")[0]
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(css(d, "li.msg")) == before + 1)
    item = css(driver, "li.msg")[-1]
    wait(driver, lambda d: not item.find_elements("css selector", ".pending"))
    return item


def test_two_people_chat_and_use_a_suggestion(serve: Serve, browser: Any) -> None:
    running = serve()
    browser.get(running.url)
    wait(browser, lambda d: css(d, "#status")[0].text == "ready")
    assert [c.text for c in css(browser, "#speakers .speaker")] == ["A\nAlex", "S\nSam"]

    first = say(browser, 0, "We won the final!!")
    assert first.find_element("css selector", ".author").text == "Alex"
    assert first.find_element("css selector", ".bubble").text == "We won the final!!"
    reactions = [r.text for r in first.find_elements("css selector", ".reaction")]
    assert 1 <= len(reactions) <= 3 and reactions[0] in {"🎉", "🥳", "🏆", "🙌"}, reactions
    # the chip shows the value that passed the threshold (the trigger), not only its own score
    chip = first.find_elements("css selector", ".reaction")[0]
    title, gate = chip.get_attribute("title"), float(chip.get_attribute("data-gate"))
    assert title.startswith("reaction: candidate score "), title
    assert f"gate: reader would react {gate:.2f} ≥ threshold 0.85 (passed)" in title, title
    moods = [m.text for m in first.find_elements("css selector", ".chip.mood")]
    assert moods and moods[0].startswith("joy ")

    second = say(browser, 1, "I'm so nervous about the interview tomorrow")
    assert second.find_element("css selector", ".author").text == "Sam"
    shown = [r.text for r in second.find_elements("css selector", ".reaction")]
    # a friend answers nerves with luck and support, never with laughter or a party
    assert shown and shown[0] in {"🤞", "🍀", "💪", "🙏", "🫂"}, shown
    assert not {"😂", "🎉", "🥳", "💀"} & set(shown)
    assert second.find_elements("css selector", ".chip.mood")[0].text.startswith("fear ")

    suggestion = second.find_elements("css selector", ".suggestion")[0]
    offered = suggestion.text
    assert offered
    suggestion.click()
    assert css(browser, "#input")[0].get_attribute("value") == offered
    # Sam wrote it, so the reply is typed as someone else
    checked = css(browser, '#speakers .speaker[aria-checked="true"]')
    assert checked[0].text.endswith("Alex")

    points = css(browser, "#mood-chart circle.point")
    assert len(points) == 2
    assert [p.get_attribute("data-mood") for p in points] == ["joy", "fear"]
    assert float(points[0].get_attribute("cy")) < float(points[1].get_attribute("cy"))
    assert len(css(browser, "#mix .mix-row")) == 3  # everyone, Alex, Sam

    css(browser, "#add-person")[0].click()
    assert css(browser, "#speakers .speaker")[2].text.endswith("Jordan")
    third = say(browser, 2, "Thank you so much for the help yesterday")
    assert third.find_element("css selector", ".author").text == "Jordan"
    assert third.find_element("css selector", ".bubble").text == (
        "Thank you so much for the help yesterday"
    )
    assert len(css(browser, "#mood-chart circle.point")) == 3

    for emoji in COLOUR_CHECKED:  # drawn in colour, not as black-and-white outlines
        drawn = emoji_colour(browser, "li.msg .bubble", emoji)
        assert drawn["coloured"] > 500, (emoji, drawn)
    browser.save_screenshot(str(output_dir() / "web-chat.png"))
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_the_page_asks_for_the_token(serve: Serve, browser: Any) -> None:
    running = serve(token=TOKEN)
    browser.get(running.url)  # the page itself needs no token
    from selenium.webdriver.common.keys import Keys

    box = css(browser, "#input")[0]
    box.send_keys("Happy birthday to my best friend!")
    box.send_keys(Keys.ENTER)
    dialog = css(browser, "#token-dialog")[0]
    wait(browser, lambda d: dialog.get_attribute("open") is not None)

    css(browser, "#token-input")[0].send_keys("wrong-token")
    css(browser, "#token-save")[0].click()
    wait(browser, lambda d: "refused" in css(d, "#token-reason")[0].text)

    css(browser, "#token-input")[0].send_keys(TOKEN)
    css(browser, "#token-save")[0].click()
    item = css(browser, "li.msg")[-1]
    wait(browser, lambda d: item.find_elements("css selector", ".reaction"))
    assert item.find_elements("css selector", ".reaction")[0].text == "🎂"
    assert browser.execute_script("return sessionStorage.getItem('moodmoji.token')") == TOKEN
    assert dialog.get_attribute("open") is None


#: A link of 200 characters without a place to break a line.
LONG_URL = "https://example.com/" + "0123456789abcdef" * 11 + "0123"


def assert_fits(driver: Any, when: str) -> dict[str, Any]:
    """The page fits its viewport: nothing sticks out sideways, nothing in the top bar overlaps."""
    got = layout(driver)
    assert got["scrollWidth"] <= got["clientWidth"], (when, "scrolls sideways", got)
    assert not got["outside"], (when, "outside the viewport", got["width"], got["outside"])
    assert not got["sideways"], (when, "scrolls sideways inside", got["sideways"])
    assert not got["overlaps"], (when, "top bar controls overlap", got["overlaps"])
    assert not got["cut"], (when, "top bar controls cut off", got["cut"])
    assert got["pane"]["height"] >= 0.5 * got["height"], (when, "message pane", got["pane"])
    assert got["input"]["width"] >= 200, (when, "message box", got["input"])
    assert got["input"]["bottom"] <= got["height"], (when, "message box below the fold", got)
    return got


@pytest.mark.parametrize(
    ("width", "height", "mobile"),
    [pytest.param(390, 844, True, id="phone"), pytest.param(1400, 900, False, id="desktop")],
)
def test_the_page_fits_phones_and_desktops(
    serve: Serve, width: int, height: int, mobile: bool
) -> None:
    running = serve()
    driver = chromium(width, height, mobile=mobile)
    try:
        driver.get(running.url)
        wait(driver, lambda d: css(d, "#status")[0].text == "ready")
        assert_fits(driver, "empty")

        first = say(driver, 0, "We won the final!!")
        assert first.find_elements("css selector", ".reaction")
        say(driver, 1, "I'm so nervous about the interview tomorrow")
        long = say(driver, 0, f"look at this: {LONG_URL}")
        assert long.find_element("css selector", ".bubble").text == f"look at this: {LONG_URL}"
        css(driver, "#add-person")[0].click()
        assert_fits(driver, "after three messages")

        chart = css(driver, "#mood-chart")[0]  # the mood panels: beside the chat or below it
        driver.execute_script("arguments[0].scrollIntoView()", chart)
        shown = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", chart)
        assert shown["width"] >= 300 and 0 <= shown["top"] < height, shown
        assert_fits(driver, "mood panels in view")

        drawn = emoji_colour(driver, "li.msg .reaction", "🎉")
        assert drawn["coloured"] > 500, drawn
        driver.save_screenshot(str(output_dir() / f"web-chat-{width}x{height}.png"))
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
