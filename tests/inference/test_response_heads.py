"""The learned response heads on a tiny real bundle: roles, text steps, ranking and moods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moodmoji.inference.analyzer import Analyzer
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import BundleError
from moodmoji.inference.manifest import HeadRole, TextStep
from moodmoji.inference.reactions import LEARNED_SOURCE
from tests.inference.tiny_response_bundle import build_response_bundle, manifest_dict


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_response_bundle(tmp_path_factory.mktemp("response") / "bundle")


@pytest.fixture(scope="module")
def analyzer(bundle: Path) -> Analyzer:
    return Analyzer.from_path(bundle)


def test_roles_and_text_steps_load(bundle: Path) -> None:
    manifest = Engine.from_path(bundle).manifest
    assert manifest.text_steps == (TextStep.EMOJI_NAMES,)
    assert {r: manifest.role(r).name for r in HeadRole if manifest.role(r)} == {
        HeadRole.REACTION: "reaction",
        HeadRole.TRIGGER: "trigger",
        HeadRole.INTENT: "intent",
        HeadRole.MOOD: "mood",
    }
    assert manifest.role(HeadRole.READER) is None


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda m: m["heads"][1].update(role="reaction"), "more than one head"),
        (lambda m: m["heads"][0].update(kind="softmax", thresholds=None), "sigmoid head"),
        (lambda m: m.update(text_steps=["shout"]), "text_steps"),
    ],
)
def test_bad_roles_name_the_manifest(tmp_path: Path, change: object, problem: str) -> None:
    bundle = build_response_bundle(tmp_path / "bad")
    raw = manifest_dict()
    change(raw)  # type: ignore[operator]
    (bundle / "manifest.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(BundleError) as caught:
        Engine.from_path(bundle)
    assert "manifest.json" in str(caught.value) and problem in str(caught.value)


def test_the_reaction_head_ranks_alone(analyzer: Analyzer) -> None:
    (won, meeting) = analyzer.analyze(["we won the trophy", "the meeting moved to 3pm"])
    assert [c.emoji for c in won.reactions[:2]] == ["🎉", "👏"]
    assert all(c.sources == (LEARNED_SOURCE,) for c in won.reactions)
    assert won.trigger is not None and won.trigger > 0.9
    assert meeting.trigger is not None and meeting.trigger < 0.1
    assert won.topics == ()  # the topical matcher is not consulted for a learned head


def test_moods_come_from_the_chat_mood_head(analyzer: Analyzer) -> None:
    (grief,) = analyzer.analyze(["my grandpa died"])
    assert grief.mood == "sadness"
    assert sum(m.score for m in grief.moods) == pytest.approx(1.0, abs=1e-4)
    assert [m.mood for m in grief.moods][-1] != "sadness"


def test_intents_are_ranked(analyzer: Analyzer) -> None:
    (worry,) = analyzer.analyze(["so nervous for the exam"])
    assert worry.intents[0].label == "encourage"
    assert [i.score for i in worry.intents] == sorted(
        (i.score for i in worry.intents), reverse=True
    )


def test_emoji_are_read_only_through_the_text_step(tmp_path: Path, analyzer: Analyzer) -> None:
    blind = Analyzer.from_path(build_response_bundle(tmp_path / "blind", emoji_names=False))
    (seen,) = analyzer.analyze(["😂😂"])
    (unseen,) = blind.analyze(["😂😂"])
    assert seen.reactions[0].emoji == "😂" and seen.intents[0].label == "laugh"
    assert unseen.trigger is not None and unseen.trigger < 0.6  # [UNK] [UNK]: no idea
    assert all(c.score < 0.1 for c in unseen.reactions)
    assert (
        analyzer.engine.model_text("😂😂 lol")
        == ":face with tears of joy: :face with tears of joy: lol"
    )
    assert blind.engine.model_text("😂😂 lol") == "😂😂 lol"


def test_results_are_deterministic_and_batch_independent(analyzer: Analyzer) -> None:
    texts = ["we won the trophy", "😂😂", "my grandpa died lol", "", "pizza dinner 🍕"]
    together = analyzer.analyze(texts)
    again = analyzer.analyze(texts)
    alone = [analyzer.analyze([t])[0] for t in texts]
    for a, b, c in zip(together, again, alone, strict=True):
        assert [(r.emoji, r.score) for r in a.reactions] == [
            (r.emoji, r.score) for r in b.reactions
        ]
        assert [r.emoji for r in a.reactions] == [r.emoji for r in c.reactions]
        assert a.trigger == pytest.approx(c.trigger, abs=1e-6)
