"""Answers in the user's Discord locale and localised slash commands, against the fake Discord."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from moodmoji.adapters.common import answers
from moodmoji.adapters.common.i18n import LANGUAGES, texts_for
from moodmoji.adapters.discord import texts
from moodmoji.adapters.discord.cog import SUGGEST_MENU, MoodCog
from moodmoji.adapters.discord.translator import MoodTranslator, described
from moodmoji.bot.core import MoodBot
from moodmoji.bot.messages import ChatContext, IncomingMessage, Platform
from moodmoji.bot.store import SettingsStore
from tests.adapters.discord.conftest import HAPPY, RELAXED, World, make_discord_bot, running
from tests.adapters.discord.test_cog_interactions import done
from tests.conftest import BotFactory

PT, ES, UK = texts_for("pt"), texts_for("es"), texts_for("uk")

#: Discord's locales of the catalogue languages (English is Discord's default text).
LOCALISED = {
    "es-ES": "es",
    "es-419": "es",
    "pt-BR": "pt",
    "de": "de",
    "fr": "fr",
    "it": "it",
    "ru": "ru",
    "tr": "tr",
    "pl": "pl",
    "uk": "uk",
}


def command(world: World, name: str, type_: int = 1) -> dict[str, Any]:
    """A command as the bot synced it (what Discord stored)."""
    return next(
        c for c in world.fake.global_commands if c["name"] == name and c.get("type", 1) == type_
    )


def localised(key: str) -> dict[str, str]:
    """What ``*_localizations`` must hold for catalogue message ``key``."""
    return {locale: texts_for(language).template(key) for locale, language in LOCALISED.items()}


async def test_slash_commands_answer_in_the_users_locale(
    world: World, moodbot: MoodBot, store: SettingsStore
) -> None:
    fake = world.fake
    store.record_mood("discord", world.random.id, "joy", count=2)
    store.record_mood("discord", world.random.id, "sadness", count=1)
    async with running(moodbot):
        mood = await fake.use_slash_command(world.bob, world.random, "mood", locale="pt-BR")
        mood_text = await done(world, mood)
        out = await fake.use_slash_command(world.alice, world.general, "optout", locale="pt-BR")
        out_text = await done(world, out)
        refused = await fake.use_slash_command(
            world.bob,
            world.general,
            "moodmoji mode",
            {"mode": "off"},
            server_override=True,
            locale="uk",
        )
        refused_text = await done(world, refused)
        japanese = await fake.use_slash_command(world.bob, world.custom, "mood", locale="ja")
        japanese_text = await done(world, japanese)

    counts = {"day": {"joy": 2, "sadness": 1}}
    assert mood_text == answers.mood_counts_text(counts, days=7, tx=PT)
    assert mood_text.splitlines()[0] == "Humor deste chat nos últimos 7 dias (3 mensagens):"
    assert mood_text.splitlines()[1].startswith("alegria")
    assert out_text == PT.text("common.opt_out_user")
    assert out_text.startswith("Pronto: o moodmoji não vai mais ler")
    assert refused_text == UK.text("discord.need_manage")
    assert japanese_text == "No moods counted in this chat over the last 7 days."


async def test_suggest_replies_answers_in_latin_american_spanish(
    world: World, moodbot: MoodBot, make_bot: BotFactory
) -> None:
    fake = world.fake
    target = fake.store_message(world.alice, world.general, HAPPY)
    expected = make_bot(defaults=RELAXED).decide(
        IncomingMessage(Platform.DISCORD, "c", "m", "a", HAPPY), ChatContext(), explicit=True
    )
    async with running(moodbot):
        menu = await fake.use_message_command(
            world.bob, world.general, SUGGEST_MENU, target, locale="es-419"
        )
        text = await done(world, menu)
    assert text == texts.suggestions_text(expected, ES)
    assert text.splitlines()[0] == "Respuestas sugeridas:"
    assert text.splitlines()[-1].startswith("Ánimo: ")


async def test_synced_commands_carry_localised_descriptions_and_menu_name(
    world: World, moodbot: MoodBot
) -> None:
    async with running(moodbot):
        pass
    mood = command(world, "mood")
    assert mood["description"] == "This channel's moods over recent days"
    assert mood["description_localizations"] == localised("discord.command.mood")
    assert mood["description_localizations"]["pt-BR"] == "O humor deste canal nos últimos dias"
    (days,) = mood["options"]
    assert days["description_localizations"] == localised("discord.param.mood.days")
    # Names are never translated: /mood is /mood for everyone.
    assert not mood.get("name_localizations") and not days.get("name_localizations")
    group = command(world, "moodmoji")
    assert group["description_localizations"] == localised("discord.command.moodmoji")
    threshold = next(o for o in group["options"] if o["name"] == "threshold")
    assert (
        threshold["description_localizations"]["ru"] == "Насколько уверенным должен быть moodmoji"
    )
    kinds = {o["name"]: o for o in threshold["options"]}
    assert kinds["kind"]["description_localizations"]["de"].startswith("reaction: Mindestwert")
    menu = command(world, SUGGEST_MENU, type_=3)
    assert menu["name_localizations"] == localised("discord.menu.suggest")
    assert menu["name_localizations"]["pt-BR"] == "Sugerir respostas"
    for synced in world.fake.global_commands:
        for field in ("name_localizations", "description_localizations"):
            assert "en-US" not in (synced.get(field) or {})  # English is Discord's default text


async def test_the_translator_stands_in_front_of_the_bots_own_and_steps_back(
    moodbot: MoodBot,
) -> None:
    class Own(app_commands.Translator):
        loaded = unloaded = 0

        async def load(self) -> None:
            self.loaded += 1

        async def unload(self) -> None:
            self.unloaded += 1

        async def translate(
            self,
            string: app_commands.locale_str,
            locale: discord.Locale,
            context: app_commands.TranslationContextTypes,
        ) -> str | None:
            return f"{string.message} ({locale.value})"

    bot = make_discord_bot()
    own = Own()
    await bot.tree.set_translator(own)
    cog = MoodCog(bot, moodbot)
    await bot.add_cog(cog)
    ours = bot.tree.translator
    assert isinstance(ours, MoodTranslator) and ours.fallback is own
    context = app_commands.TranslationContext(app_commands.TranslationContextLocation.other, None)
    theirs = app_commands.locale_str("Ping the bot")
    assert await ours.translate(theirs, discord.Locale.french, context) == "Ping the bot (fr)"
    mine = described("discord.command.optout")
    assert await ours.translate(mine, discord.Locale.french, context) == (
        "moodmoji arrête de lire tes messages"
    )
    assert await ours.translate(mine, discord.Locale.american_english, context) is None
    assert await ours.translate(mine, discord.Locale.japanese, context) is None
    await bot.remove_cog(cog.qualified_name)
    assert bot.tree.translator is own
    assert own.loaded - own.unloaded == 1  # discord.py unloads a replaced one: ours reloads it
    await bot.close()


def test_every_discord_locale_of_a_catalogue_language_is_localised() -> None:
    covered = {locale.value for locale in discord.Locale} & set(LOCALISED)
    assert covered == set(LOCALISED)
    assert set(LOCALISED.values()) == set(LANGUAGES) - {"en"}
