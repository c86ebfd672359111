"""``moodmoji serve`` as a real subprocess."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

TOKEN = "serve-token-9d8c7b6a"


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MOODMOJI_HTTP_TOKEN"}
    return {**env, "PYTHONIOENCODING": "utf-8", **extra}


def start(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "moodmoji.tools.cli"),
            *("--config", str(tmp_path / "config.yaml"), *args),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )


def wait_for_url(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, list[str]]:
    """Reads stdout until the 'serving on URL' line; returns the URL and the lines read."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        line = lines.get(timeout=timeout)
        assert line is not None, f"serve ended early: {seen}"
        seen.append(line)
        match = re.search(r"serving on (http://\S+/)", line)
        if match:
            return match.group(1), seen


def test_serve_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "http:\n  port: 0\nstore:\n  path: state.sqlite3\nlogging:\n  level: DEBUG\n",
        encoding="utf-8",
    )
    proc = start(tmp_path, "serve", env=environment(MOODMOJI_HTTP_TOKEN=TOKEN))
    try:
        url, stdout = wait_for_url(proc)
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/readyz").json()["ready"] is True
            assert client.get("/").status_code == 200
            text = "our secret wedding plans"
            assert client.post("/v1/analyze", json={"text": text}).status_code == 401
            answer = client.post(
                "/v1/analyze",
                json={"text": text},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert answer.status_code == 200 and answer.json()["mood"]
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert status == 0, stderr
    assert "moodmoji: stopped" in stderr
    assert "Traceback" not in stderr
    assert "DEBUG" in stderr  # logging was verbose...
    output = "".join(stdout) + stderr
    assert TOKEN not in output and "wedding" not in output  # ...and still told no secrets
    assert (tmp_path / "state.sqlite3").exists()  # the settings store was opened


def test_serve_refuses_every_address_without_a_token(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("http:\n  port: 0\n", encoding="utf-8")
    proc = start(tmp_path, "serve", "--host", "0.0.0.0", env=environment())
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "without a token" in lines[0] and "MOODMOJI_HTTP_TOKEN" in lines[0]
    assert "Traceback" not in stderr and stdout == ""


def test_serve_reports_a_bad_store_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "not-sqlite").write_text("this is not a database\n" * 100, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "http:\n  port: 0\nstore:\n  path: not-sqlite\n", encoding="utf-8"
    )
    proc = start(tmp_path, "serve", env=environment())
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "not-sqlite" in stderr and "Traceback" not in stderr
