"""The model on Ray Serve against the model in the bot's process: messages/s and call overhead.

One run, three set-ups of the same HTTP API (``moodmoji serve``, a subprocess on loopback):

* ``local``: the engine runs in the API's process (``inference.url`` unset);
* ``ray xN``: the API's bot calls ``moodmoji serve-model``'s deployment (a local Ray cluster
  started here, Serve's HTTP proxy on loopback) with N replicas, for each N of ``--replicas``.

Each set-up gets the same load: ``POST /v1/analyze`` (one message per request, 32 in flight:
the bot's micro-batcher coalesces them) and ``POST /v1/analyze/batch`` (16 messages per
request, 4 in flight), with the 320 benchmark messages of ``tools/bench``. Figures are medians
over ``--repeats`` runs; ratios are against ``local``.

The per-message overhead of the remote call is measured in this process, without the API:
``Engine.predict([text])`` against ``RemoteEngine.predict([text])`` on one replica, one call at
a time, with Serve's batch wait at 0 (pure transport: JSON, HTTP, proxy, replica) and at the
configured ``inference.max_wait_ms`` (what a lone message pays for batching).

Client, API, Ray and replicas share this machine's cores, so on a small machine the replicas
compete with everything else: the figures are a floor. Prints a table, then one JSON line.

Usage::

    python benchmarks/remote_engine.py [--quick] [--repeats N] [--replicas 1,2]
        [--cpus-per-replica C] [--model DIR] [--address RAY_ADDRESS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from moodmoji.inference.default_model import resolve_model_dir
from moodmoji.inference.engine import Engine
from moodmoji.inference.remote import RemoteEngine, RemoteSettings
from moodmoji.inference.settings import BatchSettings, EngineSettings
from moodmoji.tools.bench.messages import load_messages

BATCH = 16
SINGLE_CONCURRENCY = 32
BATCH_CONCURRENCY = 4


@dataclass(frozen=True)
class Run:
    """One timed run of one scenario."""

    messages: int
    seconds: float
    errors: int

    @property
    def messages_per_s(self) -> float:
        """Messages answered per second."""
        return self.messages / self.seconds


_STARTED = time.perf_counter()


def progress(what: str) -> None:
    """A progress line on stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def api_server(model: Path | None, url: str | None) -> Iterator[str]:
    """``moodmoji serve`` on a free loopback port, local or remote engine; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = ["http:", "  port: 0", "store:", "  path: state.sqlite3", "logging:"]
        lines += ["  level: WARNING"]
        if model is not None:
            lines += ["model:", f"  path: {json.dumps(str(model))}"]
        if url is not None:
            lines += ["inference:", f"  url: {url}"]
        config = Path(tmp) / "config.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "MOODMOJI_HTTP_TOKEN"}
        log = Path(tmp) / "api.log"
        with log.open("w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "moodmoji.tools.cli", "--config", str(config), "serve"],
                cwd=tmp,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
            )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                match = re.search(r"serving on (http://\S+/)", line)
                if match:
                    yield match.group(1)
                    break
            else:
                tail = log.read_text(encoding="utf-8").splitlines()[-5:]
                raise RuntimeError("moodmoji serve did not start: " + " | ".join(tail))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


async def run_load(
    client: httpx.AsyncClient, texts: Sequence[str], batch: bool, requests: int
) -> Run:
    """Sends ``requests`` requests, single or batch, with the scenario's concurrency."""
    counter = iter(range(requests))
    errors = 0
    per_request = BATCH if batch else 1

    async def worker() -> None:
        nonlocal errors
        payload: dict[str, Any]
        for i in counter:
            start = (i * per_request) % len(texts)
            chosen = [texts[(start + j) % len(texts)] for j in range(per_request)]
            if batch:
                path, payload = "/v1/analyze/batch", {"messages": [{"text": t} for t in chosen]}
            else:
                path, payload = "/v1/analyze", {"text": chosen[0]}
            for attempt in range(2):  # a kept-alive connection the server just closed: again
                try:
                    response = await client.post(path, json=payload)
                except httpx.TransportError:
                    if attempt:
                        errors += 1
                    continue
                if response.status_code != 200:
                    errors += 1
                break

    concurrency = BATCH_CONCURRENCY if batch else SINGLE_CONCURRENCY
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(requests * per_request, time.perf_counter() - started, errors)


