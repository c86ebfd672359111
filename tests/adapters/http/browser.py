"""Headless Debian Chromium through selenium, for the page and report tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

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


def chromium(width: int = 1280, height: int = 900, *, mobile: bool = False):  # type: ignore[no-untyped-def]
    """A headless Chromium showing a ``width`` x ``height`` viewport.

    ``mobile`` emulates a phone's screen: the page's viewport meta tag applies and scroll bars
    are drawn over the content instead of taking room beside it.
    """
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
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
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


#: The controls of the page's top bar, which must neither overlap nor be cut off.
TOP_BAR = (".brand .logo", ".brand .name", ".brand .tagline", ".platform", "#new-chat", "#status")

_LAYOUT_PROBE = """
const topBar = arguments[0];
const root = document.scrollingElement;
const width = document.documentElement.clientWidth;
const height = document.documentElement.clientHeight;
const name = (e) => {
  const classes = typeof e.className === "string" ? e.className.trim().split(/\\s+/) : [];
  return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes.map((c) => "." + c).join("");
};
const shown = (e) => {
  const box = e.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility === "visible";
};
const outside = [], sideways = [];
for (const e of document.body.querySelectorAll("*")) {
  if (!shown(e)) continue;
  const box = e.getBoundingClientRect();
  if (box.left < -0.5 || box.right > width + 0.5) {
    outside.push(`${name(e)} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
  }
  const scrolls = ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  if (scrolls && e.scrollWidth > e.clientWidth + 1) {
    sideways.push(`${name(e)} holds ${e.scrollWidth} px in ${e.clientWidth}`);
  }
}
const bar = topBar.flatMap((s) => [...document.querySelectorAll(s)]).filter(shown);
const overlaps = [], cut = [];
for (const [i, a] of bar.entries()) {
  const p = a.getBoundingClientRect();
  if (!a.matches(".tagline") && a.scrollWidth > a.clientWidth + 1) {
    cut.push(`${name(a)} shows ${a.clientWidth} of ${a.scrollWidth} px`);
  }
  for (const b of bar.slice(i + 1)) {
    const q = b.getBoundingClientRect();
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 0.5 && y > 0.5) {
      overlaps.push(`${name(a)} and ${name(b)} (${Math.round(x)} x ${Math.round(y)} px)`);
    }
  }
}
const pane = document.getElementById("messages").getBoundingClientRect();
const input = document.getElementById("input").getBoundingClientRect();
return {
  width, height,
  scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
  outside, sideways, overlaps, cut,
  pane: {top: pane.top, height: pane.height},
  input: {width: input.width, height: input.height, bottom: input.bottom},
};
"""


def layout(driver) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """How the page fits its viewport, measured in the browser.

    ``width`` (less any scroll bar) and ``height`` of the viewport; ``scrollWidth`` and
    ``clientWidth`` of the document's scrolling element; ``outside``: every shown element
    whose box leaves the viewport to the left or right; ``sideways``: elements that scroll
    sideways inside; ``overlaps``: pairs of top-bar controls (:data:`TOP_BAR`) drawn over each
    other; ``cut``: top-bar controls whose content is cut off; ``pane``: the message list's top
    and height; ``input``: the message box's size and bottom edge.
    """
    result: dict[str, Any] = driver.execute_script(_LAYOUT_PROBE, list(TOP_BAR))
    return result
