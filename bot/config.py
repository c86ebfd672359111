"""The moodmoji configuration file: models, loading, ``${NAME}`` substitution and errors.

The configuration is read and validated once, at start-up, by :func:`load_config`. Every problem
(unknown key, wrong type, value out of range, missing environment variable, unreadable or invalid
YAML) is raised as one :class:`ConfigError` whose ``str()`` is the single line to show the user.

Secrets never live in the file: a string value may reference the environment as ``${NAME}`` or
``${NAME:-default}``, and ``$${`` stands for a literal ``${``. References are expanded anywhere in
the YAML tree before validation.

Adding a section later: subclass :class:`ConfigSection`, then add a field of that type (with
``default_factory``) to :class:`Config` and document it in the repository's ``config.yaml``. An
adapter's section is its own: its package declares the model in its :class:`AdapterInfo`
(:mod:`bot.registry`), and :func:`config_model` adds it under the adapter's name.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from moodmoji.bot.chat_settings import (
    CUSTOM_EMOJI_PATTERN,
    MAX_BUDGET_REACTIONS,
    MAX_CUSTOM_EMOJI,
    MAX_DURATION_S,
    ChatSettings,
    Mode,
)
from moodmoji.bot.config_env import EnvOverrideError, EnvOverrides, read_env_overrides
from moodmoji.inference.settings import (
    BatchSettings,
    EngineSettings,
    GraphOptimization,
    HygieneSettings,
    SessionSettings,
)

if TYPE_CHECKING:
    from moodmoji.bot.registry import Registry

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AdapterSection",
    "BotSection",
    "Config",
    "ConfigError",
    "ConfigSection",
    "EnvName",
    "InferenceSection",
    "Integer",
    "LoggingSection",
    "ModelSection",
    "Number",
    "PlatformsSection",
    "StoreSection",
    "config_model",
    "default_config",
    "load_config",
]

DEFAULT_CONFIG_PATH = Path("config.yaml")
"""Where :func:`load_config` looks when no path is given (relative to the working directory)."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["text", "json"]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ConfigError(Exception):
    """The configuration could not be loaded; ``str()`` is the one line to print.

    The line reads ``config error: <key>: <problem>`` followed by ``(N more)`` when other
    problems were found too. It never contains a value taken from the environment.

    Attributes:
        key: Dotted path of the offending setting (``inference.max_batch_size``, list items as
            ``inference.providers[0]``), or the file's path for file-level problems.
        problem: What is wrong, without the ``config error:`` prefix.
        more: How many further problems were found and not reported.

    """

    def __init__(self, key: str, problem: str, *, more: int = 0) -> None:
        self.key = key
        self.problem = problem
        self.more = more
        suffix = f" ({more} more)" if more else ""
        super().__init__(f"config error: {key}: {problem}{suffix}")


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def _reject_bool(kind: str) -> BeforeValidator:
    """Refuse YAML booleans (``yes``, ``true``) where a number is expected.

    Pydantic's lax mode would read ``true`` as 1; a config file should say what it means.
    """

    def check(value: object) -> object:
        if isinstance(value, bool):
            raise PydanticCustomError(
                f"{kind}_type", f"Input should be a valid {kind}, not true/false"
            )
        return value

    return BeforeValidator(check)


def _upper(value: object) -> object:
    """Accept log levels in any case (``info`` -> ``INFO``)."""
    return value.upper() if isinstance(value, str) else value


def _blank_to_none(value: object) -> object:
    """Read an empty ``model.path`` (say from ``${MOODMOJI_MODEL:-}``) as null."""
    return None if isinstance(value, str) and not value.strip() else value


def _check_provider(value: object) -> object:
    """Refuse strings that cannot be an ONNX Runtime execution provider name."""
    if isinstance(value, str) and not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*ExecutionProvider", value):
        raise PydanticCustomError(
            "provider_name",
            "Input should be an ONNX Runtime provider name such as CPUExecutionProvider",
        )
    return value


