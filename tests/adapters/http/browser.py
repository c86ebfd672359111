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
