"""``moodmoji eval reactions``: the learned gate, the sensitivity guard and the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodmoji.bot.chat_settings import ChatSettings
from moodmoji.bot.core import MoodBot, default_rules
from moodmoji.bot.messages import IncomingMessage, Platform
from moodmoji.bot.policy import ReactionPolicy
from moodmoji.bot.suggestions import ReplyBank, Suggester
from moodmoji.inference.analyzer import Analyzer
from moodmoji.tools.reaction_eval import ReactionDataError, evaluate_reactions, read_rows
from tests.inference.tiny_response_bundle import build_response_bundle
from tests.tools.test_cli import moodmoji

ROWS = [
    {"text": "we won the trophy", "emoji": ["🎉", "👏"], "mood": ["joy"], "abstain_ok": False,
     "intents": ["congratulate"]},
    {"text": "😂😂", "emoji": ["😂", "🤣"], "mood": ["joy"], "abstain_ok": False,
     "intents": ["laugh"]},
    {"text": "my grandpa died lol", "emoji": ["🫂", "❤️", "🙏"], "mood": ["sadness"],
     "abstain_ok": False, "intents": ["sympathize"]},
    {"text": "so nervous for the exam", "emoji": ["🍀", "💪", "🙏"], "mood": ["fear"],
     "abstain_ok": False, "intents": ["encourage"]},
    {"text": "the meeting moved to 3pm", "emoji": ["👍"], "mood": ["neutral"],
     "abstain_ok": True, "intents": ["acknowledge"]},
    {"text": "pizza dinner", "emoji": ["🍕", "😋"], "mood": ["joy"], "abstain_ok": False},
]  # fmt: skip


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_response_bundle(tmp_path_factory.mktemp("eval") / "bundle")


@pytest.fixture(scope="module")
def bot(bundle: Path) -> MoodBot:
    analyzer = Analyzer.from_path(bundle)
    return MoodBot(
        analyzer,
        Suggester.from_embedder(ReplyBank.load(), None),
        ReactionPolicy(analyzer.ranker.vocabulary),
        default_rules(),
        ChatSettings(),
    )


@pytest.fixture()
def rows_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    return path


def decide(bot: MoodBot, text: str) -> tuple[list[str], list[str]]:
    decision = bot.decide(IncomingMessage(Platform.GENERIC, "c", "1", "u", text), explicit=True)
    return [r.emoji for r in decision.reactions], [
        f"{s.rule}: {s.detail}" for s in decision.why.steps
    ]


def test_the_trigger_head_gates_reactions(bot: MoodBot) -> None:
    reactions, steps = decide(bot, "the meeting moved to 3pm")
    assert reactions == []
    assert any("a reader would react with probability 0.00" in s for s in steps)
    reactions, steps = decide(bot, "we won the trophy")
    assert reactions[0] == "🎉"
    assert any(s.startswith("confidence-gate: a reader would react") for s in steps)


def test_the_guard_drops_laughter_on_grief_and_says_so(bot: MoodBot) -> None:
    analysis = bot.analyzer.analyze(["my grandpa died lol"])[0]
    assert "😂" in [c.emoji for c in analysis.reactions[:3]]  # the head alone would laugh
    reactions, steps = decide(bot, "my grandpa died lol")
    assert reactions and "😂" not in reactions and "💀" not in reactions
    assert any(s.startswith("sensitivity: dropped") and "😂" in s for s in steps)


def test_worry_keeps_its_supportive_emoji(bot: MoodBot) -> None:
    reactions, _ = decide(bot, "so nervous for the exam")
    assert reactions[0] == "🍀"  # a learned head answers worry; only playful emoji are dropped


def test_scores(bot: MoodBot, rows_file: Path) -> None:
    scores = evaluate_reactions(bot, read_rows(rows_file), Platform.GENERIC)
    assert (scores.n, scores.react_worthy, scores.abstain_ok) == (6, 5, 1)
    assert scores.top1 == 1.0 and scores.coverage == 1.0 and scores.top3 == 1.0
    assert scores.abstain_ok_rate == 1.0 and scores.playful_on_sad == 0
    assert scores.mood_top1 == 1.0
    assert scores.with_intents == 4 and scores.suggestion_fit is not None


def test_telegram_rules_apply(bot: MoodBot, rows_file: Path) -> None:
    scores = evaluate_reactions(bot, read_rows(rows_file), Platform.TELEGRAM)
    assert scores.platform == "telegram"
    assert scores.top1 < 1.0  # 🍀 and 🍕 are not Telegram reactions: their stand-ins miss


def test_cli_prints_the_figures_last(bundle: Path, rows_file: Path, tmp_path: Path) -> None:
    result = moodmoji(
        "eval", "reactions", str(rows_file), "--model", str(bundle), "--platform", "discord",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["task"] == "reactions" and figures["platform"] == "discord"
    assert figures["top1"] == 1.0 and figures["playful_on_sad"] == 0


def test_a_bad_row_is_named(tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "hi", "emoji": ["👍"], "mood": ["joy"], "abstain_ok": false}\n'
        '{"text": "no emoji field", "mood": [], "abstain_ok": true}\n',
        encoding="utf-8",
    )
    with pytest.raises(ReactionDataError, match=r"bad\.jsonl:2"):
        read_rows(path)
    result = moodmoji("eval", "reactions", str(path), "--model", str(bundle), cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.jsonl:2" in result.stderr and "Traceback" not in result.stderr


def test_rows_with_a_language_are_scored_per_language(
    bot: MoodBot, tmp_path: Path, rows_file: Path
) -> None:
    rows = [json.loads(line) for line in (ROWS_WITH_LANGUAGES).splitlines()]
    path = tmp_path / "languages.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    scores = evaluate_reactions(bot, read_rows(path), Platform.GENERIC)
    figures = scores.as_dict()["by_language"]
    assert set(figures) == {"es", "de"}
    assert all(set(f) == {"top1", "coverage"} for f in figures.values())
    assert all(0.0 <= v <= 1.0 for f in figures.values() for v in f.values())
    plain = evaluate_reactions(bot, read_rows(rows_file), Platform.GENERIC).as_dict()
    assert "by_language" not in plain  # rows without a language: no breakdown


ROWS_WITH_LANGUAGES = "\n".join(
    json.dumps(row, ensure_ascii=False)
    for row in (
        {"text": "¡Me dieron el trabajo!", "lang": "es", "emoji": ["🎉", "👏"], "mood": ["joy"],
         "abstain_ok": False},
        {"text": "Mein Hund ist gestorben", "lang": "de", "emoji": ["🫂", "❤️"],
         "mood": ["sadness"], "abstain_ok": False},
        {"text": "Treffen um 9", "lang": "de", "emoji": [], "mood": ["neutral"],
         "abstain_ok": True},
    )
)  # fmt: skip