def is_loopback(host: str) -> bool:
    """Whether ``host`` names only this machine (``127.0.0.0/8``, ``::1`` or ``localhost``).

    An empty host, ``0.0.0.0``, ``::`` and every other name or address count as reachable from
    other machines.
    """
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _non_empty(value: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse an empty provider list (checked only once every item is valid)."""
    if not value:
        raise PydanticCustomError("too_short", "Input should be a list of at least 1 provider")
    return value


Integer = Annotated[int, _reject_bool("integer")]
"""An integer field of a section: ``true`` is refused rather than read as 1."""
Number = Annotated[float, _reject_bool("number")]
"""A number field of a section: ``true`` is refused rather than read as 1.0."""
_Int = Integer
_Float = Number
_Provider = Annotated[str, BeforeValidator(_check_provider)]

_DEFAULT_SESSION = SessionSettings()
_DEFAULT_HYGIENE = HygieneSettings()
_DEFAULT_BATCH = BatchSettings()


class ConfigSection(BaseModel):
    """Base of every config section: frozen, unknown keys refused, inputs kept out of errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class ModelSection(ConfigSection):
    """Which model bundle to load.

    Attributes:
        path: A bundle directory (``model.onnx``, ``tokenizer.json``, manifest). ``~`` is expanded
            and a relative path is taken relative to the config file's directory. ``None`` (or an
            empty string) selects the embedded default model shipped with the package.
        multilingual: Read messages in other languages with the multilingual bundle (routed
            by the detected language); ``False`` reads every message with ``path``'s model.
        multilingual_path: The multilingual bundle's directory (anchored like ``path``);
            ``None`` selects the one shipped with the package.

    """

    path: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    multilingual: bool = True
    multilingual_path: Annotated[str | None, BeforeValidator(_blank_to_none)] = None


def _check_model_url(value: str | None) -> str | None:
    """Refuse an ``inference.url`` that is not ``http(s)://HOST[:PORT][/PATH]``."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on an invalid port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(
            "model_url", "Input should be an http(s) URL such as http://HOST:8000/moodmoji"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise PydanticCustomError(
            "model_url", "the model server URL takes no credentials, query or fragment"
        )
    return value


class InferenceSection(ConfigSection):
    """ONNX Runtime sessions, text hygiene and micro-batching.

    Defaults equal those of :mod:`inference.settings`.

    Attributes:
        intra_op_threads: Threads inside one ORT run; 0 lets ONNX Runtime decide.
        parallel_runs: Runs of one batch executed at once (one per CPU when 0).
        inter_op_threads: Threads across independent operators; 0 lets ONNX Runtime decide.
        providers: Execution providers in order of preference; unavailable ones are skipped.
        graph_optimization: ONNX Runtime graph optimisation level.
        blas_threads: Threads of numpy's BLAS pool (process-wide); 0 leaves it alone.
        max_batch_size: Most texts in one model run (1..1024).
        max_wait_ms: Longest wait, in milliseconds, of a batch's first text for company (0..1000).
        max_queue: Most messages waiting for the model; beyond that the adapters drop new ones
            (the HTTP API answers 503) instead of piling up (1..100000).
        max_chars: Texts are cut to this many characters before tokenization.
        max_combining_run: Longest run of combining marks kept on one character.
        url: The model served by ``moodmoji serve-model`` (Ray Serve), e.g.
            ``http://10.0.0.5:8000/moodmoji``; ``None`` (or empty) runs the model in this
            process. The session, thread and hygiene settings above then apply on the server.
        timeout_s: With ``url``: socket timeout of one request attempt, in seconds (0.1..600).
        retries: With ``url``: further attempts after a connection error, timeout or 5xx
            answer, with exponential backoff (0..10).
        parallel_requests: With ``url``: requests one batch may have in flight at once, so
            that one bot keeps several replicas busy (1..64).

    """

    intra_op_threads: _Int = Field(default=_DEFAULT_SESSION.intra_op_threads, ge=0)
    inter_op_threads: _Int = Field(default=_DEFAULT_SESSION.inter_op_threads, ge=0)
    parallel_runs: _Int = Field(default=0, ge=0, le=256)
    providers: Annotated[tuple[_Provider, ...], AfterValidator(_non_empty)] = (
        _DEFAULT_SESSION.providers
    )
    graph_optimization: GraphOptimization = _DEFAULT_SESSION.graph_optimization
    blas_threads: _Int = Field(default=_DEFAULT_SESSION.blas_threads, ge=0, le=256)
    max_batch_size: _Int = Field(default=_DEFAULT_BATCH.max_batch_size, ge=1, le=1024)
    max_wait_ms: _Float = Field(
        default=_DEFAULT_BATCH.max_wait_ms, ge=0, le=1000, allow_inf_nan=False
    )
    max_queue: _Int = Field(default=1024, ge=1, le=100_000)
    max_chars: _Int = Field(default=_DEFAULT_HYGIENE.max_chars, gt=0)
    max_combining_run: _Int = Field(default=_DEFAULT_HYGIENE.max_combining_run, ge=0)
    url: Annotated[
        str | None, BeforeValidator(_blank_to_none), AfterValidator(_check_model_url)
    ] = None
    timeout_s: _Float = Field(default=10.0, ge=0.1, le=600, allow_inf_nan=False)
    retries: _Int = Field(default=3, ge=0, le=10)
    parallel_requests: _Int = Field(default=2, ge=1, le=64)


class LoggingSection(ConfigSection):
    """Log output.

    Attributes:
        level: Least severe level written (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``; any case).
            ``None`` lets the command decide: ``WARNING`` for one-off commands (``analyze``,
            ``eval``...; ``-v`` for ``INFO``), ``INFO`` for the bots, the server and ``train``.
        format: ``text`` for one human-readable line per record, ``json`` for one JSON object.

    """

    level: Annotated[LogLevel | None, BeforeValidator(_upper)] = None
    format: LogFormat = "text"


def _check_custom_emoji(value: dict[str, str]) -> dict[str, str]:
    """Refuse custom-emoji values that are not ``<:name:id>``, and maps that are too large."""
    if len(value) > MAX_CUSTOM_EMOJI:
        raise PydanticCustomError(
            "custom_emoji", f"Input should have at most {MAX_CUSTOM_EMOJI} entries"
        )
    for key, emoji in value.items():
        if not key or not CUSTOM_EMOJI_PATTERN.fullmatch(emoji):
            raise PydanticCustomError(
                "custom_emoji",
                "Input should map moods or emoji to custom emoji like <:name:123456789012345678>",
            )
    return value


_DEFAULT_CHAT = ChatSettings()


class BotSection(ConfigSection):
    """What the bot does in a chat that changed nothing (a chat's own changes live in the store).

    Attributes:
        mode: react, suggest, both or off.
        reaction_threshold: Least score (0..1) of the best reaction candidate for any reaction.
        suggestion_threshold: Least fit (0..1) of the best reply for any suggestion.
        max_suggestions: Most replies suggested at once (0..3).
        chat_cooldown_s: Least seconds between two automatic reactions in one chat.
        user_cooldown_s: Least seconds between two automatic reactions to one person.
        budget_reactions: Most automatic reactions per chat within ``budget_window_s``.
        budget_window_s: Length of the reaction budget's window in seconds.
        budget_share: Most automatic reactions as a share of the chat's messages in the window.
        custom_emoji: Discord: mood or emoji -> a server's custom emoji ``<:name:id>``.

    """

    mode: Mode = _DEFAULT_CHAT.mode
    reaction_threshold: _Float = Field(default=_DEFAULT_CHAT.reaction_threshold, ge=0, le=1)
    suggestion_threshold: _Float = Field(default=_DEFAULT_CHAT.suggestion_threshold, ge=0, le=1)
    max_suggestions: _Int = Field(default=_DEFAULT_CHAT.max_suggestions, ge=0, le=3)
    chat_cooldown_s: _Float = Field(
        default=_DEFAULT_CHAT.chat_cooldown_s, ge=0, le=MAX_DURATION_S, allow_inf_nan=False
    )
    user_cooldown_s: _Float = Field(
        default=_DEFAULT_CHAT.user_cooldown_s, ge=0, le=MAX_DURATION_S, allow_inf_nan=False
    )
    budget_reactions: _Int = Field(
        default=_DEFAULT_CHAT.budget_reactions, ge=0, le=MAX_BUDGET_REACTIONS
    )
    budget_window_s: _Float = Field(
        default=_DEFAULT_CHAT.budget_window_s, gt=0, le=MAX_DURATION_S, allow_inf_nan=False
    )
    budget_share: _Float = Field(default=_DEFAULT_CHAT.budget_share, ge=0, le=1)
    custom_emoji: Annotated[dict[str, str], AfterValidator(_check_custom_emoji)] = Field(
        default_factory=dict
    )

    def chat_settings(self) -> ChatSettings:
        """The defaults every chat starts from."""
        return ChatSettings(**self.model_dump())


def _check_store_url(value: str | None) -> str | None:
    """Refuse a ``store.url`` whose scheme or form no backend understands."""
    if value is None:
        return None
    from moodmoji.bot.store import sqlite_path, store_scheme

    try:
        if store_scheme(value) == "sqlite":
            sqlite_path(value)
        elif not value.split("://", 1)[1].strip():
            raise ValueError("postgresql:// needs a server: postgresql://USER@HOST:PORT/DATABASE")
    except ValueError as exc:
        raise PydanticCustomError("store_url", "{problem}", {"problem": str(exc)}) from None
    return value


class StoreSection(ConfigSection):
    """Where per-chat settings, opt-outs, daily mood counts and update claims are kept.

    Attributes:
        path: The SQLite database file, used when ``url`` is not set. A relative path is taken
            relative to the config file's directory (the working directory without a config
            file); ``~`` is expanded. ``:memory:`` keeps nothing across restarts.
        url: The store as a URL, chosen over ``path`` when set: ``sqlite:///PATH`` (relative
            as ``path`` is), ``sqlite:////ABSOLUTE/PATH``, or
            ``postgresql://USER@HOST:PORT/DATABASE`` (needs ``pip install
            'moodmoji[postgres]'``; give the password in ``PGPASSWORD`` or ``~/.pgpass``, or
            through ``${NAME}`` substitution, never in the file).
        pool_size: Most connections one process opens to PostgreSQL (1..100; SQLite ignores
            it).

    """

    path: str = "moodmoji.sqlite3"
    url: Annotated[
        str | None, BeforeValidator(_blank_to_none), AfterValidator(_check_store_url)
    ] = Field(default=None, repr=False)  # may hold a password
    pool_size: _Int = Field(default=10, ge=1, le=100)

    @property
    def location(self) -> str:
        """What :func:`~bot.store.open_store` opens: ``url`` when set, else ``path``."""
        return self.url if self.url is not None else self.path


class PlatformsSection(ConfigSection):
    """Per-platform reaction limits (Telegram allows exactly one reaction per message).

    Attributes:
        discord_max_reactions: Most reactions the bot puts on one Discord message (1..20).
        generic_max_reactions: Most reactions returned by the HTTP API and the CLI (1..20).

    """

    discord_max_reactions: _Int = Field(default=1, ge=1, le=20)
    generic_max_reactions: _Int = Field(default=3, ge=1, le=20)


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
"""The name of an environment variable (never its value)."""
_EnvName = EnvName


class AdapterSection(ConfigSection):
    """Settings every chat-platform adapter shares.

    Attributes:
        token_env: Name of the environment variable that holds the bot token (never the token).
        queue_size: Most messages waiting for a decision; newer ones are dropped (and counted)
            when the queue is full (1..100000).
        workers: Messages decided concurrently (their model runs are batched together) (1..256).
        stale_after_s: A message older than this when its turn comes (or when its reaction is
            about to be sent) is dropped, and counted, instead of reacted to late (> 0).
        refusal_ttl_s: How long a chat that refused the bot (403, a rejected reaction) is left
            alone before the bot tries again (>= 0).

    """

    token_env: _EnvName = "MOODMOJI_TOKEN"
    queue_size: _Int = Field(default=1024, ge=1, le=100_000)
    workers: _Int = Field(default=8, ge=1, le=256)
    stale_after_s: _Float = Field(default=60, gt=0, allow_inf_nan=False)
    refusal_ttl_s: _Float = Field(default=3600, ge=0, allow_inf_nan=False)


class Config(ConfigSection):
    """The core of the configuration; :func:`default_config` gives the built-in defaults.

    A section left empty in the file (``logging:`` with every line commented out) takes its
    defaults.

    Attributes:
        model: Which model bundle to load.
        inference: ONNX Runtime, text hygiene and batching settings.
        logging: Log level and format.
        bot: What the bot does in a chat by default.
        store: The settings-and-stats database.
        platforms: Per-platform reaction limits.

    Each installed adapter adds its own section (``telegram``, ``discord``, ``http``...) from
    the adapter registry: :func:`config_model` builds the model with them, and
    :func:`load_config` validates the file against it (see :mod:`bot.registry`).

    """

    model: ModelSection = Field(default_factory=ModelSection)
    inference: InferenceSection = Field(default_factory=InferenceSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)
    bot: BotSection = Field(default_factory=BotSection)
    store: StoreSection = Field(default_factory=StoreSection)
    platforms: PlatformsSection = Field(default_factory=PlatformsSection)

    def engine_settings(self) -> EngineSettings:
        """Map the ``inference`` section onto the inference core's frozen settings.

        Returns:
            The settings an engine is built with (the bundle path comes from ``model.path``).

        """
        inf = self.inference
        return EngineSettings(
            session=SessionSettings(
                intra_op_threads=inf.intra_op_threads,
                inter_op_threads=inf.inter_op_threads,
                providers=tuple(inf.providers),
                graph_optimization=inf.graph_optimization,
                blas_threads=inf.blas_threads,
            ),
            hygiene=HygieneSettings(
                max_chars=inf.max_chars,
                max_combining_run=inf.max_combining_run,
            ),
            batch=BatchSettings(
                max_batch_size=inf.max_batch_size,
                max_wait_ms=inf.max_wait_ms,
            ),
            parallel_runs=inf.parallel_runs,
        )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def config_model(registry: Registry | None = None) -> type[Config]:
    """:class:`Config` with a section per installed adapter (``telegram``, ``discord``...).

    Args:
        registry: The adapters; the installed ones (entry points) when ``None``.
    """
    from moodmoji.bot.registry import Registry

    return _composed(registry if registry is not None else Registry.installed())


@cache
def _composed(registry: Registry) -> type[Config]:
    sections: dict[str, Any] = {
        name: (section, Field(default_factory=section))
        for name, section in registry.sections().items()
    }
    clash = set(sections) & set(Config.model_fields)
    if clash:
        raise ValueError(f"adapter sections {sorted(clash)} clash with the core's sections")
    if not sections:
        return Config
    composed: type[Config] = create_model(
        "Config", __base__=Config, __module__=__name__, **sections
    )
    return composed


def default_config() -> Config:
    """The built-in defaults, installed adapters' sections included."""
    return config_model()()


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate the configuration file.

    Args:
        path: The YAML file. ``None`` reads ``./config.yaml`` when it exists and otherwise returns
            the built-in defaults; an explicit path must exist. An empty file means defaults.
        environ: Where ``${NAME}`` references are looked up, and where the per-key overrides
            ``MOODMOJI_<SECTION>__<KEY>`` (:mod:`bot.config_env`) are read, which win over the
            file; ``os.environ`` when ``None``.

    Returns:
        The validated, frozen configuration.

    Raises:
        ConfigError: The file is missing (explicit path), unreadable, not YAML, not a mapping at
            the top, references an unset variable, or fails validation. Only the first problem
            is described; the count of the others is appended.

    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if path is None:
        if not DEFAULT_CONFIG_PATH.is_file():
            overrides = _env_overrides(env)
            return _validate(overrides.values, overrides) if overrides.values else default_config()
        path = DEFAULT_CONFIG_PATH

    data = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), f"top level should be a mapping of sections, not {_yaml_kind(data)}"
        )

    problems: list[tuple[str, str]] = []
    expanded = _expand(data, (), env, problems)
    if problems:
        key, problem = problems[0]
        raise ConfigError(key, problem, more=len(problems) - 1)
    assert isinstance(expanded, dict)
    _drop_empty_sections(expanded)

    overrides = _env_overrides(env)
    config = _validate(overrides.merged_into(expanded), overrides)
    return _resolve_paths(config, path)


