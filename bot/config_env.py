"""Per-key configuration overrides from the environment: ``MOODMOJI_<SECTION>__<KEY>=value``.

A container sets single settings without a config file of its own, for example
``MOODMOJI_BOT__REACTION_THRESHOLD=0.7``, ``MOODMOJI_STORE__PATH=/data/m.sqlite3`` or
``MOODMOJI_HTTP__PORT=9000``. Names are matched without regard to case; ``__`` separates the
section from the key (and a key from the entry of a mapping:
``MOODMOJI_BOT__CUSTOM_EMOJI__JOY``). A list or mapping may also be given whole, as JSON:
``MOODMOJI_INFERENCE__PROVIDERS='["CUDAExecutionProvider", "CPUExecutionProvider"]'``.

Only names with the ``__`` delimiter count, so the variables that hold tokens or secrets
(``MOODMOJI_TELEGRAM_TOKEN``, ``MOODMOJI_MODEL`` read through ``${...}``) are never taken for
settings. The environment is turned into a nested mapping by pydantic-settings'
:class:`~pydantic_settings.EnvSettingsSource`; :func:`bot.config.load_config` merges that mapping
over the YAML file's and validates the result as one, so a value from the environment is checked
exactly like one from the file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, create_model
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

__all__ = ["ENV_DELIMITER", "ENV_PREFIX", "EnvOverrideError", "EnvOverrides", "read_env_overrides"]

ENV_PREFIX = "MOODMOJI_"
"""What every override's name starts with (any case)."""

ENV_DELIMITER = "__"
"""What separates the section, the key and a mapping's entry in an override's name."""


class EnvOverrideError(Exception):
    """An override variable cannot be read (its name, or the JSON a list or mapping needs).

    Attributes:
        path: The setting it names, as lower-case parts (``("bot", "custom_emoji")``).
        variable: The variable's name as spelled in the environment.
        problem: What is wrong; never the value.

    """

    def __init__(self, path: tuple[str, ...], variable: str, problem: str) -> None:
        self.path = path
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


@dataclass(frozen=True)
class EnvOverrides:
    """The overrides found in an environment.

    Attributes:
        values: Nested like the YAML file (``{"bot": {"reaction_threshold": "0.7"}}``); values
            are the variables' strings, or what their JSON decoded to. Not yet validated.
        variables: The setting each variable names (lower-case parts) -> the variable's name.

    """

    values: dict[str, Any] = field(default_factory=dict)
    variables: dict[tuple[str, ...], str] = field(default_factory=dict)

    def variable_at(self, loc: Sequence[str | int]) -> str | None:
        """The variable that set the setting at ``loc`` (a validation error's location), if any.

        A variable naming ``loc`` itself or a section or mapping above it wins; otherwise one
        that set something below ``loc`` (an entry of a mapping whose check failed as a whole).
        """
        where = tuple(str(part) for part in loc)
        above = [p for p in self.variables if where[: len(p)] == p]
        if above:
            return self.variables[max(above, key=len)]
        below = sorted(p for p in self.variables if p[: len(where)] == where)
        return self.variables[below[0]] if below else None

    def merged_into(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` (the file's settings) with these overrides on top; the environment wins."""
        return _merge(data, self.values)


def read_env_overrides(model: type[BaseModel], environ: Mapping[str, str]) -> EnvOverrides:
    """Collect the ``MOODMOJI_<SECTION>__<KEY>`` variables of ``environ`` for ``model``.

    Args:
        model: The configuration model whose fields are the sections (:class:`bot.config.Config`).
        environ: The environment.

    Returns:
        The overrides, not yet validated. A section that ``model`` lacks is kept as it is, so
        that validation reports it as an unknown key like one in the file.

    Raises:
        EnvOverrideError: A name with an empty part (``MOODMOJI_BOT__``), or a value that should
            be JSON (a whole list or mapping) and is not.

    """
    values: dict[str, Any] = {}
    variables: dict[tuple[str, ...], str] = {}
    for name in sorted(n for n in environ if _is_override(n)):
        path = tuple(name[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER))
        if not all(path):
            raise EnvOverrideError(
                path, name, f"should read {ENV_PREFIX}<SECTION>{ENV_DELIMITER}<KEY>"
            )
        if path[0] in model.model_fields:
            source = _MappingEnvSource(_settings_class(model), {name: environ[name]})
            try:
                value = source()
            except SettingsError:
                raise EnvOverrideError(
                    path,
                    name,
                    'should be JSON for this setting, like ["a", "b"] for a list or '
                    '{"key": "value"} for a mapping',
                ) from None
        else:
            value = _nest(path, environ[name])
        values = _merge(values, value)
        variables[path] = name
    return EnvOverrides(values, variables)


def _is_override(name: str) -> bool:
    return name.upper().startswith(ENV_PREFIX) and ENV_DELIMITER in name[len(ENV_PREFIX) :]


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source, reading a given mapping instead of ``os.environ``."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(
            settings_cls,
            case_sensitive=False,
            env_prefix=ENV_PREFIX,
            env_nested_delimiter=ENV_DELIMITER,
            env_ignore_empty=False,
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


@functools.cache
def _settings_class(model: type[BaseModel]) -> type[BaseSettings]:
    """A settings class with ``model``'s sections, for the source to find the nested fields.

    It is never instantiated: validation stays with ``model``, after the merge with the file.
    """
    sections: dict[str, Any] = {
        name: (info.annotation, None) for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__}Environment", __base__=BaseSettings, **sections)


def _nest(path: tuple[str, ...], value: str) -> dict[str, Any]:
    out: dict[str, Any] = {path[-1]: value}
    for part in reversed(path[:-1]):
        out = {part: out}
    return out


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``update`` on top: mappings are merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in update.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = _merge(below, value)
        else:
            out[key] = value
    return out
