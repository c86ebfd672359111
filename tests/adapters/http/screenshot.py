"""Writes the README's screenshot of the web chat after a short, realistic conversation.

Usage: ``python -m tests.adapters.http.screenshot docs/images/web-chat.png`` (needs Chromium).
The server runs the default model on loopback; two suggestions are used by clicking them, as a
person would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from adapters.http.app import create_app
from adapters.http.server import BackgroundServer
from adapters.http.settings import HttpSettings
from bot.config import Config
from bot.core import MoodBot
from tests.adapters.http.browser import chromium, missing

# (speaker, text, None), or (speaker, "", words): send the first suggestion offered on the
# previous message whose text contains ``words`` ("" takes the first one offered).
CONVERSATION: list[tuple[int, str, str | None]] = [
    (0, "I got the job!!! Starting next Monday 🎉", None),
    (1, "", ""),
    (2, "Drinks on Friday to celebrate? 🍻", None),
    (0, "Honestly a bit nervous about the first day", None),
    (1, "", ""),
    (2, "Let's do pizza on Saturday then 🍕", None),
]


def _wait(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60).until(condition)


def _send(driver: Any, speaker: int, text: str, suggestion: str | None) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.find_elements(By.CSS_SELECTOR, "#speakers .speaker")[speaker].click()
    box = driver.find_element(By.ID, "input")
    if suggestion is not None:
        last = driver.find_elements(By.CSS_SELECTOR, "li.msg")[-1]
        (button,) = [
            b for b in last.find_elements(By.CSS_SELECTOR, ".suggestion") if suggestion in b.text
        ][:1]
        button.click()
        driver.find_elements(By.CSS_SELECTOR, "#speakers .speaker")[speaker].click()
    else:
        box.clear()
        box.send_keys(text)
    count = len(driver.find_elements(By.CSS_SELECTOR, "li.msg"))
    box.send_keys(Keys.ENTER)
    _wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "li.msg")) == count + 1)
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".pending"))


def take(out: Path, width: int = 1280, height: int = 900) -> None:
    """Runs the conversation and saves the screenshot to ``out``."""
    from selenium.webdriver.common.by import By

    bot = MoodBot.from_config(Config(), keep_state=False)
    with BackgroundServer(create_app(bot, HttpSettings())) as server:
        driver = chromium(width, height)
        try:
            driver.get(server.url)
            _wait(driver, lambda d: d.find_element(By.ID, "status").text == "ready")
            driver.find_element(By.ID, "add-person").click()
            for speaker, text, suggestion in CONVERSATION:
                _send(driver, speaker, text, suggestion)
            driver.find_elements(By.CSS_SELECTOR, "#speakers .speaker")[0].click()
            driver.execute_script("document.activeElement.blur()")
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    take(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
