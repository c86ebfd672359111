"""The ``moodmoji`` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inference.tiny_bundle import EMOTIONS


def moodmoji(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "moodmoji.tools.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=120,
        check=False,
    )


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_version(tmp_path: Path) -> None:
    result = moodmoji("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("moodmoji ")


def test_analyze_texts(tmp_path: Path, tiny_bundle: Path) -> None:
    result = moodmoji(
        "analyze", "--model", str(tiny_bundle), "so happy yay", "my dog died 😢", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    assert [o["text"] for o in out] == ["so happy yay", "my dog died 😢"]
    happy, sad = (o["heads"] for o in out)
    assert isinstance(happy, dict) and isinstance(sad, dict)
    assert set(happy) == {"emotion", "tags"}  # embedding heads are not printed
    assert happy["emotion"][0]["label"] == "joy"
    assert sad["emotion"][0]["label"] == "sadness"
    assert len(happy["emotion"]) == len(EMOTIONS)
    assert all(set(item) == {"label", "score"} for item in happy["emotion"])


def test_analyze_top_k(tmp_path: Path, tiny_bundle: Path) -> None:
    result = moodmoji("analyze", "--model", str(tiny_bundle), "--top", "1", "sad", cwd=tmp_path)
    (out,) = lines(result.stdout)
    assert out["heads"]["emotion"] == [{"label": "sadness", "score": pytest.approx(0.7, abs=0.3)}]  # type: ignore[index]


def test_analyze_jsonl_keeps_order_and_reports_bad_lines(tmp_path: Path, tiny_bundle: Path) -> None:
    log = tmp_path / "chat.jsonl"
    log.write_text(
        "\n".join(
            [
                json.dumps({"text": "happy party", "author": "ann", "time": "12:00"}),
                "{broken json",
                "",
                json.dumps({"author": "bob"}),
                json.dumps(["not", "an", "object"]),
                json.dumps({"text": "scared"}),
                json.dumps({"text": ""}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = moodmoji("analyze", "--model", str(tiny_bundle), "--jsonl", str(log), cwd=tmp_path)
    assert result.returncode == 1  # some lines could not be analysed
    out = lines(result.stdout)
    assert [o.get("text", o.get("line")) for o in out] == ["happy party", 2, 4, 5, "scared", ""]
    assert "not valid JSON" in str(out[1]["error"])
    assert "text" in str(out[2]["error"])
    assert "Traceback" not in result.stderr
    assert "happy party" not in result.stderr  # message text is never logged


def test_analyze_jsonl_from_stdin_in_batches(tmp_path: Path, tiny_bundle: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("inference:\n  max_batch_size: 3\n", encoding="utf-8")
    texts = [f"message {i} {'happy' if i % 2 else 'sad'}" for i in range(10)]
    stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    result = moodmoji(
        "analyze", "--model", str(tiny_bundle), "--jsonl", "-", cwd=tmp_path, stdin=stdin
    )
    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    assert [o["text"] for o in out] == texts
    assert [o["heads"]["emotion"][0]["label"] for o in out] == [  # type: ignore[index]
        "joy" if i % 2 else "sadness" for i in range(10)
    ]


def test_model_path_from_config(tmp_path: Path, tiny_bundle: Path) -> None:
    (tmp_path / "config.yaml").write_text(f"model:\n  path: {tiny_bundle}\n", encoding="utf-8")
    result = moodmoji("analyze", "angry", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[0]["heads"]["emotion"][0]["label"] == "anger"  # type: ignore[index]


def test_missing_model_names_the_directory(tmp_path: Path) -> None:
    result = moodmoji("analyze", "--model", str(tmp_path / "absent"), "hi", cwd=tmp_path)
    assert result.returncode == 1
    assert str(tmp_path / "absent") in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_model_names_the_file(tmp_path: Path, bundle_copy: Path) -> None:
    (bundle_copy / "model.onnx").write_bytes(b"\x00garbage")
    result = moodmoji("analyze", "--model", str(bundle_copy), "hi", cwd=tmp_path)
    assert result.returncode == 1
    assert str(bundle_copy / "model.onnx") in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_to_analyse_is_a_usage_error(tmp_path: Path, tiny_bundle: Path) -> None:
    result = moodmoji("analyze", "--model", str(tiny_bundle), cwd=tmp_path)
    assert result.returncode == 2
    assert "nothing to analyse" in result.stderr


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("inference:\n  max_btch_size: 3\n", "inference.max_btch_size"),
        ("colour: blue\n", "colour"),
        ("inference:\n  max_batch_size: lots\n", "inference.max_batch_size"),
        ("inference:\n  max_batch_size: 0\n", "inference.max_batch_size"),
        ("model:\n  path: ${MOODMOJI_TEST_UNSET_VAR}\n", "model.path"),
    ],
)
def test_config_errors_exit_2_naming_the_key(tmp_path: Path, yaml_text: str, key: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text, encoding="utf-8")
    result = moodmoji("--config", str(config), "analyze", "hi", cwd=tmp_path)
    assert result.returncode == 2
    stderr = result.stderr.strip().splitlines()
    assert len(stderr) == 1, result.stderr
    assert key in stderr[0]
    assert "Traceback" not in result.stderr


def test_config_file_missing_names_the_file(tmp_path: Path) -> None:
    result = moodmoji("--config", str(tmp_path / "nope.yaml"), "analyze", "hi", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_secret_from_environment(tmp_path: Path, tiny_bundle: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "model:\n  path: ${MOODMOJI_TEST_MODEL}\n", encoding="utf-8"
    )
    result = moodmoji(
        "analyze", "happy", cwd=tmp_path, env={"MOODMOJI_TEST_MODEL": str(tiny_bundle)}
    )
    assert result.returncode == 0, result.stderr


def test_message_text_never_logged_even_at_debug(tmp_path: Path, tiny_bundle: Path) -> None:
    (tmp_path / "config.yaml").write_text("logging:\n  level: DEBUG\n", encoding="utf-8")
    secret = "my secret diary entry about the funeral"
    log = tmp_path / "in.jsonl"
    log.write_text(json.dumps({"text": secret}) + "\n{bad line " + secret + "\n", encoding="utf-8")
    result = moodmoji("analyze", "--model", str(tiny_bundle), "--jsonl", str(log), cwd=tmp_path)
    assert "DEBUG" in result.stderr  # debug logging really was on
    assert "secret" not in result.stderr and "funeral" not in result.stderr
    assert secret in result.stdout  # the answer itself echoes the text, as documented


def test_closed_stdout_ends_quietly(tmp_path: Path, tiny_bundle: Path) -> None:
    log = tmp_path / "big.jsonl"
    log.write_text("".join(json.dumps({"text": f"happy {i}"}) + "\n" for i in range(20000)))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "moodmoji.tools.cli",
            "analyze",
            "--model",
            str(tiny_bundle),
            "--jsonl",
            str(log),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["text"] == "happy 0"
    proc.stdout.close()  # the reader goes away, like `| head -1`
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


# --- the decision fields, on the embedded default model ------------------------------------------


def test_analyze_prints_decisions_per_platform(tmp_path: Path) -> None:
    texts = ["My grandmother passed away last night", "Happy birthday to my best friend!"]
    out = {}
    for platform in ("generic", "discord", "telegram"):
        result = moodmoji("analyze", "--platform", platform, *texts, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        out[platform] = lines(result.stdout)
    grief, party = out["telegram"]
    for record in (grief, party):
        assert {"reactions", "moods", "emotions", "suggestions", "why", "heads"} <= set(record)
        assert all(set(r) == {"emoji", "score"} for r in record["reactions"])  # type: ignore[union-attr]
        assert all(set(m) == {"label", "score"} for m in record["moods"])  # type: ignore[union-attr]
        assert all(set(s) == {"text", "intent"} for s in record["suggestions"])  # type: ignore[union-attr]
        assert {"candidates", "thresholds", "steps"} <= set(record["why"])  # type: ignore[arg-type]
        assert len(record["reactions"]) <= 1  # type: ignore[arg-type]
    assert grief["moods"][0]["label"] == "sadness"  # type: ignore[index]
    assert {e["label"] for e in grief["emotions"]} >= {"grief"}  # type: ignore[union-attr]
    assert [r["emoji"] for r in party["reactions"]] == ["❤"]  # type: ignore[union-attr]
    assert out["generic"][1]["reactions"][0]["emoji"] == "🎂"  # type: ignore[index]
    assert len(out["generic"][1]["reactions"]) <= 3  # type: ignore[arg-type]
    assert len(out["discord"][1]["reactions"]) == 1  # type: ignore[arg-type]


def test_analyze_abstains_with_an_empty_list(tmp_path: Path) -> None:
    result = moodmoji("analyze", "The meeting moved to 3pm", cwd=tmp_path)
    (record,) = lines(result.stdout)
    assert record["reactions"] == []
    steps = [s["rule"] for s in record["why"]["steps"]]  # type: ignore[index]
    assert "confidence-gate" in steps


def test_bot_config_errors_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    for text, key in [
        ("bot:\n  mode: loud\n", "bot.mode"),
        ("bot:\n  custom_emoji: {joy: ':pepe:'}\n", "bot.custom_emoji"),
        ("bot:\n  budget_share: 2\n", "bot.budget_share"),
        ("platforms:\n  discord_max_reactions: 0\n", "platforms.discord_max_reactions"),
    ]:
        config.write_text(text, encoding="utf-8")
        result = moodmoji("--config", str(config), "analyze", "hi", cwd=tmp_path)
        assert result.returncode == 2 and key in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr


# --- logging: quiet one-off commands, -v / -vv, logging.level ------------------------------------


def test_one_off_commands_log_nothing_unless_verbose(tmp_path: Path) -> None:
    quiet = moodmoji("analyze", "hello", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert lines(quiet.stdout)[0]["text"] == "hello"

    verbose = moodmoji("-v", "analyze", "hello", cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    assert " INFO moodmoji.inference.bundle: loaded model bundle " in verbose.stderr
    assert " DEBUG " not in verbose.stderr
    assert verbose.stdout == quiet.stdout

    debug = moodmoji("analyze", "-vv", "hello", cwd=tmp_path)  # after the command works too
    assert debug.returncode == 0, debug.stderr
    assert " INFO " in debug.stderr and " DEBUG " in debug.stderr


def test_logging_level_set_in_the_config_applies(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("logging:\n  level: info\n", encoding="utf-8")
    result = moodmoji("analyze", "hello", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "loaded model bundle" in result.stderr
    # ... and so does one set by a MOODMOJI_<SECTION>__<KEY> variable.
    (tmp_path / "config.yaml").unlink()
    result = moodmoji("analyze", "hello", cwd=tmp_path, env={"MOODMOJI_LOGGING__LEVEL": "INFO"})
    assert "loaded model bundle" in result.stderr


def test_servers_and_train_log_info_by_default() -> None:
    import argparse

    from moodmoji.bot.config import default_config
    from moodmoji.tools.cli import _log_level

    config = default_config()
    for command, level in [
        ("analyze", "WARNING"),
        ("report", "WARNING"),
        ("bench", "WARNING"),
        ("serve", "INFO"),
        ("telegram", "INFO"),
        ("discord", "INFO"),
        ("train", "INFO"),
    ]:
        assert _log_level(argparse.Namespace(command=command, verbose=0), config) == level
    assert _log_level(argparse.Namespace(command="serve", verbose=2), config) == "DEBUG"
    # -v never makes an explicitly chosen level quieter.
    debug = config.model_copy(
        update={"logging": config.logging.model_copy(update={"level": "DEBUG"})}
    )
    assert _log_level(argparse.Namespace(command="analyze", verbose=1), debug) == "DEBUG"


def test_env_override_errors_exit_2_naming_key_and_variable(tmp_path: Path) -> None:
    result = moodmoji("analyze", "hi", cwd=tmp_path, env={"MOODMOJI_BOT__NOPE": "1"})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "bot.nope" in line and "MOODMOJI_BOT__NOPE" in line
    assert "Traceback" not in result.stderr
