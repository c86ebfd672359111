"""Gateway sharding: the config and options, the sharded bot, and N processes on one fake.

The fake gateway shards as Discord does (``fake_discord/gateway.py``): IDENTIFY's
``shard: [id, count]``, each server's events only to shard ``(guild_id >> 22) % count``, one
IDENTIFY per rate-limit key per 5 s (opcode 9 beyond), 4011 for a session with too many
servers, and ``GET /gateway/bot`` with the recommended ``shards`` and ``session_start_limit``.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from moodmoji.adapters.common import answers
from moodmoji.adapters.discord.cog import MoodCog
from moodmoji.adapters.discord.command import ShardedStandaloneBot, build_bot, build_intents
from moodmoji.adapters.discord.settings import DiscordSettings
from moodmoji.adapters.discord.shards import (
    AUTO,
    IdentifyPacer,
    ShardError,
    ShardPlan,
    plan_shards,
    shard_of,
)
from moodmoji.bot.config import ConfigError, load_config
from moodmoji.bot.core import MoodBot
from moodmoji.bot.store import SettingsStore
from moodmoji.tools.cli import main
from tests.adapters.discord.conftest import HAPPY, JOB, TOKEN, World
from tests.adapters.discord.fake_discord import FakeDiscord, Message, User
from tests.adapters.discord.fake_discord.gateway import Session
from tests.adapters.discord.fake_discord.world import Guild
from tests.adapters.discord.test_cog_interactions import done
from tests.adapters.discord.test_command import ROOT, Child

# --------------------------------------------------------------------------------------------
# The config section and the command-line options
# --------------------------------------------------------------------------------------------


def config_error(tmp_path: Path, body: str) -> ConfigError:
    path = tmp_path / "config.yaml"
    path.write_text("discord:\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return caught.value


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        ("  shard_ids: [0]\n", "discord.shard_ids", "needs discord.shard_count"),
        (
            "  shard_count: 2\n  shard_ids: [0, 2]\n",
            "discord.shard_ids",
            "shard 2 is outside 0..1 (discord.shard_count is 2)",
        ),
        (
            "  shard_count: 4\n  shard_ids: [1, 3, 1]\n",
            "discord.shard_ids",
            "shard 1 is listed twice",
        ),
        ("  shard_count: 2\n  shard_ids: []\n", "discord.shard_ids", "at least one shard"),
        ("  shard_count: auto\n  shard_ids: [0]\n", "discord.shard_ids", "not auto"),
        ("  shard_count: 2\n  shard_ids: [-1]\n", "discord.shard_ids[0]", "greater than or equal"),
        ("  shard_count: 0\n", "discord.shard_count", "whole number of shards"),
        ("  shard_count: true\n", "discord.shard_count", "whole number of shards"),
        ("  shard_count: many\n", "discord.shard_count", "whole number of shards"),
        ("  shard_count: 1.5\n", "discord.shard_count", "whole number of shards"),
    ],
)
def test_bad_shard_settings_name_their_key(
    tmp_path: Path, body: str, key: str, problem: str
) -> None:
    err = config_error(tmp_path, body)
    assert err.key == key
    assert problem in err.problem
    assert err.more == 0  # one problem, not one per member of the count's union


@pytest.mark.parametrize(
    ("body", "count", "ids"),
    [
        ("  message_content: true\n", None, None),
        ("  shard_count: null\n", None, None),
        ("  shard_count: auto\n", AUTO, None),
        ("  shard_count: AUTO\n", AUTO, None),
        ("  shard_count: 4\n", 4, None),
        ("  shard_count: '4'\n  shard_ids: [3, 0]\n", 4, (3, 0)),
    ],
)
def test_good_shard_settings(
    tmp_path: Path, body: str, count: int | str | None, ids: tuple[int, ...] | None
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("discord:\n" + body, encoding="utf-8")
    section = load_config(path, environ={}).discord  # type: ignore[attr-defined]
    assert (section.shard_count, section.shard_ids) == (count, ids)


def test_shard_settings_from_the_environment_are_checked_the_same() -> None:
    env = {"MOODMOJI_DISCORD__SHARD_COUNT": "4", "MOODMOJI_DISCORD__SHARD_IDS": "[2, 3]"}
    section = load_config(None, environ=env).discord  # type: ignore[attr-defined]
    assert (section.shard_count, section.shard_ids) == (4, (2, 3))
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MOODMOJI_DISCORD__SHARD_IDS": "[2]"})
    assert caught.value.key == "discord.shard_ids"
    assert "(from MOODMOJI_DISCORD__SHARD_IDS)" in str(caught.value)


def test_the_command_line_overrides_the_file_and_is_checked_against_it() -> None:
    assert plan_shards(None, None) == ShardPlan()
    assert plan_shards(4, (0, 1), count_arg=None, ids_arg=(2, 3)) == ShardPlan(4, (2, 3))
    assert plan_shards(4, (3,), count_arg=8) == ShardPlan(8, (3,))
    assert plan_shards(None, None, count_arg=AUTO) == ShardPlan(AUTO, None)
    with pytest.raises(ShardError) as caught:
        plan_shards(4, (3,), count_arg=2)
    assert (caught.value.key, caught.value.problem) == (
        "discord.shard_ids",
        "shard 3 is outside 0..1 (--shard-count is 2)",
    )
    with pytest.raises(ShardError) as caught:
        plan_shards(None, None, ids_arg=(0,))
    assert caught.value.key == "--shard-ids"
    assert "needs --shard-count (or discord.shard_count)" in caught.value.problem
    assert ShardPlan().describe() == "one connection (not sharded)"
    assert ShardPlan(4, (1, 3)).describe() == "shards 1, 3 of 4"
    assert ShardPlan(2).describe() == "shards 0, 1 of 2"
    assert ShardPlan(4, (2,)).describe() == "shard 2 of 4"


def write_config(
    tmp_path: Path, *, shards: str = "", model: Path | None = None, store: Path | None = None
) -> Path:
    lines = [
        "logging:",
        "  level: INFO",
        "store:",
        f"  path: {store or tmp_path / 's.sqlite3'}",
        "bot:",  # no pacing: every message that deserves a reaction gets one
        "  chat_cooldown_s: 0",
        "  user_cooldown_s: 0",
        "  budget_reactions: 10000",
        "  budget_share: 1.0",
        "discord:",
        "  workers: 1",  # one message at a time: an earlier message is done before a later one
        *(f"  {line}" for line in shards.splitlines()),
    ]
    if model is not None:
        lines += ["model:", f"  path: {model}"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("shards", "args", "line"),
    [
        (
            "shard_count: 2",
            ["--shard-ids", "0,2"],
            "moodmoji: error: --shard-ids: shard 2 is outside 0..1 (discord.shard_count is 2)",
        ),
        (
            "shard_count: 4\nshard_ids: [3]",
            ["--shard-count", "2"],
            "moodmoji: error: discord.shard_ids: shard 3 is outside 0..1 (--shard-count is 2)",
        ),
        (
            "shard_ids: [1]",
            [],
            "moodmoji: config error: discord.shard_ids: needs discord.shard_count, the total "
            "number of shards across every process",
        ),
    ],
)
def test_shards_that_cannot_work_exit_2_with_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    shards: str,
    args: list[str],
    line: str,
) -> None:
    monkeypatch.setenv("MOODMOJI_DISCORD_TOKEN", TOKEN)
    config = write_config(tmp_path, shards=shards)
    assert main(["--config", str(config), "discord", *args]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [line]


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--shard-ids", "0;1"], "--shard-ids"), (["--shard-count", "0"], "--shard-count")],
)
def test_a_malformed_option_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], option: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--config", str(write_config(tmp_path)), "discord", *args])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# Identify pacing and Discord's formula
# --------------------------------------------------------------------------------------------


async def test_identifies_are_paced_one_per_rate_limit_key_per_five_seconds() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    one = IdentifyPacer(1, clock=lambda: now[0], sleep=sleep)
    assert [await one.wait(shard) for shard in (0, 1, 2)] == [0.0, 5.0, 10.0]
    sixteen = IdentifyPacer(16, clock=lambda: now[0], sleep=sleep)
    # Shards 0..15 start together; 16 shares key 0 with shard 0 and waits for the next window.
    delays = [await sixteen.wait(shard) for shard in range(17)]
    assert delays == [0.0] * 16 + [5.0]
    now[0] += 5.0
    assert await sixteen.wait(32) == 5.0  # key 0 is booked until 110 by shard 16
    assert waits == [5.0, 10.0, 5.0, 5.0]


def test_the_fake_places_servers_on_the_shard_discord_would() -> None:
    fake = FakeDiscord(TOKEN)
    for count in (1, 2, 3, 16):
        for shard_id in range(count):
            guild = fake.add_guild(f"g{shard_id}-{count}", shard=(shard_id, count))
            assert shard_of(guild.id, count) == shard_id == (guild.id >> 22) % count


# --------------------------------------------------------------------------------------------
# The sharded bot, in this process
# --------------------------------------------------------------------------------------------


@asynccontextmanager
async def sharded(
    moodbot: MoodBot, plan: ShardPlan, *, sync: bool = False
) -> AsyncIterator[ShardedStandaloneBot]:
    """The standalone sharded bot, logged in and connected to the fake (all its shards ready)."""
    bot = ShardedStandaloneBot(
        moodbot,
        DiscordSettings(queue_size=32, workers=1),
        intents=build_intents(True),
        plan=plan,
        sync=sync,
        guild_ready_timeout=0.05,
    )
    task: asyncio.Task[None] | None = None
    try:
        await bot.login(TOKEN)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        yield bot
    finally:
        await bot.close()
        if task is not None:
            await asyncio.wait_for(task, 20)


def member_everywhere(fake: FakeDiscord, users: list[User], guilds: list[Guild]) -> None:
    for guild in guilds:
        for user in users:
            fake.add_member(user, guild=guild)


def puts_on(fake: FakeDiscord, message: Message) -> list[int]:
    """The statuses of the reaction PUTs on one message."""
    return [r.status for r in fake.reaction_puts() if f"/messages/{message.id}/" in r.path]


async def reacted_once(fake: FakeDiscord, message: Message) -> None:
    await fake.wait_for(lambda: fake.reactions_on(message), timeout=30)
    assert puts_on(fake, message) == [204]


def identify_shards(fake: FakeDiscord) -> list[list[int] | None]:
    return [p["d"].get("shard") for p in fake.received(2)]


def accepted_identifies(fake: FakeDiscord) -> list[list[int] | None]:
    """The shards of the IDENTIFYs the gateway accepted (those not refused by its window)."""
    accepted = identify_shards(fake)
    for refused in fake.gateway.rate_limited_identifies:
        accepted.remove(refused)
    return accepted


def started(fake: FakeDiscord, shard_id: int, shard_count: int) -> float:
    session = fake.session_of(shard_id, shard_count)
    assert session is not None
    return session.started


async def settled(bot: ShardedStandaloneBot, handled: int) -> None:
    """Waits until the Cog's work queue has finished ``handled`` messages in all."""
    cog = bot.get_cog("moodmoji")
    assert isinstance(cog, MoodCog)
    for _ in range(1500):
        stats = cog.queue.stats
        if stats.processed + stats.failed >= handled and stats.length == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"work queue did not settle: {cog.queue.stats}")


