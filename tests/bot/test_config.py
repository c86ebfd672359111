"""Tests of bot.config: real YAML files in tmp_path, no mocks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from moodmoji.bot.config import (
    Config,
    ConfigError,
    InferenceSection,
    LoggingSection,
    ModelSection,
    StoreSection,
    config_model,
    default_config,
    load_config,
)
from moodmoji.inference.settings import (
    BatchSettings,
    EngineSettings,
    HygieneSettings,
    SessionSettings,
)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


def defaults_at(directory: Path) -> Config:
    """The built-in defaults as loaded from a file in ``directory`` (store path anchored)."""
    return config_model()(store=StoreSection(path=str(directory.resolve() / "moodmoji.sqlite3")))


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    err = info.value
    assert "\n" not in str(err)
    assert str(err).startswith("config error: ")
    return err


# --- defaults -----------------------------------------------------------------------------------


def test_no_path_and_no_file_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config == default_config()
    assert config.model.path is None
    assert config.inference.providers == ("CPUExecutionProvider",)
    assert config.inference.max_batch_size == 32
    assert config.inference.max_wait_ms == 5.0
    assert config.logging.level is None  # the command decides (WARNING, or INFO for servers)
    assert config.logging.format == "text"


def test_no_path_reads_config_yaml_in_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "inference:\n  max_batch_size: 8\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).inference.max_batch_size == 8


def test_defaults_match_inference_settings() -> None:
    assert Config().engine_settings() == EngineSettings()


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_file_gives_defaults(tmp_path: Path, text: str) -> None:
    assert load_config(write(tmp_path, text), environ={}) == defaults_at(tmp_path)


def test_empty_section_gives_its_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "logging:\n  # level: DEBUG\ninference:\n  max_chars: 10\n")
    config = load_config(path, environ={})
    assert config.logging == LoggingSection()
    assert config.inference.max_chars == 10


# --- the repository's config.yaml ---------------------------------------------------------------


def test_repo_config_equals_builtin_defaults() -> None:
    assert load_config(REPO_CONFIG, environ={}) == defaults_at(REPO_CONFIG.parent)


def _sections(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel), name
        out[name] = annotation
    return out


def test_repo_config_names_every_field() -> None:
    raw: dict[str, Any] = yaml.safe_load(REPO_CONFIG.read_text(encoding="utf-8"))
    sections = _sections(config_model())
    assert set(raw) == set(sections)
    for name, section in sections.items():
        assert isinstance(raw[name], dict), name
        assert set(raw[name]) == set(section.model_fields), name


def test_repo_config_documents_every_setting() -> None:
    lines = REPO_CONFIG.read_text(encoding="utf-8").splitlines()
    documented: set[str] = set()
    for number, line in enumerate(lines):
        match = re.fullmatch(r"  ([a-z_]+):.*", line)
        if match is None:
            continue
        comment: list[str] = []
        above = number - 1
        while above >= 0 and lines[above].strip().startswith("#"):
            comment.insert(0, lines[above])
            above -= 1
        assert comment, f"{match.group(1)} has no comment above it"
        assert "Default:" in " ".join(comment), f"{match.group(1)} does not state its default"
        documented.add(match.group(1))
    expected = {f for s in _sections(config_model()).values() for f in s.model_fields}
    assert documented == expected


# --- unknown keys, types, ranges ----------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "slack:\n  token: x\n"))
    assert err.key == "slack"
    assert str(err) == (
        "config error: slack: unknown key (known keys: model, inference, logging, bot, store, "
        "platforms, discord, http, telegram)"
    )


def test_a_token_is_never_a_config_key(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "telegram:\n  token: x\n"))
    assert err.key == "telegram.token"
    assert "did you mean token_env?" in str(err)


def test_token_env_must_be_a_variable_name(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "discord:\n  token_env: 'MTIz.abc-def'\n"))
    assert err.key == "discord.token_env"
    assert "MTIz" not in str(err)


def test_unknown_nested_key_suggests_the_right_one(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "inference:\n  max_btch_size: 4\n"))
    assert err.key == "inference.max_btch_size"
    assert str(err) == (
        "config error: inference.max_btch_size: unknown key, did you mean max_batch_size?"
    )


def test_unknown_top_level_key_suggestion(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "loging:\n  level: INFO\n"))
    assert str(err) == "config error: loging: unknown key, did you mean logging?"


def test_wrong_type_names_key_and_expected_type(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "inference:\n  max_batch_size: lots\n"))
    assert err.key == "inference.max_batch_size"
    assert str(err).startswith(
        "config error: inference.max_batch_size: Input should be a valid integer"
    )


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("inference:\n  intra_op_threads: true\n", "inference.intra_op_threads", "integer"),
        ("inference:\n  max_wait_ms: yes\n", "inference.max_wait_ms", "number"),
        ("inference:\n  max_batch_size: 2.5\n", "inference.max_batch_size", "integer"),
        ("inference:\n  providers: CPUExecutionProvider\n", "inference.providers", "a list"),
        ("inference:\n  providers: [CPUExecutionProvider, 3]\n", "inference.providers[1]", "str"),
        ("inference:\n  providers: [cpu]\n", "inference.providers[0]", "provider name"),
        ("inference:\n  graph_optimization: max\n", "inference.graph_optimization", "'all'"),
        ("model:\n  path: 5\n", "model.path", "valid string"),
        ("model: models/x\n", "model", "mapping"),
        ("logging:\n  format: xml\n", "logging.format", "'text' or 'json'"),
        ("logging:\n  level: TRACE\n", "logging.level", "'DEBUG'"),
    ],
)
def test_wrong_types(tmp_path: Path, text: str, key: str, problem: str) -> None:
    err = error_of(write(tmp_path, text))
    assert err.key == key
    assert str(err).startswith(f"config error: {key}: ")
    assert problem in err.problem


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            "inference:\n  max_batch_size: 0\n",
            "inference.max_batch_size",
            "Input should be greater than or equal to 1",
        ),
        (
            "inference:\n  max_batch_size: 1025\n",
            "inference.max_batch_size",
            "Input should be less than or equal to 1024",
        ),
        (
            "inference:\n  max_wait_ms: -1\n",
            "inference.max_wait_ms",
            "Input should be greater than or equal to 0",
        ),
        (
            "inference:\n  max_wait_ms: .nan\n",
            "inference.max_wait_ms",
            "Input should be a finite number",
        ),
        ("inference:\n  max_chars: 0\n", "inference.max_chars", "Input should be greater than 0"),
        (
            "inference:\n  intra_op_threads: -2\n",
            "inference.intra_op_threads",
            "Input should be greater than or equal to 0",
        ),
        ("inference:\n  providers: []\n", "inference.providers", "at least 1 provider"),
        (
            "telegram:\n  base_url: http://bot-api.example.com/bot\n",
            "telegram.base_url",
            "https:// URL",
        ),
        # a window of 1e300 s would stop the pacer from ever pruning a chat's history
        (
            "bot:\n  budget_window_s: 1e300\n",
            "bot.budget_window_s",
            "Input should be less than or equal to 86400",
        ),
        (
            "bot:\n  chat_cooldown_s: 86401\n",
            "bot.chat_cooldown_s",
            "Input should be less than or equal to 86400",
        ),
        (
            "bot:\n  custom_emoji: {"
            + ", ".join(f"e{i}: '<:e:{10**17 + i}>'" for i in range(257))
            + "}\n",
            "bot.custom_emoji",
            "at most 256 entries",
        ),
    ],
)
def test_out_of_range(tmp_path: Path, text: str, key: str, problem: str) -> None:
    err = error_of(write(tmp_path, text))
    assert err.key == key
    assert problem in str(err)


def test_exact_range_line(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "inference:\n  max_batch_size: 0\n"))
    assert str(err) == (
        "config error: inference.max_batch_size: Input should be greater than or equal to 1"
    )


def test_one_bad_provider_is_one_problem(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "inference:\n  providers: [cpu]\n"))
    assert err.more == 0
    assert str(err) == (
        "config error: inference.providers[0]: "
        "Input should be an ONNX Runtime provider name such as CPUExecutionProvider"
    )


def test_several_problems_reports_first_and_count(tmp_path: Path) -> None:
    text = "inference:\n  max_batch_size: 0\n  max_chars: 0\nlogging:\n  format: xml\n"
    err = error_of(write(tmp_path, text))
    assert err.more == 2
    assert str(err).endswith(" (2 more)")


def test_valid_values_are_read(tmp_path: Path) -> None:
    text = (
        "model:\n  path: /opt/bundle\n"
        "inference:\n  intra_op_threads: 2\n  inter_op_threads: 0\n"
        "  providers: [CUDAExecutionProvider, CPUExecutionProvider]\n"
        "  graph_optimization: basic\n  max_batch_size: 1024\n  max_wait_ms: 0.5\n"
        "  max_chars: 500\n  max_combining_run: 0\n"
        "logging:\n  level: debug\n  format: json\n"
    )
    config = load_config(write(tmp_path, text), environ={})
    assert config.model.path == "/opt/bundle"
    assert config.inference == InferenceSection(
        intra_op_threads=2,
        inter_op_threads=0,
        providers=("CUDAExecutionProvider", "CPUExecutionProvider"),
        graph_optimization="basic",
        max_batch_size=1024,
        max_wait_ms=0.5,
        max_chars=500,
        max_combining_run=0,
    )
    assert config.logging == LoggingSection(level="DEBUG", format="json")


def test_config_is_frozen() -> None:
    config = default_config()
    with pytest.raises(ValidationError):
        config.inference.max_batch_size = 3


# --- file-level problems ------------------------------------------------------------------------


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  max_batch_size: 4\n  bad: [unclosed\nlogging: {}\n")
    err = error_of(path)
    assert err.key == str(path)
    assert str(err).startswith(f"config error: {path}: not valid YAML (line ")


def test_invalid_yaml_exact_line(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  max_batch_size: 4\n max_chars: 3\n")
    assert str(error_of(path)).startswith(f"config error: {path}: not valid YAML (line 3)")


def test_top_level_list(tmp_path: Path) -> None:
    path = write(tmp_path, "- model\n- inference\n")
    err = error_of(path)
    assert err.key == str(path)
    assert str(err) == (
        f"config error: {path}: top level should be a mapping of sections, not a list"
    )


def test_top_level_scalar(tmp_path: Path) -> None:
    path = write(tmp_path, "hello\n")
    assert "not a string" in str(error_of(path))


def test_explicit_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    err = error_of(path)
    assert err.key == str(path)
    assert str(err) == f"config error: {path}: file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert str(error_of(tmp_path)) == f"config error: {tmp_path}: is a directory, not a file"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"logging:\n  level: \xff\xfe\n")
    assert str(error_of(path)) == f"config error: {path}: not valid UTF-8"


def test_duplicate_key(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  max_chars: 10\n  max_chars: 20\n")
    assert str(error_of(path)) == f"config error: {path}: duplicate key 'max_chars' (line 3)"


def test_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    text = (
        "x-common: &common\n  max_chars: 10\n  max_batch_size: 4\n"
        "inference:\n  <<: *common\n  max_chars: 20\n"
    )
    path = write(tmp_path, text)
    # The merge itself is fine; the anchor's own section is an unknown key.
    assert error_of(path).key == "x-common"


def test_non_string_key(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  1: 2\n")
    assert str(error_of(path)) == (
        f"config error: {path}: keys should be names, not a number (line 2)"
    )


# --- ${NAME} substitution -----------------------------------------------------------------------


def test_substitution_present(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: ${BUNDLE}\ninference:\n  max_batch_size: ${BATCH}\n")
    config = load_config(path, environ={"BUNDLE": "/srv/bundle", "BATCH": "16"})
    assert config.model.path == "/srv/bundle"
    assert config.inference.max_batch_size == 16


def test_substitution_inside_text_and_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: /srv/${WHO}/b\ninference:\n  providers:\n    - ${P}\n")
    config = load_config(path, environ={"WHO": "me", "P": "CPUExecutionProvider"})
    assert config.model.path == "/srv/me/b"
    assert config.inference.providers == ("CPUExecutionProvider",)


def test_substitution_missing_names_key_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: ${MOODMOJI_MODEL}\n")
    err = error_of(path, environ={})
    assert err.key == "model.path"
    assert str(err) == ("config error: model.path: environment variable MOODMOJI_MODEL is not set")


def test_substitution_missing_in_list_names_index(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  providers: [CPUExecutionProvider, '${GPU}']\n")
    assert error_of(path).key == "inference.providers[1]"


def test_substitution_missing_is_reported_before_unknown_keys(tmp_path: Path) -> None:
    # Sections added by later issues (http.auth_token) already get a useful message.
    path = write(tmp_path, "http:\n  auth_token: ${MOODMOJI_TOKEN}\n")
    assert str(error_of(path)) == (
        "config error: http.auth_token: environment variable MOODMOJI_TOKEN is not set"
    )


def test_substitution_default(tmp_path: Path) -> None:
    path = write(tmp_path, "inference:\n  max_batch_size: ${BATCH:-12}\n")
    assert load_config(path, environ={}).inference.max_batch_size == 12
    assert load_config(path, environ={"BATCH": ""}).inference.max_batch_size == 12
    assert load_config(path, environ={"BATCH": "3"}).inference.max_batch_size == 3


def test_substitution_empty_default_means_embedded_model(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: ${MOODMOJI_MODEL:-}\n")
    assert load_config(path, environ={}).model.path is None


def test_substitution_escape(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: /a/$${HOME}/b$$c\n")
    assert load_config(path, environ={"HOME": "/root"}).model.path == "/a/${HOME}/b$$c"


def test_substitution_not_recursive(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  path: /${A}\n")
    assert load_config(path, environ={"A": "${B}"}).model.path == "/${B}"


@pytest.mark.parametrize("value", ["${", "${1X}", "${A-b}", "${A:-${B}}", "${}"])
def test_substitution_malformed(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"model:\n  path: '/x/{value}'\n")
    assert error_of(path).key == "model.path"


def test_substitution_uses_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOODMOJI_TEST_BATCH", "7")
    path = write(tmp_path, "inference:\n  max_batch_size: ${MOODMOJI_TEST_BATCH}\n")
    assert load_config(path).inference.max_batch_size == 7


def test_substituted_secret_is_not_echoed(tmp_path: Path) -> None:
    secret = "s3cr3t-TOKEN-value"
    for text in (
        "inference:\n  max_batch_size: ${SECRET}\n",
        "logging:\n  format: ${SECRET}\n",
        "inference:\n  providers:\n    - ${SECRET}\n",
        "inference:\n  max_wait_ms: ${SECRET}\n",
    ):
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as info:
            load_config(path, environ={"SECRET": secret})
        assert secret not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__suppress_context__


# --- model path and engine settings -------------------------------------------------------------


def test_relative_model_path_is_anchored_at_config_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = write(tmp_path / "etc", "model:\n  path: bundles/small\n")
    config = load_config(path, environ={})
    assert config.model.path == str(tmp_path.resolve() / "etc" / "bundles" / "small")


def test_home_in_model_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = write(tmp_path, "model:\n  path: ~/bundle\n")
    assert load_config(path, environ={}).model.path == str(tmp_path / "bundle")


def test_engine_settings_mapping(tmp_path: Path) -> None:
    text = (
        "inference:\n  intra_op_threads: 3\n  inter_op_threads: 2\n"
        "  providers: [CUDAExecutionProvider, CPUExecutionProvider]\n"
        "  graph_optimization: extended\n  max_batch_size: 64\n  max_wait_ms: 12.5\n"
        "  max_chars: 300\n  max_combining_run: 1\n"
    )
    settings = load_config(write(tmp_path, text), environ={}).engine_settings()
    assert settings == EngineSettings(
        session=SessionSettings(
            intra_op_threads=3,
            inter_op_threads=2,
            providers=("CUDAExecutionProvider", "CPUExecutionProvider"),
            graph_optimization="extended",
        ),
        hygiene=HygieneSettings(max_chars=300, max_combining_run=1),
        batch=BatchSettings(max_batch_size=64, max_wait_ms=12.5),
    )
    assert isinstance(settings.session.providers, tuple)


def test_sections_are_separate_models() -> None:
    assert Config().model == ModelSection()


# --- bot, store and platform sections ------------------------------------------------------------


def test_bot_section_defaults_are_the_chat_defaults() -> None:
    from moodmoji.bot.chat_settings import ChatSettings

    assert Config().bot.chat_settings() == ChatSettings()


def test_bot_section_values_reach_chat_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bot:\n  mode: react\n  reaction_threshold: 0.7\n"
        "  custom_emoji: {joy: '<:pepe:123456789012345678>'}\n",
    )
    settings = load_config(path, environ={}).bot.chat_settings()
    assert settings.mode == "react" and settings.reaction_threshold == 0.7
    assert dict(settings.custom_emoji) == {"joy": "<:pepe:123456789012345678>"}


def test_store_path_is_anchored_at_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = write(tmp_path / "conf", "store:\n  path: data/bot.sqlite3\n")
    assert load_config(path, environ={}).store.path == str(
        (tmp_path / "conf" / "data" / "bot.sqlite3").resolve()
    )
    memory = write(tmp_path, "store:\n  path: ':memory:'\n")
    assert load_config(memory, environ={}).store.path == ":memory:"


# --- MOODMOJI_<SECTION>__<KEY> overrides from the environment -----------------------------------


def test_env_overrides_int_float_str_bool_and_nested_keys(tmp_path: Path) -> None:
    environ = {
        "MOODMOJI_HTTP__PORT": "9000",
        "MOODMOJI_BOT__REACTION_THRESHOLD": "0.7",
        "MOODMOJI_BOT__MODE": "react",
        "MOODMOJI_DISCORD__MESSAGE_CONTENT": "false",
        "MOODMOJI_BOT__CUSTOM_EMOJI__JOY": "<:pepe:123456789012345678>",
        "MOODMOJI_INFERENCE__PROVIDERS": '["CUDAExecutionProvider", "CPUExecutionProvider"]',
        "MOODMOJI_STORE__PATH": "/data/m.sqlite3",
    }
    config = load_config(write(tmp_path, ""), environ=environ)
    assert config.http.port == 9000
    assert config.bot.reaction_threshold == 0.7
    assert config.bot.mode == "react"
    assert config.discord.message_content is False
    assert dict(config.bot.custom_emoji) == {"joy": "<:pepe:123456789012345678>"}
    assert config.inference.providers == ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert config.store.path == "/data/m.sqlite3"
    # Everything else keeps the file's (here: the built-in) values.
    assert config.inference.max_batch_size == 32


def test_env_overrides_apply_without_a_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: the defaults, overridden
    config = load_config(environ={"MOODMOJI_INFERENCE__MAX_BATCH_SIZE": "8"})
    assert config.inference.max_batch_size == 8
    assert config.inference.max_wait_ms == 5.0


def test_env_beats_yaml_and_merges_with_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bot:\n  reaction_threshold: 0.5\n  max_suggestions: 1\n"
        "  custom_emoji: {sadness: '<:cry:123456789012345678>'}\nhttp:\n  port: 8000\n",
    )
    environ = {
        "MOODMOJI_BOT__REACTION_THRESHOLD": "0.9",
        "MOODMOJI_BOT__CUSTOM_EMOJI__JOY": "<:pepe:123456789012345678>",
    }
    config = load_config(path, environ=environ)
    assert config.bot.reaction_threshold == 0.9  # the environment wins
    assert config.bot.max_suggestions == 1  # the rest of the section stays the file's
    assert config.http.port == 8000
    assert dict(config.bot.custom_emoji) == {
        "sadness": "<:cry:123456789012345678>",
        "joy": "<:pepe:123456789012345678>",
    }


def test_env_override_names_are_case_insensitive(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), environ={"moodmoji_Logging__Level": "debug"})
    assert config.logging.level == "DEBUG"


def test_env_override_replaces_an_empty_section(tmp_path: Path) -> None:
    path = write(tmp_path, "http:\n  # port: 1\n")
    assert load_config(path, environ={"MOODMOJI_HTTP__PORT": "9000"}).http.port == 9000


def test_env_override_of_an_unknown_key_names_key_and_variable(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ""), environ={"MOODMOJI_BOT__NOPE": "1"})
    assert err.key == "bot.nope"
    assert "unknown key" in err.problem
    assert "MOODMOJI_BOT__NOPE" in str(err)


def test_env_override_of_an_unknown_section_is_an_unknown_key(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, ""), environ={"MOODMOJI_INFERNCE__MAX_CHARS": "10"})
    assert err.key == "infernce"
    assert "did you mean inference?" in err.problem
    assert "MOODMOJI_INFERNCE__MAX_CHARS" in str(err)


@pytest.mark.parametrize(
    ("variable", "value", "key", "problem"),
    [
        ("MOODMOJI_HTTP__PORT", "lots", "http.port", "valid integer"),
        ("MOODMOJI_HTTP__PORT", "70000", "http.port", "less than or equal to 65535"),
        ("MOODMOJI_BOT__REACTION_THRESHOLD", "1.5", "bot.reaction_threshold", "less than"),
        ("MOODMOJI_INFERENCE__MAX_WAIT_MS", "nan", "inference.max_wait_ms", "finite number"),
        ("MOODMOJI_INFERENCE__MAX_BATCH_SIZE", "2.5", "inference.max_batch_size", "integer"),
        ("MOODMOJI_DISCORD__MESSAGE_CONTENT", "maybe", "discord.message_content", "boolean"),
        ("MOODMOJI_LOGGING__FORMAT", "xml", "logging.format", "'text' or 'json'"),
        ("MOODMOJI_INFERENCE__PROVIDERS", '["cpu"]', "inference.providers[0]", "provider"),
        ("MOODMOJI_INFERENCE__PROVIDERS", "CPUExecutionProvider", "inference.providers", "JSON"),
        ("MOODMOJI_BOT__CUSTOM_EMOJI__JOY", ":pepe:", "bot.custom_emoji", "custom emoji"),
    ],
)
def test_bad_env_value_names_key_and_variable(
    tmp_path: Path, variable: str, value: str, key: str, problem: str
) -> None:
    err = error_of(write(tmp_path, ""), environ={variable: value})
    assert err.key == key
    assert problem in err.problem
    assert str(err).startswith(f"config error: {key}: ")
    assert variable in str(err)
    assert value not in str(err)  # the value is never echoed


def test_bad_env_value_is_checked_like_the_file_value(tmp_path: Path) -> None:
    from_file = error_of(write(tmp_path, "http:\n  port: 70000\n"))
    from_env = error_of(write(tmp_path, ""), environ={"MOODMOJI_HTTP__PORT": "70000"})
    assert from_env.key == from_file.key
    assert from_env.problem.startswith(from_file.problem)


def test_env_override_error_without_a_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(environ={"MOODMOJI_HTTP__PORT": "-1"})
    assert info.value.key == "http.port"
    assert "MOODMOJI_HTTP__PORT" in str(info.value)


def test_variables_without_the_delimiter_are_not_overrides(tmp_path: Path) -> None:
    environ = {
        "MOODMOJI_TELEGRAM_TOKEN": "123:abc",
        "MOODMOJI_DISCORD_TOKEN": "MTIz.abc",
        "MOODMOJI_HTTP_TOKEN": "s3cr3t",
        "MOODMOJI_TOKEN": "x",
        "MOODMOJI_CACHE_DIR": "/tmp/cache",
        "MOODMOJI_CONFIG": "/etc/moodmoji.yaml",
        "MOODMOJI_MODEL": "/srv/bundle",
        "MOODMOJI_HTTP": "9000",
        "MOODMOJI_BOT": '{"mode": "off"}',
        "OTHER_BOT__MODE": "off",
    }
    path = write(tmp_path, "")
    assert load_config(path, environ=environ) == load_config(path, environ={})
    # ${NAME} references still read them, as before.
    path = write(tmp_path, "model:\n  path: ${MOODMOJI_MODEL}\n")
    assert load_config(path, environ=environ).model.path == "/srv/bundle"