def _env_overrides(env: Mapping[str, str]) -> EnvOverrides:
    """The ``MOODMOJI_<SECTION>__<KEY>`` overrides in ``env``; a bad one is a ConfigError."""
    try:
        return read_env_overrides(config_model(), env)
    except EnvOverrideError as exc:
        raise ConfigError(_dotted(exc.path), f"{exc.problem} (from {exc.variable})") from None


def _validate(data: dict[str, Any], overrides: EnvOverrides) -> Config:
    """Validate the merged settings; a problem names the key, and the variable that set it."""
    try:
        return config_model().model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        key, problem = _describe(errors[0])
        variable = overrides.variable_at(errors[0]["loc"])
        if variable is not None:
            problem = f"{problem} (from {variable})"
        raise ConfigError(key, problem, more=len(errors) - 1) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate and non-string keys instead of guessing."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise _YamlKeyError(f"keys should be names, not {_yaml_kind(key)} (line {line})")
        if key in seen:
            raise _YamlKeyError(f"duplicate key {key!r} (line {line})")
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _YamlKeyError(Exception):
    """Raised inside the YAML loader; turned into a file-level :class:`ConfigError`."""


def _read_yaml(path: Path) -> object:
    """Parse ``path`` as YAML, turning every failure into a ConfigError naming the file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(name, "is a directory, not a file") from None
    except UnicodeDecodeError:
        raise ConfigError(name, "not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(name, f"cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except _YamlKeyError as exc:
        raise ConfigError(name, str(exc)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        what = f": {exc.problem}" if exc.problem else ""
        raise ConfigError(name, f"not valid YAML{where}{what}") from None
    except yaml.YAMLError:
        raise ConfigError(name, "not valid YAML") from None


def _yaml_kind(value: object) -> str:
    """Name a parsed YAML value's kind the way a config author thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


