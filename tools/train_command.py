"""``moodmoji train``: the training recipe of the default model, from the command line.

The heavy libraries (torch, transformers) are imported only when the command runs, so the rest
of the CLI works without the ``train`` extra.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from moodmoji.inference.datasets import TASKS

logger = logging.getLogger(__name__)

DEFAULT_DATA = Path("../shared/data")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the ``train`` options (defaults are those of the shipped model)."""
    from moodmoji.inference.training.settings import TrainSettings

    defaults = TrainSettings(data_root=DEFAULT_DATA, out_dir=Path("."))
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, weights)")
    parser.add_argument(
        "--bundle", type=Path, help="bundle directory to write at the end (default OUT/bundle)"
    )
    parser.add_argument("--fp32", action="store_true", help="write the bundle in fp32, not int8")
    parser.add_argument("--resume", action="store_true", help="continue from OUT's checkpoint")
    parser.add_argument(
        "--bundle-only",
        action="store_true",
        help="skip training: write the bundle of the finished run in OUT (its final.pt)",
    )
    parser.add_argument("--encoder", type=Path, help="pretrained encoder directory")
    parser.add_argument("--tasks", default=",".join(TASKS), help="comma-separated tasks")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--encoder-lr", type=float, default=defaults.encoder_lr)
    parser.add_argument("--head-lr", type=float, default=defaults.head_lr)
    parser.add_argument("--distill-weight", type=float, default=defaults.distill_weight)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every)
    parser.add_argument("--device", default=defaults.device, choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--init", type=Path, help="start from a finished run's final.pt (encoder and shared heads)"
    )
    parser.add_argument(
        "--no-emoji-names",
        action="store_true",
        help="feed emoji to the tokenizer as they are (default: spell them out by CLDR name)",
    )
    parser.add_argument(
        "--repeat",
        action="append",
        default=[],
        metavar="TASK=N",
        help="pass over TASK's rows N times per epoch (repeatable)",
    )
    parser.add_argument(
        "--sample",
        action="append",
        default=[],
        metavar="TASK=N",
        help="train on a seeded sample of N rows of TASK (repeatable)",
    )
    parser.add_argument(
        "--response-data",
        type=Path,
        help="response dataset folder (train.jsonl, dev.jsonl; default data/response)",
    )
    parser.add_argument("--limit", type=int, help="use the first N examples of each split")
    parser.add_argument("--max-steps", type=int, help="stop after N steps")


def run_train(args: argparse.Namespace) -> int:
    """Trains, then writes and measures the bundle; returns the exit status."""
    from tqdm import tqdm

    from moodmoji.inference.datasets import read_dataset, split_files
    from moodmoji.inference.training import require_training_dependencies

    require_training_dependencies(default_encoder=args.encoder is None)
    from moodmoji.inference.training.bundle import (
        CALIBRATION_TEXTS,
        build_bundle,
        calibration_sample,
    )
    from moodmoji.inference.training.settings import TrainSettings
    from moodmoji.inference.training.trainer import FINAL_FILE, train

    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        print(f"moodmoji: error: --tasks: unknown {unknown}; known: {list(TASKS)}", file=sys.stderr)
        return 2
    try:
        repeats = _task_counts(args.repeat, tasks, "--repeat")
        samples = _task_counts(args.sample, tasks, "--sample")
    except ValueError as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
        return 2
    settings = TrainSettings(
        data_root=args.data,
        out_dir=args.out,
        encoder=args.encoder,
        tasks=tasks,
        epochs=args.epochs,
        batch_size=args.batch_size,
        encoder_lr=args.encoder_lr,
        head_lr=args.head_lr,
        distill_weight=args.distill_weight,
        max_length=args.max_length,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        device=args.device,
        limit=args.limit,
        max_steps=args.max_steps,
        emoji_names=not args.no_emoji_names,
        init=args.init,
        repeats=repeats,
        sample=samples,
        response_data=args.response_data,
    )
    if args.bundle_only:
        final = args.out / FINAL_FILE
    else:
        result = train(settings, resume=args.resume)
        print(f"trained {result.steps} steps on {result.device} in {result.seconds / 60:.1f} min")
        final = result.final
    dev, train_sets = {}, {}
    for task in tasks:
        train_file, dev_file = split_files(args.data, task, args.response_data)
        dev[task] = read_dataset(task, dev_file).head(args.limit)
        train_sets[task] = read_dataset(task, train_file).head(args.limit)
    calibration = calibration_sample(train_sets, CALIBRATION_TEXTS, seed=args.seed)
    bundle_dir = args.bundle or args.out / "bundle"
    with tqdm(desc="measure bundle", unit="text", file=sys.stderr) as bar:
        report = build_bundle(
            final,
            bundle_dir,
            int8=not args.fp32,
            dev=dev,
            progress=bar.update,
            calibration=calibration,
        )
    print(f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB, int8={report.int8})")
    for task, scores in report.dev.items():
        print(f"dev {task}: {scores}")
    return 0


def _task_counts(
    values: list[str], tasks: tuple[str, ...], option: str
) -> tuple[tuple[str, int], ...]:
    """Parses repeated ``TASK=N`` options.

    Raises:
        ValueError: A value is malformed or names a task that is not trained.
    """
    out: dict[str, int] = {}
    for value in values:
        task, sep, count = value.partition("=")
        if not sep or task not in tasks or not count.isdigit() or int(count) < 1:
            raise ValueError(f"{option}: expected TASK=N with a trained task, got {value!r}")
        out[task] = int(count)
    return tuple(sorted(out.items()))
