"""The ``moodmoji`` command line.

Exit status: 0 on success, 1 when the work failed (a bad model, an input that could not be
analysed), 2 for a bad command line or config. Errors are one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from bot.analyze import items_from_jsonl, items_from_texts, run_analyze
from bot.bench.command import add_arguments as add_bench_arguments
from bot.config import Config, ConfigError, load_config
from bot.logging_setup import configure_logging
from bot.messages import Platform
from bot.train_command import add_train_arguments, run_train
from inference.datasets import TASKS
from inference.errors import InferenceError

if TYPE_CHECKING:
    from bot.core import MoodBot

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
REACTIONS_TASK = "reactions"


def _version() -> str:
    try:
        return version("moodmoji")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="moodmoji",
        description="Emoji reactions, mood tags and reply suggestions for chat messages.",
    )
    parser.add_argument("--version", action="version", version=f"moodmoji {_version()}")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config file (default: ./config.yaml when present, else built-in defaults)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze", help="analyse texts; one JSON object per input on stdout"
    )
    analyze.add_argument("texts", nargs="*", metavar="TEXT", help="texts to analyse")
    analyze.add_argument(
        "--jsonl",
        metavar="FILE",
        help="read JSON lines with a 'text' field from FILE ('-' for stdin)",
    )
    analyze.add_argument("--top", type=int, default=5, help="labels per head (default 5)")
    _add_model_and_platform(analyze)
    chat = commands.add_parser(
        "chat", help="a terminal chat: each line shows its reactions, moods and suggestions"
    )
    _add_model_and_platform(chat)

    export = commands.add_parser(
        "export", help="turn a Hugging Face checkpoint directory into a model bundle"
    )
    export.add_argument("src", type=Path, metavar="SRC", help="checkpoint directory")
    export.add_argument("out", type=Path, metavar="OUT", help="bundle directory to write")
    export.add_argument("--int8", action="store_true", help="dynamic int8 quantisation")
    export.add_argument("--labels", help="comma-separated labels replacing generic LABEL_n names")
    export.add_argument(
        "--threshold", type=float, help="threshold of multi-label heads (default 0.3)"
    )
    export.add_argument("--max-length", type=int, help="longest token sequence")

    evaluate = commands.add_parser(
        "eval", help="score a model on a labelled dataset; the last stdout line is JSON"
    )
    evaluate.add_argument(
        "task",
        choices=[REACTIONS_TASK, *sorted(TASKS)],
        metavar="TASK",
        help=", ".join([REACTIONS_TASK, *TASKS]),
    )
    evaluate.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="reactions JSONL, goemotions TSV, emotion text;label file, TweetEval *_text.txt, "
        "or the response dataset's JSONL for reaction, trigger, intent and mood",
    )
    evaluate.add_argument("--model", type=Path, help="model bundle directory")
    evaluate.add_argument(
        "--platform",
        choices=[p.value for p in Platform],
        default=Platform.GENERIC.value,
        help="whose reaction rules apply (eval reactions only; default generic)",
    )

    train = commands.add_parser(
        "train", help="train the multi-task default model (needs the train extra)"
    )
    add_train_arguments(train)

    serve = commands.add_parser(
        "serve", help="the HTTP API and web chat page (needs the http extra)"
    )
    serve.add_argument("--host", help="address to bind (default: http.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default: http.port, 8080)")
    serve.add_argument("--model", type=Path, help="model bundle directory")

    report = commands.add_parser(
        "report", help="write a self-contained HTML mood report of a JSON-lines chat log"
    )
    report.add_argument(
        "log", type=Path, metavar="LOG", help='chat log: {"text", "author"?, "time"?}'
    )
    report.add_argument("out", type=Path, metavar="OUT", help="HTML file to write")
    report.add_argument("--model", type=Path, help="model bundle directory")

    telegram = commands.add_parser(
        "telegram", help="run the Telegram bot (needs the telegram extra and a token)"
    )
    telegram.add_argument("--model", type=Path, help="model bundle directory")

    discord = commands.add_parser(
        "discord", help="run the Discord bot (needs the discord extra and a token)"
    )
    discord.add_argument("--model", type=Path, help="model bundle directory")
    discord.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands and context menu with Discord at this start",
    )
    discord.add_argument(
        "--guild", type=int, metavar="ID", help="with --sync: sync to this server only (instant)"
    )

    bench = commands.add_parser(
        "bench",
        help="benchmark the default pipeline against the specified model stack "
        "(the reference stacks need the export extra)",
    )
    add_bench_arguments(bench)
    return parser


# Commands run by a module of their own, with the extra that module needs.
_RUNNERS = {
    "serve": ("adapters.http.command", "http"),
    "report": ("bot.report", None),
    "telegram": ("adapters.telegram.command", "telegram"),
    "discord": ("adapters.discord.command", "discord"),
    "bench": ("bot.bench.command", None),
}
_EXTRA_MODULES = {
    "http": ("fastapi", "uvicorn", "prometheus_client"),
    "telegram": ("telegram",),
    "discord": ("discord",),
}


def _add_model_and_platform(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="model bundle directory")
    parser.add_argument(
        "--platform",
        choices=[p.value for p in Platform],
        default=Platform.GENERIC.value,
        help="apply this platform's reaction constraints (default generic)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line and returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"moodmoji: {err}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(config.logging.level, config.logging.format)
    try:
        if args.command == "analyze":
            return _analyze(args, config)
        if args.command == "chat":
            return _chat(args, config)
        if args.command == "export":
            return _export(args)
        if args.command == "eval":
            return _eval(args, config)
        if args.command == "train":
            return run_train(args)
        if args.command in _RUNNERS:
            return _run_module(args, config)
    except InferenceError as err:
        print(f"moodmoji: error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`moodmoji analyze ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    raise AssertionError(f"unhandled command {args.command}")  # argparse enforces the choices


def _run_module(args: argparse.Namespace, config: Config) -> int:
    """Runs a command whose code lives in its own module (``run(args, config) -> int``)."""
    module_name, extra = _RUNNERS[args.command]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # A missing platform library, or an adapter's own guard naming its pip extra.
        missing = (exc.name or "").split(".")[0] in _EXTRA_MODULES.get(extra or "", ())
        if extra is None or not (missing or "pip install" in str(exc)):
            raise
        print(
            f"moodmoji: error: `moodmoji {args.command}` needs the {extra} extra: "
            f"pip install 'moodmoji[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    status: int = module.run(args, config)
    return status


def _build_bot(args: argparse.Namespace, config: Config) -> MoodBot:
    """The bot of a one-off command: config defaults, no store (nothing is kept)."""
    from bot.core import MoodBot

    return MoodBot.from_config(config, model=args.model, keep_state=False)


def _chat(args: argparse.Namespace, config: Config) -> int:
    from bot.chat import run_chat

    bot = _build_bot(args, config)
    terminal = sys.stdin.isatty()
    run_chat(
        bot,
        None if terminal else sys.stdin,
        sys.stdout,
        platform=Platform(args.platform),
        prompt=False,
    )
    return EXIT_OK


def _analyze(args: argparse.Namespace, config: Config) -> int:
    if args.top < 1:
        print("moodmoji: error: --top must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.jsonl and args.texts:
        print("moodmoji: error: give TEXT arguments or --jsonl, not both", file=sys.stderr)
        return EXIT_USAGE
    if not args.jsonl and not args.texts:
        print("moodmoji: error: nothing to analyse (give TEXT or --jsonl FILE)", file=sys.stderr)
        return EXIT_USAGE
    bot = _build_bot(args, config)
    run = functools.partial(
        run_analyze,
        bot,
        out=sys.stdout,
        platform=Platform(args.platform),
        batch_size=config.inference.max_batch_size,
        top_k=args.top,
    )
    if not args.jsonl:
        failures = run(items_from_texts(args.texts))
    elif args.jsonl == "-":
        failures = run(items_from_jsonl(sys.stdin))
    else:
        path = Path(args.jsonl)
        try:
            stream = path.open(encoding="utf-8", errors="replace")
        except OSError as exc:
            print(f"moodmoji: error: {path}: {exc.strerror}", file=sys.stderr)
            return EXIT_FAILED
        with stream:
            failures = run(items_from_jsonl(stream))
    return EXIT_FAILED if failures else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from inference.export import export_checkpoint

    labels = [s.strip() for s in args.labels.split(",")] if args.labels else None
    report = export_checkpoint(
        args.src,
        args.out,
        int8=args.int8,
        labels=labels,
        threshold=args.threshold,
        max_length=args.max_length,
    )
    print(report.summary())
    return EXIT_OK


def _eval(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    if args.task == REACTIONS_TASK:
        return _eval_reactions(args, config)
    from inference.datasets import read_dataset
    from inference.default_model import resolve_model_dir
    from inference.engine import Engine
    from inference.evaluation import evaluate

    dataset = read_dataset(args.task, args.path)
    engine = Engine.from_path(
        resolve_model_dir(args.model or config.model.path), config.engine_settings()
    )
    with tqdm(total=len(dataset), desc=f"eval {args.task}", unit="text", file=sys.stderr) as bar:
        scores = evaluate(engine, dataset, bar.update)
    print(json.dumps({"task": args.task, **scores.as_dict()}), flush=True)
    return EXIT_OK


def _eval_reactions(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from bot.reaction_eval import ReactionDataError, evaluate_reactions, read_rows

    try:
        rows = read_rows(args.path)
    except ReactionDataError as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    bot = _build_bot(args, config)
    platform = Platform(args.platform)
    with tqdm(total=len(rows), desc="eval reactions", unit="text", file=sys.stderr) as bar:
        scores = evaluate_reactions(bot, rows, platform, bar.update)
    print(json.dumps({"task": REACTIONS_TASK, **scores.as_dict()}), flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