# ``$${`` (escape), a ``${...}`` reference, or an unterminated ``${``.
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME_DEFAULT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)


def _expand(
    value: object,
    loc: tuple[str | int, ...],
    env: Mapping[str, str],
    problems: list[tuple[str, str]],
) -> object:
    """Return ``value`` with ``${...}`` expanded in every string, recording problems by key."""
    if isinstance(value, dict):
        return {k: _expand(v, (*loc, k), env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*loc, i), env, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        try:
            return _expand_string(value, env)
        except ValueError as exc:
            problems.append((_dotted(loc), str(exc)))
    return value


def _expand_string(text: str, env: Mapping[str, str]) -> str:
    """Expand the references in one string; ValueError names the problem, never a value."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group(1)
        if body is None:
            raise ValueError("unterminated ${ (write $${ for a literal ${)")
        ref = _NAME_DEFAULT.fullmatch(body)
        if ref is None:
            raise ValueError("${...} should hold a variable name, optionally followed by :-default")
        name, default = ref.group(1), ref.group(2)
        if default is not None and "${" in default:
            raise ValueError(f"nested reference in the default of ${{{name}}} is not supported")
        found = env.get(name)
        if default is not None:
            return found if found else default  # like the shell: unset or empty -> default
        if found is None:
            raise ValueError(f"environment variable {name} is not set")
        return found

    return _REFERENCE.sub(replace, text)


def _drop_empty_sections(data: dict[Any, Any]) -> None:
    """Let ``section:`` with nothing under it (YAML null) mean the section's defaults."""
    for name in Config.model_fields:
        if name in data and data[name] is None:
            del data[name]


def _dotted(loc: tuple[str | int, ...]) -> str:
    """``("inference", "providers", 0)`` -> ``inference.providers[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "<top level>"


_MESSAGES = {
    "model_type": "Input should be a mapping of settings",
    "dict_type": "Input should be a mapping of settings",
    "tuple_type": "Input should be a list",
    "list_type": "Input should be a list",
    "finite_number": "Input should be a finite number",
}


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (dotted key, one-line problem) without echoing the input."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = str(error["type"])
    if kind == "extra_forbidden":
        return _dotted(loc), _unknown_key(loc)
    message = _MESSAGES.get(kind, str(error["msg"]))
    return _dotted(loc), " ".join(message.split())


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    """Describe an unknown key, suggesting the closest known one."""
    known = _fields_at(loc[:-1])
    wrong = str(loc[-1])
    close = difflib.get_close_matches(wrong, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key, did you mean {close[0]}?"
    if known:
        return f"unknown key (known keys: {', '.join(known)})"
    return "unknown key"


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """Return the field names of the section reached by following ``loc`` from Config."""
    model: type[BaseModel] = config_model()
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _resolve_paths(config: Config, config_path: Path) -> Config:
    """Expand ``~`` in ``model.path`` and ``store.path``; anchor relative ones at the file."""
    base = config_path.resolve().parent
    update: dict[str, ConfigSection] = {}
    model = {
        key: str(_anchor(value, base))
        for key, value in (
            ("path", config.model.path),
            ("multilingual_path", config.model.multilingual_path),
        )
        if value is not None
    }
    if model:
        update["model"] = config.model.model_copy(update=model)
    store: dict[str, str] = {}
    if config.store.path != ":memory:":
        store["path"] = str(_anchor(config.store.path, base))
    url = config.store.url
    if url is not None and "://" in url and url.split("://", 1)[0].lower() == "sqlite":
        from urllib.parse import quote

        from moodmoji.bot.store import sqlite_path

        if (file := sqlite_path(url)) != ":memory:":
            store["url"] = "sqlite:///" + quote(str(_anchor(file, base)))
    if store:
        update["store"] = config.store.model_copy(update=store)
    return config.model_copy(update=update)


def _anchor(raw: str, base: Path) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else base / path