def interactions_of(session: Session | None) -> set[str]:
    """The ids of the interactions a gateway session was sent."""
    assert session is not None
    return {e["d"]["id"] for e in session.events if e["t"] == "INTERACTION_CREATE"}


async def test_commands_and_reactions_work_on_every_shard_of_a_sharded_bot(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    fake.gateway.max_concurrency = 2  # both shards identify at once
    left = fake.add_guild("Left", shard=(0, 2))
    right = fake.add_guild("Right", shard=(1, 2))
    member_everywhere(fake, [world.alice, world.bob], [left, right])
    left_general, right_general = left.channel_named("general"), right.channel_named("general")

    async with sharded(moodbot, ShardPlan(2), sync=True) as bot:
        assert sorted(bot.shards) == [0, 1]
        assert {left.id, right.id} <= {g.id for g in bot.guilds}
        before = await fake.post(world.alice, left_general, HAPPY)
        await reacted_once(fake, before)
        await settled(bot, 1)
        # A manager's setting on shard 1; the mood of a channel on shard 0.
        mode = await fake.use_slash_command(
            fake.owner, right_general, "moodmoji mode", {"mode": "off"}
        )
        mode_text = await done(world, mode)
        mood = await fake.use_slash_command(world.bob, left_general, "mood")
        mood_text = await done(world, mood)
        shown = await fake.use_slash_command(fake.owner, right_general, "moodmoji show")
        show_text = await done(world, shown)
        quiet = await fake.post(world.bob, right_general, JOB)  # mode off there now
        still = await fake.post(world.bob, left_general, JOB)  # shard 0 reacts as before
        await reacted_once(fake, still)
        await settled(bot, 3)

    assert mode_text == "Done: mode = off in this channel."
    assert "mode: off *" in show_text.splitlines()
    assert mood_text.startswith("Mood of this chat over the last 7 days (1 message")
    assert "joy" in mood_text
    assert store.chat_overrides("discord", right_general.id) == {"mode": "off"}
    assert fake.reactions_on(quiet) == {} and fake.reaction_puts(right_general.id) == []
    # Each interaction went to the session of its server's shard, and only there.
    assert interactions_of(fake.session_of(0, 2)) == {str(mood.id)}
    assert interactions_of(fake.session_of(1, 2)) == {str(mode.id), str(shown.id)}
    assert sorted(identify_shards(fake), key=str) == [[0, 2], [1, 2]]
    # max_concurrency 2: shards 0 and 1 have different keys and identify together.
    assert fake.gateway.rate_limited_identifies == []
    assert abs(started(fake, 1, 2) - started(fake, 0, 2)) < 4.0
    assert [r.status for r in fake.requests_to("GET", "/gateway/bot")] == [200]


async def test_a_shard_that_reconnects_loses_no_later_message(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    fake.gateway.max_concurrency = 2
    left = fake.add_guild("Left", shard=(0, 2))
    right = fake.add_guild("Right", shard=(1, 2))
    member_everywhere(fake, [world.alice, world.bob], [left, right])
    left_general, right_general = left.channel_named("general"), right.channel_named("general")

    async with sharded(moodbot, ShardPlan(2), sync=False):
        shard0, shard1 = fake.session_of(0, 2), fake.session_of(1, 2)
        assert shard0 is not None and shard1 is not None
        # Shard 1's socket drops: it RESUMEs, and what happened meanwhile is replayed.
        await fake.drop(session=shard1)
        during = await fake.post(world.alice, right_general, HAPPY)
        other = await fake.post(world.bob, left_general, HAPPY)  # shard 0 carries on
        await reacted_once(fake, other)
        await fake.wait_for(lambda: fake.received(6))
        await reacted_once(fake, during)
        after_resume = await fake.post(world.bob, right_general, JOB)
        await reacted_once(fake, after_resume)

        # Shard 0's session is lost for good: its RESUME meets opcode 9 and it IDENTIFYs anew.
        await fake.drop(session=shard0, invalidate=True)
        await fake.wait_for(lambda: fake.session_of(0, 2) not in (None, shard0), timeout=30)
        renewed = fake.session_of(0, 2)
        assert renewed is not None
        await fake.wait_for(
            lambda: any(e["t"] == "GUILD_CREATE" for e in renewed.events), timeout=10
        )
        later = [
            await fake.post(world.alice, left_general, JOB),
            await fake.post(world.bob, left_general, HAPPY),
            await fake.post(world.alice, right_general, HAPPY),
        ]
        for message in later:
            await reacted_once(fake, message)

    resumes = fake.received(6)
    assert [r["d"]["session_id"] for r in resumes] == [shard1.id, shard0.id]
    assert shard0.invalid and not shard1.invalid
    # Shard 0 identified twice (start, after the invalid session); shard 1 once. On a fast
    # run the second IDENTIFY can land inside Discord's 5 s window and be refused with
    # opcode 9; the client then waits and identifies again, so count the accepted ones.
    assert sorted(accepted_identifies(fake), key=str) == [[0, 2], [0, 2], [1, 2]]
    assert all(shard == [0, 2] for shard in fake.gateway.rate_limited_identifies)
    assert len(fake.reaction_puts()) == 6  # each message once, none twice


async def test_two_processes_identifying_together_are_paced_by_discord(
    world: World, moodbot: MoodBot
) -> None:
    # Two processes (here: two bots in one loop) start shards 0 and 1 of 2 at the same moment.
    # With max_concurrency 1 both shards share rate-limit key 0: the second IDENTIFY gets
    # opcode 9, and that shard identifies again after the 5 s window. Both end up serving.
    fake = world.fake
    left = fake.add_guild("Left", shard=(0, 2))
    right = fake.add_guild("Right", shard=(1, 2))
    member_everywhere(fake, [world.alice], [left, right])

    async def both() -> None:
        async with sharded(moodbot, ShardPlan(2, (0,))), sharded(moodbot, ShardPlan(2, (1,))):
            first = await fake.post(world.alice, left.channel_named("general"), HAPPY)
            second = await fake.post(world.alice, right.channel_named("general"), HAPPY)
            await reacted_once(fake, first)
            await reacted_once(fake, second)

    await asyncio.wait_for(both(), 60)
    assert fake.gateway.rate_limited_identifies == [[1, 2]]
    assert started(fake, 1, 2) - started(fake, 0, 2) >= 4.9
    assert sorted(identify_shards(fake), key=str) == [[0, 2], [1, 2], [1, 2]]


async def test_one_process_with_every_shard_identifies_them_five_seconds_apart(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake  # max_concurrency 1: one IDENTIFY per 5 s
    async with sharded(moodbot, ShardPlan(2)):
        pass
    assert identify_shards(fake) == [[0, 2], [1, 2]]
    assert fake.gateway.rate_limited_identifies == []  # paced by the bot, not refused
    assert started(fake, 1, 2) - started(fake, 0, 2) >= 4.9


async def test_auto_takes_the_shard_count_discord_recommends(
    world: World, moodbot: MoodBot
) -> None:
    fake = world.fake
    fake.gateway.guilds_per_shard = 2  # so that six servers need three shards
    fake.gateway.max_concurrency = 4
    main_shard = shard_of(fake.guild.id, 3)
    places = [0, 1, 2, *(k for k in range(3) if k != main_shard)]  # two servers per shard
    extra = [fake.add_guild(f"Guild {i}", shard=(k, 3)) for i, k in enumerate(places)]
    member_everywhere(fake, [world.alice], extra)
    assert fake.recommended_shards == 3
    async with sharded(moodbot, ShardPlan(AUTO)) as bot:
        assert bot.shard_count == 3
        for guild in extra:
            await reacted_once(
                fake, await fake.post(world.alice, guild.channel_named("general"), HAPPY)
            )

    assert sorted(identify_shards(fake), key=str) == [[0, 3], [1, 3], [2, 3]]
    assert len(fake.requests_to("GET", "/gateway/bot")) == 2  # the limit, then discord.py's count


def test_build_bot_shards_only_with_a_shard_count(moodbot: MoodBot) -> None:
    intents = build_intents(True)
    plain = build_bot(moodbot, DiscordSettings(), intents=intents, plan=ShardPlan())
    assert type(plain).__name__ == "StandaloneBot"
    one_of_many = build_bot(moodbot, DiscordSettings(), intents=intents, plan=ShardPlan(4, (2,)))
    assert isinstance(one_of_many, ShardedStandaloneBot)
    assert (one_of_many.shard_count, one_of_many.shard_ids) == (4, [2])


# --------------------------------------------------------------------------------------------
# `moodmoji discord` in N processes
# --------------------------------------------------------------------------------------------


async def start(world: World, config: Path, label: str, *args: str) -> Child:
    """``moodmoji discord`` in a subprocess whose REST requests the fake labels ``label``."""
    log = config.parent / f"{label}.log"
    env = os.environ | {"MOODMOJI_DISCORD_TOKEN": TOKEN}
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.adapters.discord.launch",
            world.fake.base_url_for(label),
            world.fake.gateway_url,
            "--config",
            str(config),
            "discord",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    return Child(process, log)


def by_whom(fake: FakeDiscord, message: Message) -> list[str | None]:
    return [r.client for r in fake.reaction_puts() if f"/messages/{message.id}/" in r.path]


async def test_two_processes_split_the_servers_and_answer_each_message_once(
    world: World, tmp_path: Path
) -> None:
    fake = world.fake
    fake.gateway.max_concurrency = 2
    guilds = {
        0: [fake.add_guild("Zero A", shard=(0, 2)), fake.add_guild("Zero B", shard=(0, 2))],
        1: [fake.add_guild("One A", shard=(1, 2)), fake.add_guild("One B", shard=(1, 2))],
    }
    everyone = [g for shard in guilds.values() for g in shard]
    member_everywhere(fake, [world.alice, world.bob], everyone)
    store = tmp_path / "shared.sqlite3"
    configs = []
    for shard_id in (0, 1):
        folder = tmp_path / f"p{shard_id}"
        folder.mkdir()
        configs.append(write_config(folder, shards="shard_count: 2", store=store))
    zero = await start(world, configs[0], "p0", "--shard-ids", "0", "--sync")
    one = await start(world, configs[1], "p1", "--shard-ids", "1")
    try:
        await fake.wait_for(
            lambda: "shard 0 of 2 ready" in zero.stderr and "shard 1 of 2 ready" in one.stderr,
            timeout=120,
        )
        await fake.wait_for(lambda: fake.global_commands, timeout=30)
        posted: list[tuple[int, Message]] = []
        for shard_id, shard_guilds in guilds.items():
            for guild in shard_guilds:
                channel = guild.channel_named("general")
                posted.append((shard_id, await fake.post(world.alice, channel, HAPPY)))
                posted.append((shard_id, await fake.post(world.bob, channel, JOB)))
        for _, message in posted:
            await fake.wait_for(functools.partial(fake.reactions_on, message), timeout=60)

        # One store for both: alice opts out through process 0 (a server on shard 0), and
        # process 1 no longer reacts to her on shard 1.
        optout = await fake.use_slash_command(
            world.alice, guilds[0][0].channel_named("general"), "optout"
        )
        assert await done(world, optout) == answers.OPT_OUT_USER
        channel = guilds[1][1].channel_named("general")
        ignored = await fake.post(world.alice, channel, HAPPY)
        marker = await fake.post(world.bob, channel, HAPPY)  # one worker: handled after hers
        await fake.wait_for(lambda: fake.reactions_on(marker), timeout=60)

        # Process 1's shard drops; it resumes and what was said meanwhile is answered once.
        session = fake.session_of(1, 2)
        assert session is not None
        await fake.drop(session=session)
        meanwhile = await fake.post(world.bob, guilds[1][0].channel_named("general"), JOB)
        await fake.wait_for(lambda: fake.received(6), timeout=30)
        await fake.wait_for(lambda: fake.reactions_on(meanwhile), timeout=60)

        statuses = await asyncio.gather(zero.stop(signal.SIGTERM), one.stop(signal.SIGTERM))
    finally:
        zero.kill()
        one.kill()

    assert list(statuses) == [0, 0], zero.stderr + one.stderr
    for shard_id, message in [*posted, (1, marker), (1, meanwhile)]:
        assert puts_on(fake, message) == [204], message
        assert by_whom(fake, message) == [f"p{shard_id}"]
    assert puts_on(fake, ignored) == []
    (callback,) = [r for r in fake.requests if r.path.endswith("/callback")]
    assert callback.client == "p0"
    assert sorted(identify_shards(fake), key=str) == [[0, 2], [1, 2]]
    for child in (zero, one):
        log = child.stderr
        assert "Traceback" not in log and TOKEN not in log
        assert "birthday" not in log and "so happy" not in log
    assert "running shard 0 of 2" in zero.stderr and "running shard 1 of 2" in one.stderr
    assert "session starts left" in zero.stderr


async def test_an_unsharded_bot_with_too_many_servers_is_told_to_shard(
    world: World, tmp_path: Path, tiny_bundle: Path
) -> None:
    fake = world.fake
    fake.gateway.guilds_per_shard = 1
    fake.add_guild("Second")
    child = await start(world, write_config(tmp_path, model=tiny_bundle), "solo")
    try:
        status = await child.wait()
    finally:
        child.kill()
    assert status == 1
    assert "moodmoji: error: Discord requires sharding for this many servers" in child.stderr
    assert "Traceback" not in child.stderr
