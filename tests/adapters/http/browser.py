"""Headless Debian Chromium through selenium, for the page and report tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OUTPUT = Path(__file__).resolve().parents[3] / "test-output"


def missing() -> str | None:
    """Why Chromium cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    if not CHROMEDRIVER.exists() and shutil.which("chromedriver") is None:
        return f"{CHROMEDRIVER} is not installed (apt-get install chromium-driver)"
    return None


needs_chromium = pytest.mark.skipif(missing() is not None, reason=str(missing()))


def chromium(width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    """A headless Chromium showing a ``width`` x ``height`` viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver_path = CHROMEDRIVER if CHROMEDRIVER.exists() else shutil.which("chromedriver")
    driver = webdriver.Chrome(options=options, service=Service(str(driver_path)))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def output_dir() -> Path:
    """``test-output/`` at the repository root (git-ignored), created on demand."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


#: Emoji that system text fonts draw as black-and-white outlines when they come first.
COLOUR_CHECKED = ("😂", "😄", "😊", "😢")

_COLOUR_PROBE = """
const [selector, emoji, done] = arguments;
const element = document.querySelector(selector);
const family = getComputedStyle(element).fontFamily;
const font = `64px ${family}`;
document.fonts.load(font, emoji).then(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 96; canvas.height = 96;
  const context = canvas.getContext("2d");
  context.fillStyle = "#000";
  context.font = font;
  context.textBaseline = "top";
  context.fillText(emoji, 8, 8);
  const pixels = context.getImageData(0, 0, 96, 96).data;
  let inked = 0, coloured = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
    if (a < 128) continue;
    inked += 1;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
  }
  done({inked, coloured, family});
});
"""


def emoji_colour(driver, selector: str, emoji: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """How ``emoji`` is drawn in the font of the element at ``selector``.

    Draws it at 64 px on a canvas with the element's computed font stack and counts the inked
    pixels and, of those, the coloured ones (channels differing by more than 60): a colour
    emoji font gives hundreds, a black-and-white outline none.
    """
    result: dict[str, object] = driver.execute_async_script(_COLOUR_PROBE, selector, emoji)
    return result
