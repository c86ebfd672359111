"""The training loop on a tiny real encoder: outputs, determinism, resume, refusals, batches."""

from __future__ import annotations

import inspect
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from moodmoji.inference.datasets import TASK_GROUPS, TASKS, DatasetError, read_dataset, split_files
from moodmoji.inference.errors import InferenceError
from moodmoji.inference.training import trainer
from moodmoji.inference.training.data import (
    epoch_plan,
    group_members,
    load_tokenizer,
    pad,
    tokenise,
)
from moodmoji.inference.training.model import pretrained_encoder_dir
from moodmoji.inference.training.trainer import (
    CHECKPOINT_FILE,
    FINAL_FILE,
    METRICS_FILE,
    TrainResult,
    train,
)
from tests.inference.training.conftest import LINES, tiny_settings

SINGLE_LABEL_KEYS = {"n", "accuracy", "macro_f1", "top3_accuracy"}
MULTI_LABEL_KEYS = {"n", "accuracy", "macro_f1", "micro_f1"}
MULTI_LABEL_TASKS = [task for task, spec in TASKS.items() if spec.multi_label]
SINGLE_LABEL_TASKS = [task for task, spec in TASKS.items() if not spec.multi_label]
PLANNING_TASKS = ["goemotions", "emotion", "tweeteval-emoji", "facebook", "reaction"]
"""The tasks whose rows make batches: every task but the response group's followers."""


def split_size(data: Path, task: str, split: int) -> int:
    """Examples of a tiny split (0 train, 1 dev): Facebook drops posts with few reactions."""
    return len(read_dataset(task, split_files(data, task, data / "response")[split]))


def test_planning_tasks() -> None:
    members = group_members(tuple(TASKS))
    assert sorted(members) == sorted(PLANNING_TASKS)
    assert (
        members["reaction"] == TASK_GROUPS["reaction"] == ("reaction", "trigger", "intent", "mood")
    )
    assert all(members[task] == (task,) for task in PLANNING_TASKS[:-1])
    assert group_members(("trigger", "emotion")) == {
        "trigger": ("trigger",),
        "emotion": ("emotion",),
    }


