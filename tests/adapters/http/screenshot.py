"""Writes the README's screenshots of the web chat after a short, realistic conversation.

Usage: ``python -m tests.adapters.http.screenshot docs/images`` (needs Chromium) writes
``web-chat.png`` (a desktop, 1400 x 900) and ``web-chat-phone.png`` (a phone, 390 x 844) there.
The server runs the default model on loopback; two suggestions are used by clicking them, as a
person would. Before each picture is saved, the page is checked: it fits the screen (nothing
sticks out sideways, the top bar's controls do not overlap) and its reactions are drawn in
colour.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from moodmoji.adapters.http.app import create_app
from moodmoji.adapters.http.server import BackgroundServer
from moodmoji.adapters.http.settings import HttpSettings
from moodmoji.bot.config import Config
from moodmoji.bot.core import MoodBot
from tests.adapters.http.browser import chromium, emoji_colour, layout, missing

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


#: file name: (width, height, as a phone)
SHOTS: dict[str, tuple[int, int, bool]] = {
    "web-chat.png": (1400, 900, False),
    "web-chat-phone.png": (390, 844, True),
}


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


def _check(driver: Any) -> list[str]:
    """What is wrong with the page as shown: parts off the screen, emoji not in colour."""
    from selenium.webdriver.common.by import By

    problems = []
    fit = layout(driver)
    if fit["scrollWidth"] > fit["clientWidth"]:
        problems.append(f"the page scrolls sideways ({fit['scrollWidth']} > {fit['clientWidth']})")
    for key in ("outside", "sideways", "overlaps", "cut"):
        problems += [f"{key}: {item}" for item in fit[key]]
    if fit["pane"]["height"] < 0.5 * fit["height"]:
        problems.append(f"the message pane is {fit['pane']['height']:.0f} px tall")
    shown = {r.text for r in driver.find_elements(By.CSS_SELECTOR, "li.msg .reaction")}
    for emoji in sorted(shown):
        drawn = emoji_colour(driver, "li.msg .reaction", emoji)
        coloured = drawn["coloured"]
        if not isinstance(coloured, int) or coloured <= 500:
            problems.append(f"{emoji} is not drawn in colour: {drawn}")
    if not shown:
        problems.append("no reaction is shown")
    return problems


def take(folder: Path, shots: dict[str, tuple[int, int, bool]] = SHOTS) -> None:
    """Runs the conversation in a browser of each size and saves its screenshot in ``folder``."""
    from selenium.webdriver.common.by import By

    bot = MoodBot.from_config(Config(), keep_state=False)
    with BackgroundServer(create_app(bot, HttpSettings())) as server:
        for name, (width, height, phone) in shots.items():
            driver = chromium(width, height, mobile=phone)
            try:
                driver.get(server.url)
                _wait(driver, lambda d: d.find_element(By.ID, "status").text == "ready")
                driver.find_element(By.ID, "add-person").click()
                for speaker, text, suggestion in CONVERSATION:
                    _send(driver, speaker, text, suggestion)
                driver.find_elements(By.CSS_SELECTOR, "#speakers .speaker")[0].click()
                driver.execute_script("document.activeElement.blur()")
                problems = _check(driver)
                if problems:
                    raise RuntimeError(f"{name} ({width} x {height}): " + "; ".join(problems))
                folder.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(folder / name))
            finally:
                driver.quit()


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/images"))
    args = parser.parse_args()
    reason = missing()
    if reason:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    take(args.folder)
    for name in SHOTS:
        print(f"wrote {args.folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