async def measure_api(
    url: str, texts: Sequence[str], requests: int, repeats: int
) -> dict[str, dict[str, float]]:
    """Messages/s of both scenarios through the API at ``url``: medians over ``repeats``."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await run_load(client, texts, False, 64)  # warm-up: connections, caches, replicas
        await run_load(client, texts, True, 8)
        for name, batch, count in (
            ("single", False, requests),
            ("batch16", True, max(4, requests // BATCH)),
        ):
            runs = [await run_load(client, texts, batch, count) for _ in range(repeats)]
            out[name] = {
                "messages": runs[0].messages,
                "messages_per_s": statistics.median(r.messages_per_s for r in runs),
                "errors": sum(r.errors for r in runs),
            }
    return out


def latency_ms(predict: Any, texts: Sequence[str], calls: int, size: int) -> float:
    """Median milliseconds of ``predict`` on ``size`` texts, one call at a time."""
    for i in range(5):
        predict([texts[i % len(texts)]] * size)
    times = []
    for i in range(calls):
        chosen = [texts[(i * size + j) % len(texts)] for j in range(size)]
        started = time.perf_counter()
        predict(chosen)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Measures and prints; returns 0, or 1 when a request failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="bundle (default: the embedded model)")
    parser.add_argument("--replicas", default="1,2", help="replica counts (default 1,2)")
    parser.add_argument(
        "--cpus-per-replica", type=float, default=1.0, help="CPUs per replica (default 1)"
    )
    parser.add_argument("--address", help="a Ray cluster to use (default: start a local one)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--requests", type=int, default=640, help="single-message requests")
    parser.add_argument("--calls", type=int, default=200, help="calls per latency figure")
    parser.add_argument("--quick", action="store_true", help="a fifth of requests and calls")
    args = parser.parse_args(argv)
    requests = max(16, args.requests // 5) if args.quick else args.requests
    calls = max(10, args.calls // 5) if args.quick else args.calls
    replica_counts = [int(n) for n in args.replicas.split(",")]
    texts = [m.text for m in load_messages()]
    bundle = resolve_model_dir(args.model)
    cores = os.cpu_count() or 1

    figures: dict[str, dict[str, dict[str, float]]] = {}
    progress("local engine: starting the API")
    with api_server(args.model, None) as url:
        progress("local engine: load")
        figures["local"] = asyncio.run(measure_api(url, texts, requests, args.repeats))

    import ray
    from ray import serve

    from moodmoji.inference.serving import ServeOptions, deploy

    if args.address:
        ray.init(address=args.address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(
            num_cpus=max(cores, int(max(replica_counts) * args.cpus_per_replica + 0.999)),
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    progress("Ray: cluster up")
    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    configured = BatchSettings()
    overhead: dict[str, float] = {}
    try:

        def options(replicas: int) -> ServeOptions:
            return ServeOptions(
                replicas=replicas,
                cpus_per_replica=args.cpus_per_replica,
                port=port,
                app_name="moodmoji-bench",
            )

        local = Engine.from_path(bundle)
        overhead["local_1_ms"] = latency_ms(local.predict, texts, calls, 1)
        overhead["local_16_ms"] = latency_ms(local.predict, texts, calls // 4, BATCH)
        for wait in (0.0, configured.max_wait_ms):
            settings = EngineSettings(batch=BatchSettings(configured.max_batch_size, wait))
            url = deploy(bundle, settings, options(1))
            progress(f"one replica, Serve wait {wait:g} ms: latency")
            with RemoteEngine.connect(RemoteSettings(url), bundle) as remote:
                key = f"wait{wait:g}"
                overhead[f"remote_{key}_1_ms"] = latency_ms(remote.predict, texts, calls, 1)
                overhead[f"remote_{key}_16_ms"] = latency_ms(
                    remote.predict, texts, calls // 4, BATCH
                )
        overhead["overhead_1_ms"] = overhead["remote_wait0_1_ms"] - overhead["local_1_ms"]
        overhead["overhead_16_ms"] = overhead["remote_wait0_16_ms"] - overhead["local_16_ms"]

        engine_settings = EngineSettings(batch=configured)
        url = deploy(bundle, engine_settings, options(replica_counts[0]))
        progress("remote engine: starting the API")
        with api_server(args.model, url) as api:
            for replicas in replica_counts:
                deploy(bundle, engine_settings, options(replicas))
                progress(f"{replicas} replica(s): load")
                figures[f"ray x{replicas}"] = asyncio.run(
                    measure_api(api, texts, requests, args.repeats)
                )
    finally:
        if args.address:  # someone else's cluster: remove only what this run deployed
            serve.delete("moodmoji-bench")
        else:
            serve.shutdown()
        ray.shutdown()

    print(
        f"HTTP API on loopback, {cores} cores shared by client, API, Ray and replicas "
        f"({args.cpus_per_replica:g} CPU per replica); medians of {args.repeats}"
    )
    print(f"{'set-up':<10}{'single msg/s':>14}{'ratio':>7}{'batch16 msg/s':>15}{'ratio':>7}")
    base = figures["local"]
    for name, f in figures.items():
        print(
            f"{name:<10}{f['single']['messages_per_s']:>14.1f}"
            f"{f['single']['messages_per_s'] / base['single']['messages_per_s']:>7.2f}"
            f"{f['batch16']['messages_per_s']:>15.1f}"
            f"{f['batch16']['messages_per_s'] / base['batch16']['messages_per_s']:>7.2f}"
        )
    print("one call at a time, in process (median ms): local engine / remote, Serve wait 0 ms /")
    print(f"remote, Serve wait {configured.max_wait_ms:g} ms (the configured batch wait)")
    for size in (1, BATCH):
        print(
            f"  {size:>2} text(s): {overhead[f'local_{size}_ms']:.2f} / "
            f"{overhead[f'remote_wait0_{size}_ms']:.2f} / "
            f"{overhead[f'remote_wait{configured.max_wait_ms:g}_{size}_ms']:.2f}; "
            f"overhead {overhead[f'overhead_{size}_ms']:.2f} ms per call"
        )
    errors = sum(f[s]["errors"] for f in figures.values() for s in f)
    summary = {
        "benchmark": "remote_engine",
        "cores": cores,
        "cpus_per_replica": args.cpus_per_replica,
        "repeats": args.repeats,
        "quick": args.quick,
        "model": bundle.name,
        "api": {
            name: {s: {k: round(v, 2) for k, v in d.items()} for s, d in f.items()}
            for name, f in figures.items()
        },
        "ratios": {
            name: round(f["single"]["messages_per_s"] / base["single"]["messages_per_s"], 3)
            for name, f in figures.items()
        },
        "latency_ms": {k: round(v, 3) for k, v in overhead.items()},
        "errors": errors,
    }
    print(json.dumps(summary))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