def weights(final: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = torch.load(final, map_location="cpu")["model"]
    return state


def assert_same_weights(a: Path, b: Path) -> None:
    first, second = weights(a), weights(b)
    assert first.keys() == second.keys()
    different = [name for name in first if not torch.equal(first[name], second[name])]
    assert not different, f"weights differ: {different[:5]}"


def test_run_writes_weights_metrics_checkpoint_and_teacher_cache(
    trained_run: TrainResult, tiny_data: Path
) -> None:
    out = trained_run.final.parent
    assert trained_run.final == out / FINAL_FILE
    for name in (FINAL_FILE, METRICS_FILE, CHECKPOINT_FILE):
        assert (out / name).is_file(), name
    # teacher embeddings only for the tasks that plan batches (the group shares the leader's)
    cached = sorted(path.name for path in out.glob("teacher-*.npy"))
    sizes = {task: split_size(tiny_data, task, 0) for task in PLANNING_TASKS}
    assert sizes["facebook"] < LINES  # posts with under ten non-Like reactions are skipped
    assert cached == sorted(f"teacher-{task}-{n}.npy" for task, n in sizes.items())
    for task, n in sizes.items():
        teacher = np.load(out / f"teacher-{task}-{n}.npy")
        assert teacher.shape == (n, 32) and teacher.dtype == np.float16
        assert np.allclose(np.linalg.norm(teacher.astype(np.float32), axis=1), 1.0, atol=1e-2)
    assert not list(out.glob("*.partial"))
    assert trained_run.steps == 6
    assert trained_run.device == "cpu"
    assert trained_run.seconds > 0


def test_run_metrics(trained_run: TrainResult, tiny_data: Path) -> None:
    metrics = trained_run.metrics
    assert set(metrics) == set(TASKS)
    for task in MULTI_LABEL_TASKS:
        assert set(metrics[task]) == {"at_0.5", "tuned", "tuned_cross_fitted"}, task
        for scores in metrics[task].values():
            assert set(scores) == MULTI_LABEL_KEYS and scores["n"] == LINES, task
    for task in SINGLE_LABEL_TASKS:
        n = split_size(tiny_data, task, 1)
        assert set(metrics[task]) == SINGLE_LABEL_KEYS and metrics[task]["n"] == n, task
        assert 0.0 <= metrics[task]["accuracy"] <= metrics[task]["top3_accuracy"] <= 1.0
    on_disk = json.loads((trained_run.final.parent / METRICS_FILE).read_text(encoding="utf-8"))
    assert on_disk["final"] == metrics
    (last,) = on_disk["history"]  # one evaluation: at the last step (the epoch is longer)
    assert last["step"] == 6 and last["epoch"] == 1
    assert set(last["dev"]) == set(TASKS)


def test_final_record(trained_run: TrainResult, tiny_encoder: Path) -> None:
    record: dict[str, Any] = torch.load(trained_run.final, map_location="cpu", weights_only=False)
    assert record["tasks"] == list(TASKS)
    assert record["encoder_dir"] == str(tiny_encoder)
    assert record["max_length"] == 32
    assert record["steps"] == 6
    assert record["metrics"] == trained_run.metrics
    assert record["settings"]["seed"] == 13
    # thresholds tuned on dev for every multi-label task, one per label
    assert list(record["thresholds"]) == MULTI_LABEL_TASKS
    for task, thresholds in record["thresholds"].items():
        assert len(thresholds) == len(TASKS[task].labels), task
        assert all(0.0 < t < 1.0 for t in thresholds), task
    # label priors (for logit adjustment) for every single-label task, Facebook's included
    assert list(record["priors"]) == SINGLE_LABEL_TASKS
    for task, priors in record["priors"].items():
        assert len(priors) == len(TASKS[task].labels) and sum(priors) == pytest.approx(1.0)
    state = record["model"]
    for task, spec in TASKS.items():
        assert state[f"heads.{task}.weight"].shape == (len(spec.labels), 32), task
        assert state[f"heads.{task}.bias"].shape == (len(spec.labels),), task
    assert state["heads.reaction.weight"].shape == (495, 32)
    assert state["heads.trigger.weight"].shape == (1, 32)
    assert state["embedding.weight"].shape == (32, 32)
    assert all(t.device.type == "cpu" for t in state.values())


def test_training_moves_the_weights(trained_run: TrainResult, tiny_encoder: Path) -> None:
    from safetensors.torch import load_file

    pretrained = load_file(str(tiny_encoder / "model.safetensors"))
    trained = weights(trained_run.final)
    name = next(k for k in pretrained if k.endswith("word_embeddings.weight"))
    assert not torch.equal(pretrained[name], trained[f"encoder.{name.removeprefix('bert.')}"])
    assert not torch.equal(trained["embedding.weight"], torch.eye(32))


def test_same_seed_same_weights(
    tmp_path: Path, trained_run: TrainResult, tiny_data: Path, tiny_encoder: Path
) -> None:
    # another folder, and resume asked for with no checkpoint there: a fresh run, the same one
    again = train(tiny_settings(tiny_data, tiny_encoder, tmp_path / "again"), resume=True)
    assert_same_weights(again.final, trained_run.final)
    assert again.metrics == trained_run.metrics


def test_init_starts_from_a_finished_run(
    tmp_path: Path, trained_run: TrainResult, tiny_data: Path, tiny_encoder: Path
) -> None:
    # an earlier run without a mood head and with emotion over other labels
    record = torch.load(trained_run.final, map_location="cpu", weights_only=False)
    earlier = {k: v for k, v in record["model"].items() if not k.startswith("heads.mood.")}
    earlier["heads.emotion.weight"] = torch.zeros(3, 32)
    earlier["heads.emotion.bias"] = torch.zeros(3)
    init = tmp_path / "earlier.pt"
    torch.save({**record, "model": earlier}, init)
    # learning rates of 0: one step leaves the weights where the run started
    settings = tiny_settings(
        tiny_data,
        tiny_encoder,
        tmp_path / "warm",
        init=init,
        max_steps=1,
        encoder_lr=0.0,
        head_lr=0.0,
    )
    warm = train(settings)
    assert warm.steps == 1
    started = weights(warm.final)
    fresh = {"heads.mood.weight", "heads.mood.bias", "heads.emotion.weight", "heads.emotion.bias"}
    assert set(started) == set(record["model"])
    loaded = {k for k in started if k not in fresh and torch.equal(started[k], earlier[k])}
    assert loaded == set(started) - fresh  # the encoder, the embedding and the matching heads
    assert any(k.startswith("encoder.encoder.layer.") for k in loaded)
    assert started["heads.emotion.weight"].shape == (6, 32)  # fresh, with its own labels
    # init is where a run starts, not what it is: another --init may resume the checkpoint
    assert "init" not in settings.identity()


def test_init_refuses_an_unreadable_file(
    tmp_path: Path, tiny_data: Path, tiny_encoder: Path
) -> None:
    (tmp_path / "bad.pt").write_bytes(b"not weights")
    settings = tiny_settings(tiny_data, tiny_encoder, tmp_path / "run", init=tmp_path / "bad.pt")
    with pytest.raises(InferenceError, match=r"bad\.pt: not a readable weights file"):
        train(settings)


@pytest.mark.parametrize("crash", ["after-checkpoint", "between-checkpoints"])
def test_interrupted_then_resumed_run_ends_like_an_uninterrupted_one(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    trained_run: TrainResult,
    tiny_data: Path,
    tiny_encoder: Path,
    crash: str,
) -> None:
    save = trainer._save_checkpoint
    saved: list[int] = []

    def save_then_crash(*args: Any) -> None:
        step = inspect.signature(save).bind(*args).arguments["step"]
        if crash == "between-checkpoints" and step == 6:
            raise KeyboardInterrupt  # dies after step 6 ran, before it was saved
        save(*args)
        saved.append(step)
        if crash == "after-checkpoint" and step == 4:
            raise KeyboardInterrupt

    settings = tiny_settings(tiny_data, tiny_encoder, tmp_path / "run")
    monkeypatch.setattr(trainer, "_save_checkpoint", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(settings)
    monkeypatch.undo()
    assert saved == [2, 4]
    assert not (settings.out_dir / FINAL_FILE).exists()
    interrupted = torch.load(settings.out_dir / CHECKPOINT_FILE, weights_only=False)
    assert interrupted["step"] == 4

    resumed = train(settings, resume=True)
    assert resumed.steps == 6
    assert_same_weights(resumed.final, trained_run.final)
    assert resumed.metrics == trained_run.metrics
    history = json.loads((settings.out_dir / METRICS_FILE).read_text(encoding="utf-8"))["history"]
    assert [h["step"] for h in history] == [6]


def copied_run(trained_run: TrainResult, out: Path) -> Path:
    out.mkdir()
    shutil.copyfile(trained_run.final.parent / CHECKPOINT_FILE, out / CHECKPOINT_FILE)
    return out


def test_refuses_an_existing_checkpoint_without_resume(
    tmp_path: Path, trained_run: TrainResult, tiny_data: Path, tiny_encoder: Path
) -> None:
    out = copied_run(trained_run, tmp_path / "run")
    with pytest.raises(InferenceError) as caught:
        train(tiny_settings(tiny_data, tiny_encoder, out))
    assert str(caught.value).startswith(f"{out / CHECKPOINT_FILE}: ")
    assert "--resume" in str(caught.value)
    assert not (out / FINAL_FILE).exists()


@pytest.mark.parametrize("change", [{"seed": 14}, {"max_steps": 8}, {"batch_size": 4}])
def test_refuses_to_resume_with_other_settings(
    tmp_path: Path,
    trained_run: TrainResult,
    tiny_data: Path,
    tiny_encoder: Path,
    change: dict[str, Any],
) -> None:
    out = copied_run(trained_run, tmp_path / "run")
    with pytest.raises(InferenceError, match="other settings") as caught:
        train(tiny_settings(tiny_data, tiny_encoder, out, **change), resume=True)
    assert str(out / CHECKPOINT_FILE) in str(caught.value)


def test_resume_may_change_where_and_how_often(
    tmp_path: Path, trained_run: TrainResult, tiny_data: Path, tiny_encoder: Path
) -> None:
    out = copied_run(trained_run, tmp_path / "run")
    settings = tiny_settings(tiny_data, tiny_encoder, out, checkpoint_every=5)
    result = train(settings, resume=True)  # the checkpoint is at the last step: nothing to do
    assert result.steps == 6
    assert_same_weights(result.final, trained_run.final)


def test_refuses_a_corrupt_checkpoint(tmp_path: Path, tiny_data: Path, tiny_encoder: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / CHECKPOINT_FILE).write_bytes(b"not a checkpoint")
    with pytest.raises(InferenceError, match="not a readable checkpoint"):
        train(tiny_settings(tiny_data, tiny_encoder, out), resume=True)


def test_missing_data_and_encoder(tmp_path: Path, tiny_data: Path, tiny_encoder: Path) -> None:
    with pytest.raises(DatasetError, match=r"goemotions/train\.tsv: file not found"):
        train(tiny_settings(tmp_path / "nowhere", tiny_encoder, tmp_path / "a"))
    with pytest.raises(InferenceError, match=r"config\.json: pretrained encoder file not found"):
        train(tiny_settings(tiny_data, tmp_path / "no-encoder", tmp_path / "b"))
    with pytest.raises(InferenceError, match="--device"):
        train(tiny_settings(tiny_data, tiny_encoder, tmp_path / "c", device="tpu"))
    assert pretrained_encoder_dir(tiny_encoder) == tiny_encoder


# --- batches ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def splits(tiny_data: Path, tiny_encoder: Path) -> dict[str, Any]:
    tokenizer = load_tokenizer(tiny_encoder, max_length=12)
    return {
        task: tokenise(
            read_dataset(task, split_files(tiny_data, task, tiny_data / "response")[0]), tokenizer
        )
        for task in TASKS
    }


def test_tokenise_truncates_and_limits(tiny_data: Path, tiny_encoder: Path) -> None:
    tokenizer = load_tokenizer(tiny_encoder, max_length=8)
    dataset = read_dataset("emotion", split_files(tiny_data, "emotion")[0])
    split = tokenise(dataset, tokenizer, limit=5)
    assert len(split.ids) == 5 and len(split.dataset) == 5
    assert max(len(ids) for ids in split.ids) == 8
    assert all(ids[0] == tokenizer.token_to_id("[CLS]") for ids in split.ids)
    assert split.targets(np.array([0, 2])).tolist() == [0, 2]
    goemotions = tokenise(
        read_dataset("goemotions", split_files(tiny_data, "goemotions")[0]), tokenizer
    )
    multi_hot = goemotions.targets(np.array([1]))
    assert multi_hot.shape == (1, 28)
    assert multi_hot[0].nonzero().flatten().tolist() == list(goemotions.dataset.examples[1].labels)


@pytest.mark.parametrize("batch_size", [1, 7, 8, 64])
def test_epoch_plan_covers_every_example_once(splits: dict[str, Any], batch_size: int) -> None:
    # batches are planned by the planning tasks; the response group trains on reaction's rows
    plan = epoch_plan(splits, batch_size, seed=13, epoch=0)
    sizes = {task: len(splits[task].ids) for task in PLANNING_TASKS}
    seen: Counter[tuple[str, int]] = Counter()
    for batch in plan:
        assert batch.task in PLANNING_TASKS
        assert 1 <= len(batch.rows) <= batch_size
        seen.update((batch.task, int(row)) for row in batch.rows)
    expected = {(task, row) for task, n in sizes.items() for row in range(n)}
    assert set(seen) == expected
    assert set(seen.values()) == {1}
    per_task = Counter(batch.task for batch in plan)
    assert per_task == {task: -(-n // batch_size) for task, n in sizes.items()}


def test_epoch_plan_repeats(splits: dict[str, Any]) -> None:
    plan = epoch_plan(splits, 8, seed=13, epoch=0, repeats={"reaction": 3})
    rows: dict[str, Counter[int]] = {}
    for batch in plan:
        rows.setdefault(batch.task, Counter()).update(int(r) for r in batch.rows)
    assert set(rows["reaction"].values()) == {3} and len(rows["reaction"]) == LINES
    assert set(rows["goemotions"].values()) == {1}


def test_group_members_read_the_same_rows(splits: dict[str, Any]) -> None:
    # a batch planned by reaction is read by every member at the same row ids
    texts = {task: splits[task].dataset.texts for task in TASK_GROUPS["reaction"]}
    assert all(t == texts["reaction"] for t in texts.values())
    assert all(splits[task].ids == splits["reaction"].ids for task in texts)
    rows = np.array([0, 3, 5])
    trigger = splits["trigger"].targets(rows)
    assert trigger.tolist() == [[1.0], [0.0], [1.0]]  # every fourth row may go without
    mood = splits["mood"].targets(rows)
    assert mood.shape == (3, 8) and mood.sum(dim=1).tolist() == [1.0, 1.0, 1.0]


def test_epoch_plan_is_a_function_of_seed_and_epoch(splits: dict[str, Any]) -> None:
    def key(seed: int, epoch: int) -> list[tuple[str, list[int]]]:
        return [(b.task, b.rows.tolist()) for b in epoch_plan(splits, 8, seed, epoch)]

    assert key(13, 0) == key(13, 0)
    assert key(13, 2) == key(13, 2)
    assert key(13, 0) != key(13, 1)
    assert key(13, 0) != key(14, 0)
    tasks = [task for task, _ in key(13, 0)]
    assert tasks != sorted(tasks)  # tasks are interleaved, not one after the other


def test_pad(splits: dict[str, Any]) -> None:
    split = splits["emotion"]
    rows = np.array([3, 0, 7])
    input_ids, mask = pad(split.ids, rows, pad_id=0)
    width = max(len(split.ids[r]) for r in rows)
    assert input_ids.shape == mask.shape == (3, width)
    assert input_ids.dtype == mask.dtype == torch.long
    for i, row in enumerate(rows):
        n = len(split.ids[row])
        assert input_ids[i, :n].tolist() == list(split.ids[row])
        assert mask[i].tolist() == [1] * n + [0] * (width - n)
        assert input_ids[i, n:].eq(0).all()
