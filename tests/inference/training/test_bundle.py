"""The bundle of a finished tiny run: heads, parity with torch, provenance, metrics, card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from moodmoji.inference.datasets import FACEBOOK_EMOJI, TASKS, Dataset, read_dataset, split_files
from moodmoji.inference.engine import Engine
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.evaluation import evaluate, head_probabilities, match_head, multi_hot
from moodmoji.inference.manifest import HeadKind, HeadRole, TextStep, read_manifest
from moodmoji.inference.metrics import tune_thresholds
from moodmoji.inference.training.bundle import (
    DATA_SOURCES,
    HEAD_NAMES,
    LOGIT_ADJUSTMENT,
    MODEL_CARD_FILE,
    BundleReport,
    build_bundle,
    load_final,
)
from moodmoji.inference.training.data import load_tokenizer, model_text
from moodmoji.inference.training.trainer import TrainResult
from moodmoji.inference.vocabulary import emoji_key
from tests.inference.export.checkpoints import CHAT_TEXTS
from tests.inference.training.conftest import LINES

TEXTS = [*CHAT_TEXTS, "", "a much longer message " * 12, "🎉🎉🎉 we did it 👍🏽"]


@pytest.fixture(scope="module")
def dev(tiny_data: Path) -> dict[str, Dataset]:
    return {
        task: read_dataset(task, split_files(tiny_data, task, tiny_data / "response")[1])
        for task in TASKS
    }


@pytest.fixture(scope="module")
def fp32(
    tmp_path_factory: pytest.TempPathFactory, trained_run: TrainResult, dev: dict[str, Dataset]
) -> tuple[BundleReport, list[int]]:
    done: list[int] = []
    out = tmp_path_factory.mktemp("bundle") / "fp32"
    return build_bundle(trained_run.final, out, int8=False, dev=dev, progress=done.append), done


@pytest.fixture(scope="module")
def int8(
    tmp_path_factory: pytest.TempPathFactory, trained_run: TrainResult, dev: dict[str, Dataset]
) -> tuple[BundleReport, list[int]]:
    done: list[int] = []
    out = tmp_path_factory.mktemp("bundle") / "int8"
    return build_bundle(trained_run.final, out, int8=True, dev=dev, progress=done.append), done


@pytest.fixture(params=["fp32", "int8"])
def report(request: pytest.FixtureRequest) -> BundleReport:
    built: tuple[BundleReport, list[int]] = request.getfixturevalue(request.param)
    return built[0]


def record_of(trained_run: TrainResult) -> dict[str, Any]:
    record: dict[str, Any] = torch.load(trained_run.final, map_location="cpu", weights_only=False)
    return record


def test_bundle_files_and_heads(
    report: BundleReport, trained_run: TrainResult, dev: dict[str, Dataset]
) -> None:
    for name in ("model.onnx", "tokenizer.json", "manifest.json", MODEL_CARD_FILE):
        assert (report.path / name).is_file(), name
    assert not list(report.path.parent.glob(".stage-*"))  # the staging folder is gone
    assert report.size_bytes == (report.path / "model.onnx").stat().st_size
    engine = Engine.from_path(report.path)
    heads = engine.manifest.heads
    assert [(h.name, h.output, h.kind, len(h.labels)) for h in heads] == [
        ("goemotions", "goemotions", HeadKind.SIGMOID, 28),
        ("emotion", "emotion", HeadKind.SOFTMAX, 6),
        ("emoji", "emoji", HeadKind.SOFTMAX, 20),
        ("reader", "reader", HeadKind.SOFTMAX, 5),
        ("reaction", "reaction", HeadKind.SIGMOID, len(TASKS["reaction"].labels)),
        ("trigger", "trigger", HeadKind.SIGMOID, 1),
        ("intent", "intent", HeadKind.SIGMOID, 24),
        ("mood", "mood", HeadKind.SIGMOID, 8),
        ("embedding", "embedding", HeadKind.EMBEDDING, 0),
    ]
    goemotions = engine.manifest.head("goemotions")
    assert goemotions.labels == TASKS["goemotions"].labels
    if report.int8:
        # The int8 graph gets thresholds tuned on its own dev probabilities.
        match = match_head(engine.manifest, TASKS["goemotions"])
        probabilities = head_probabilities(engine, dev["goemotions"].texts, match)
        expected = tune_thresholds(probabilities, multi_hot(dev["goemotions"]))
    else:
        expected = record_of(trained_run)["thresholds"]["goemotions"]
    assert goemotions.thresholds == pytest.approx(expected)
    assert engine.manifest.head("emotion").labels == TASKS["emotion"].labels
    assert engine.manifest.head("emoji").labels == TASKS["tweeteval-emoji"].labels
    for head in heads[:3]:
        assert set(head.emoji) == set(head.labels)  # every label can be shown as an emoji
    assert all(emoji_key(k) == emoji_key(v) for k, v in heads[2].emoji.items())
    assert engine.manifest.head("emotion").mood == {
        label: label for label in TASKS["emotion"].labels
    }
    roles = {h.name: h.role for h in heads}
    assert roles == {
        "goemotions": None,
        "emotion": None,
        "emoji": None,
        "reader": HeadRole.READER,
        "reaction": HeadRole.REACTION,
        "trigger": HeadRole.TRIGGER,
        "intent": HeadRole.INTENT,
        "mood": HeadRole.MOOD,
        "embedding": None,
    }
    reader = engine.manifest.head("reader")
    assert reader.labels == TASKS["facebook"].labels and reader.emoji == FACEBOOK_EMOJI
    reaction = engine.manifest.head("reaction")
    assert reaction.labels == TASKS["reaction"].labels
    assert reaction.emoji == {label: label for label in reaction.labels}
    assert engine.manifest.head("mood").mood == {m: m for m in TASKS["mood"].labels}
    for name in ("reaction", "trigger", "intent", "mood"):  # every sigmoid head is tuned
        head = engine.manifest.head(name)
        assert head.thresholds is not None and len(head.thresholds) == len(head.labels), name
    assert engine.manifest.text_steps == (TextStep.EMOJI_NAMES,)  # the run spelled emoji out
    assert engine.manifest.max_length == 32
    (prediction,) = engine.predict(["thank you!! that was really kind of you"])
    assert prediction["embedding"].embedding is not None
    assert prediction["embedding"].embedding.shape == (32,)


def test_onnx_matches_torch(fp32: tuple[BundleReport, list[int]], trained_run: TrainResult) -> None:
    report, _ = fp32
    model, record = load_final(trained_run.final)
    engine = Engine.from_path(report.path)
    # the text as the engine feeds it to the graph: cleaned, emoji spelled out by name
    batch = engine.bundle.encoder.encode([engine.model_text(text) for text in TEXTS])
    outputs = [HEAD_NAMES[task] for task in model.tasks] + ["embedding"]
    assert outputs == [h.output for h in engine.manifest.heads]
    graph = dict(zip(outputs, engine.bundle.session.run(outputs, batch.arrays), strict=True))
    with torch.no_grad():
        reference = model(
            torch.from_numpy(batch.arrays["input_ids"]),
            torch.from_numpy(batch.arrays["attention_mask"]),
        )
    # The emoji and reader heads are logit-adjusted by default: their graph logits are the
    # model's minus tau * log(training label frequency).
    offsets = {
        HEAD_NAMES[task]: tau * torch.log(torch.tensor(record["priors"][task]))
        for task, tau in LOGIT_ADJUSTMENT.items()
    }
    assert set(offsets) == {"emoji", "reader"}
    assert offsets["emoji"].abs().max() > 0.5 and offsets["reader"].abs().max() > 0.5
    for name, expected in zip(outputs, reference, strict=True):
        want = expected - offsets.get(name, 0.0)
        assert graph[name].shape == tuple(expected.shape)
        np.testing.assert_allclose(graph[name], want.numpy(), atol=1e-4, err_msg=name)

    predictions = engine.predict(TEXTS)
    vectors = np.stack([p["embedding"].embedding for p in predictions])  # type: ignore[misc]
    normalised = torch.nn.functional.normalize(reference[-1], dim=-1).numpy()
    np.testing.assert_allclose(vectors, normalised, atol=1e-4)
    emotion = np.stack([p["emotion"].probabilities for p in predictions])  # type: ignore[misc]
    np.testing.assert_allclose(emotion, torch.softmax(reference[1], -1).numpy(), atol=1e-4)


def test_bundle_tokenizes_like_training(report: BundleReport, tiny_encoder: Path) -> None:
    training = load_tokenizer(tiny_encoder, max_length=32)
    engine = Engine.from_path(report.path)
    assert engine.model_text("so proud 🎉🎉🎉") == "so proud :party popper: :party popper:"
    batch = engine.bundle.encoder.encode([engine.model_text(text) for text in TEXTS])
    for row, text in enumerate(TEXTS):
        ids = training.encode(model_text(text, emoji_names=True)).ids
        assert batch.lengths[row] == len(ids) <= 32
        assert batch.arrays["input_ids"][row, : len(ids)].tolist() == ids


def test_int8_bundle(
    int8: tuple[BundleReport, list[int]],
    fp32: tuple[BundleReport, list[int]],
    dev: dict[str, Dataset],
) -> None:
    quantised, done = int8
    float_report, float_done = fp32
    assert quantised.int8 and not float_report.int8
    assert quantised.size_bytes < float_report.size_bytes
    manifest = read_manifest(quantised.path / "manifest.json")
    quantization = manifest.provenance["quantization"]
    assert quantization["method"].startswith("dynamic int8")
    assert isinstance(quantization["per_channel"], bool)
    assert manifest.metrics["dev_fp32"] == float_report.dev
    # fp32 reference plus two int8 candidates, each measured on every dev text; then the
    # chosen one's probabilities of every multi-label task for its own thresholds, and its
    # final measurement
    texts = sum(len(dataset) for dataset in dev.values())
    multi_label = sum(len(dataset) for dataset in dev.values() if dataset.task.multi_label)
    assert multi_label == 5 * LINES  # goemotions and the four response tasks
    assert sum(done) == 3 * texts + multi_label + texts
    assert sum(float_done) == texts
    assert read_manifest(float_report.path / "manifest.json").provenance["quantization"] is None


def test_manifest_provenance(
    report: BundleReport, trained_run: TrainResult, tiny_encoder: Path
) -> None:
    raw = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    provenance = raw["provenance"]
    assert provenance["source"] == str(tiny_encoder)  # not the default encoder's name
    # one entry per data source; the response tasks share theirs
    named = [task for d in provenance["data"] for task in d["task"].split(", ")]
    assert named == list(TASKS)
    assert provenance["data"][-1]["task"] == "reaction, trigger, intent, mood"
    assert provenance["data"] == [dict(d) for d in DATA_SOURCES]
    assert all(d["licence"] and d["data"] for d in provenance["data"])
    training = provenance["training"]
    assert training["steps"] == trained_run.steps == 6
    assert training["device"] == "cpu"
    assert training["settings"]["seed"] == 13 and training["settings"]["max_steps"] == 6
    assert training["settings"]["tasks"] == list(TASKS)
    assert training["settings"]["emoji_names"] is True
    assert "out_dir" not in training["settings"] and "data_root" not in training["settings"]
    assert provenance["opset"] >= 13
    assert provenance["torch"] == str(torch.__version__)
    assert raw["metrics"]["training_dev"] == trained_run.metrics


def test_manifest_dev_metrics_are_the_bundles_own(
    report: BundleReport, dev: dict[str, Dataset]
) -> None:
    manifest = read_manifest(report.path / "manifest.json")
    measured = manifest.metrics["dev"]
    assert measured == report.dev
    assert set(measured) == set(TASKS)
    engine = Engine.from_path(report.path)
    for task, dataset in dev.items():
        assert evaluate(engine, dataset).as_dict() == measured[task], task
    assert set(measured["goemotions"]) == {"n", "accuracy", "macro_f1", "micro_f1"}
    assert set(measured["emotion"]) == {"n", "accuracy", "macro_f1", "top3_accuracy"}


def test_fp32_bundle_reproduces_the_training_evaluation(
    fp32: tuple[BundleReport, list[int]], trained_run: TrainResult
) -> None:
    bundle = fp32[0].dev
    training = trained_run.metrics
    # every task but Facebook, whose bundle head is logit-adjusted (tau 1) and whose training
    # evaluation is not (the emoji head's tau 0.5 meets uniform tiny priors: no change)
    pairs = [
        (bundle[task], training[task]["tuned"] if TASKS[task].multi_label else training[task])
        for task in TASKS
        if task != "facebook"
    ]
    for measured, expected in pairs:
        assert measured.keys() == expected.keys()
        for key, value in expected.items():
            assert measured[key] == pytest.approx(value, abs=0.03), key


def test_model_card(report: BundleReport, dev: dict[str, Dataset]) -> None:
    card = (report.path / MODEL_CARD_FILE).read_text(encoding="utf-8")
    assert card.startswith("# moodmoji-default")
    for task in TASKS:
        assert f"| {task} | {len(dev[task])} |" in card  # its dev metrics row
    heads_table = card.split("## Heads")[1].split("## Dev metrics")[0]
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in heads_table.splitlines()}
    for head in (*HEAD_NAMES.values(), "embedding"):
        assert f"| {head} |" in card
    # the reaction head's labels are counted, not listed (495 emoji in one cell)
    reaction = rows["reaction"]
    assert f"| {len(TASKS['reaction'].labels)} emoji of the vocabulary" in reaction
    assert len(reaction) < 200
    assert TASKS["reaction"].labels[-1] not in card
    assert "love, haha, wow, sad, angry" in rows["reader"]
    for name in ("trigger", "intent", "mood"):
        assert "(per-label thresholds tuned on dev)" in rows[name], name
    assert "- Text steps before tokenizing: emoji-names" in card
    assert "facebook: logits - 0.25 * log(training label frequency)" in card


def test_bundle_without_dev_data_into_a_new_folder(
    tmp_path: Path, trained_run: TrainResult
) -> None:
    out = tmp_path / "not" / "yet" / "bundle"
    report = build_bundle(trained_run.final, out, int8=True)
    assert report.path == out
    assert report.dev == {}
    manifest = read_manifest(report.path / "manifest.json")
    assert "dev" not in manifest.metrics and "dev_fp32" not in manifest.metrics
    assert manifest.provenance["quantization"]["per_channel"] is False
    Engine.from_path(report.path).predict(["ok"])


def test_missing_or_corrupt_final(tmp_path: Path) -> None:
    with pytest.raises(InferenceError, match="final weights not found"):
        build_bundle(tmp_path / "final.pt", tmp_path / "b", int8=False)
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    with pytest.raises(InferenceError, match=r"bad\.pt: not a readable weights file"):
        load_final(tmp_path / "bad.pt")
    assert not (tmp_path / "b").exists()


def test_logit_adjustment_can_be_turned_off(tmp_path: Path, trained_run: TrainResult) -> None:
    plain = build_bundle(trained_run.final, tmp_path / "plain", int8=False, logit_adjustment={})
    adjusted = read_manifest(tmp_path / "plain" / "manifest.json").provenance
    assert adjusted["logit_adjustment"] == {}
    model, _ = load_final(trained_run.final)
    engine = Engine.from_path(plain.path)
    batch = engine.bundle.encoder.encode(TEXTS)
    emoji, reader = engine.bundle.session.run(["emoji", "reader"], batch.arrays)
    with torch.no_grad():
        reference = model(
            torch.from_numpy(batch.arrays["input_ids"]),
            torch.from_numpy(batch.arrays["attention_mask"]),
        )
    np.testing.assert_allclose(emoji, reference[2].numpy(), atol=1e-4)
    np.testing.assert_allclose(reader, reference[3].numpy(), atol=1e-4)


def test_logit_adjustment_is_recorded(report: BundleReport) -> None:
    provenance = read_manifest(report.path / "manifest.json").provenance
    assert provenance["logit_adjustment"] == {
        "tweeteval-emoji": "logits - 0.5 * log(training label frequency)",
        "facebook": "logits - 0.25 * log(training label frequency)",
    }


def test_static_int8_with_calibration_runs_batched_and_fused(
    tmp_path: Path, trained_run: TrainResult, dev: dict[str, Dataset]
) -> None:
    report = build_bundle(
        trained_run.final, tmp_path / "static", int8=True, dev=dev, calibration=TEXTS * 4
    )
    manifest = read_manifest(report.path / "manifest.json")
    quantization = manifest.provenance["quantization"]
    # the tiny model's dev drop decides; either way the fused operators are recorded
    assert quantization["fused"]["MultiHeadAttention"] >= 1
    engine = Engine.from_path(report.path)
    if quantization.get("row_independent"):
        assert "static int8" in quantization["method"]
        assert not engine.bundle.row_wise
    # a text's probabilities do not depend on its batch-mates
    together = engine.predict(TEXTS)
    for text, batched in zip(TEXTS, together, strict=True):
        (alone,) = engine.predict([text])
        for head in manifest.heads:
            if head.kind is HeadKind.EMBEDDING:
                continue
            np.testing.assert_allclose(
                batched[head.name].probabilities, alone[head.name].probabilities, atol=1e-5
            )


def test_static_candidate_is_the_first_tried(tmp_path: Path, trained_run: TrainResult) -> None:
    report = build_bundle(trained_run.final, tmp_path / "static", int8=True, calibration=TEXTS)
    manifest = read_manifest(report.path / "manifest.json")
    assert manifest.provenance["quantization"]["row_independent"] is True
    assert not Engine.from_path(report.path).bundle.row_wise
