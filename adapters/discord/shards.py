"""Gateway sharding: which of the bot's shards this process runs, and when each may IDENTIFY.

Discord sends a server's events to the session identified as shard
``(guild_id >> 22) % shard_count`` (direct messages to shard 0 only), so N processes, each
running its own shard ids of one shard count, split the servers between them with nothing
shared but the settings store. A bot that is not sharded opens one connection and gets every
server (Discord requires sharding from 2,500 servers per connection: close code 4011).

Shards of one bot may IDENTIFY ``max_concurrency`` at a time (from ``GET /gateway/bot``): one
per rate-limit key ``shard_id % max_concurrency`` every 5 seconds (:class:`IdentifyPacer`).

Importable without discord.py: the config section validates its keys with it.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUTO",
    "IDENTIFY_INTERVAL_S",
    "IdentifyPacer",
    "ShardCount",
    "ShardError",
    "ShardPlan",
    "parse_shard_count",
    "parse_shard_ids",
    "plan_shards",
    "rate_limit_key",
    "shard_count_input",
    "shard_ids_problem",
    "shard_of",
]

#: ``shard_count: auto``: as many shards as ``GET /gateway/bot`` recommends, all in this process.
AUTO: Literal["auto"] = "auto"
#: A shard count: a number, ``auto``, or ``None`` (one connection, not sharded).
ShardCount = int | Literal["auto"] | None
#: Discord's identify window: each rate-limit key may IDENTIFY once per this many seconds.
IDENTIFY_INTERVAL_S = 5.0

_COUNT_PROBLEM = "should be a whole number of shards (1 or more), auto, or null"


class ShardError(ValueError):
    """Shard settings that cannot work together.

    Attributes:
        key: The setting at fault (``discord.shard_ids`` or ``--shard-ids``).
        problem: What is wrong with it.

    """

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to (Discord's sharding formula)."""
    return (guild_id >> 22) % shard_count


def rate_limit_key(shard_id: int, max_concurrency: int) -> int:
    """The identify bucket of a shard: shards with different keys may IDENTIFY together."""
    return shard_id % max(1, max_concurrency)


def shard_count_input(value: object) -> ShardCount:
    """Reads a shard count from the config file, the environment or the command line.

    Returns:
        A positive number, ``"auto"``, or ``None``.

    Raises:
        ValueError: Anything else (``true``, ``0``, ``four``, ``2.5``).

    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == AUTO:
            return AUTO
        if text.isdigit():
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(_COUNT_PROBLEM)
    return value


def shard_ids_problem(ids: Iterable[int], count: ShardCount, *, count_key: str) -> str | None:
    """What is wrong with running shards ``ids`` of ``count``, or ``None`` when they fit.

    Args:
        ids: The shard ids this process would run.
        count: The shard count they belong to.
        count_key: How to name the count in the answer (``discord.shard_count``).

    """
    chosen = list(ids)
    if count is None:
        return f"needs {count_key}, the total number of shards across every process"
    if count == AUTO:
        return f"needs a number in {count_key}, not auto (auto runs every shard here)"
    if not chosen:
        return "should list at least one shard (null runs all of them)"
    seen: set[int] = set()
    for shard_id in chosen:
        if not 0 <= shard_id < count:
            return f"shard {shard_id} is outside 0..{count - 1} ({count_key} is {count})"
        if shard_id in seen:
            return f"shard {shard_id} is listed twice"
        seen.add(shard_id)
    return None


@dataclass(frozen=True)
class ShardPlan:
    """The shards one process runs.

    Attributes:
        count: The bot's shard count: a number, ``"auto"`` (``GET /gateway/bot`` says, every
            shard in this process) or ``None`` (one connection, not sharded).
        ids: The shard ids this process runs, or ``None`` for all of them (``0..count-1``).

    """

    count: ShardCount = None
    ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        shard_count_input(self.count)
        if self.ids is not None:
            problem = shard_ids_problem(self.ids, self.count, count_key="shard_count")
            if problem is not None:
                raise ValueError(f"shard_ids {problem}")

    @property
    def sharded(self) -> bool:
        """Whether the bot identifies with shard ids (``AutoShardedBot``)."""
        return self.count is not None

    def describe(self) -> str:
        """One line for the log: which shards this process runs."""
        if self.count is None:
            return "one connection (not sharded)"
        if self.count == AUTO:
            return "every shard, as many as Discord recommends"
        ids = self.ids if self.ids is not None else tuple(range(self.count))
        listed = ", ".join(str(i) for i in ids)
        return f"shard{'s' if len(ids) > 1 else ''} {listed} of {self.count}"


def plan_shards(
    count: ShardCount,
    ids: Iterable[int] | None,
    *,
    count_arg: ShardCount = None,
    ids_arg: Iterable[int] | None = None,
) -> ShardPlan:
    """This process's shards: the config file's, each overridden by its command-line option.

    Args:
        count: ``discord.shard_count``.
        ids: ``discord.shard_ids``.
        count_arg: ``--shard-count``, when given.
        ids_arg: ``--shard-ids``, when given.

    Raises:
        ShardError: The ids do not fit the count; names the setting or option at fault.

    """
    count_key = "--shard-count" if count_arg is not None else "discord.shard_count"
    final_count = count_arg if count_arg is not None else count
    chosen = tuple(ids_arg) if ids_arg is not None else (tuple(ids) if ids is not None else None)
    if chosen is not None:
        ids_key = "--shard-ids" if ids_arg is not None else "discord.shard_ids"
        if final_count is None and ids_arg is not None:
            count_key = "--shard-count (or discord.shard_count)"
        problem = shard_ids_problem(chosen, final_count, count_key=count_key)
        if problem is not None:
            raise ShardError(ids_key, problem)
    return ShardPlan(final_count, chosen)


def parse_shard_count(text: str) -> int | Literal["auto"]:
    """``--shard-count``: a number of shards (1 or more) or ``auto``."""
    try:
        count = shard_count_input(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "should be a whole number of shards (1 or more) or auto"
        ) from None
    assert count is not None  # a string is never None
    return count


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """``--shard-ids 0,1``: comma-separated shard ids (0 or more each)."""
    parts = [part.strip() for part in text.split(",")]
    if not parts or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError("should be shard ids separated by commas, like 0,1")
    return tuple(int(part) for part in parts)


class IdentifyPacer:
    """Spaces IDENTIFYs as Discord requires: one per rate-limit key per 5 seconds.

    discord.py's own ``before_identify_hook`` sleeps 5 s before every IDENTIFY but the first;
    this lets shards of different keys (``shard_id % max_concurrency``) start together, as
    Discord allows a bot with a ``max_concurrency`` above 1. It paces this process only: a
    shard of another process that IDENTIFYs in the same window is refused by Discord (opcode 9,
    Invalid Session), and discord.py identifies it again after its 5 s.

    Args:
        max_concurrency: IDENTIFYs allowed per window (``session_start_limit``); 1 for most bots.
        interval_s: The window.
        clock: Monotonic seconds.
        sleep: Waits that many seconds.

    """

    def __init__(
        self,
        max_concurrency: int = 1,
        *,
        interval_s: float = IDENTIFY_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self.interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}

    async def wait(self, shard_id: int) -> float:
        """Waits until ``shard_id`` may IDENTIFY and books its slot.

        Returns:
            The seconds waited.

        """
        key = rate_limit_key(shard_id, self.max_concurrency)
        now = self._clock()
        start = max(now, self._next.get(key, now))
        self._next[key] = start + self.interval_s
        delay = start - now
        if delay > 0:
            await self._sleep(delay)
        return delay
