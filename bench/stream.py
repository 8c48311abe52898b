"""Stream latency: a CLI line written → received by each WebSocket client, with 1, 100 and 1,000
clients of one API process watching the same task (its session), the clients in a process of
their own. The CLI stand-in prints 200 lines 20 ms apart, each carrying the time it was written.
Baseline, in the same run: a plain Redis subscriber on the session's channel (the transport the
API relays from), so the difference is what the API's hub and relay add. Then the same API on
uvicorn's own WebSocket protocol (the ASGI send path, as before the fan-out frames) with 1 and
the most clients: the API's CPU per line per viewer, fan-out frames against ASGI send."""

import os
import threading
import time
from typing import Any

import psutil
import redis

from app.streams.events import TERMINAL_EVENTS, peek_header, session_channel
from bench.report import BenchResult, Figure
from bench.stand_in import stream_prompt
from bench.stats import summary_ms
from bench.systems import Context, Systems, start_api
from bench.ws_clients import BENCH_T, Clients

LINES = 200
INTERVAL_MS = 20
GOAL_P99_MS = {100: 20.0, 1000: 50.0}  # clients → p99 goal (issue 17: 1,000 viewers ≤ 50 ms)


class RedisWatcher(threading.Thread):
    """Receives a channel's events straight from Redis and notes when each arrived."""

    def __init__(self, url: str, channel: str, timeout: float) -> None:
        super().__init__(name="redis-watcher", daemon=True)
        self.client = redis.Redis.from_url(url)
        self.pubsub = self.client.pubsub()
        self.pubsub.subscribe(channel)
        self.pubsub.get_message(timeout=5)  # the subscription's confirmation
        self.timeout = timeout
        self.received: list[tuple[float, str]] = []

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is None:
                continue
            text = message["data"].decode()
            self.received.append((time.time(), text))
            header = peek_header(text)
            if header and header[0] in TERMINAL_EVENTS:
                break
        self.pubsub.close()
        self.client.close()

    def summary(self) -> dict[str, Any]:
        latencies = [
            at - float(match[1]) for at, text in self.received if (match := BENCH_T.search(text))
        ]
        return {"lines": len(latencies), "latency_ms": summary_ms(latencies)}


def measure(systems: Systems, clients: int, timeout: float) -> dict[str, Any]:
    """One task's lines to `clients` viewers of its session."""
    session = f"bench-stream-{clients}"
    url = f"{systems.ws_base}/{session}"
    log = systems.dir / f"clients-{clients}.log"
    with Clients(url, clients, timeout, log, systems.token) as watchers:
        connect_seconds = watchers.wait_ready()
        time.sleep(1 + clients / 500)  # the API subscribes each socket after accepting it
        direct = RedisWatcher(systems.env["REDIS_URL"], session_channel(session), timeout)
        direct.start()
        before, load = _cpu_times(systems), os.getloadavg()[0]
        body = {"prompt": stream_prompt(LINES, INTERVAL_MS), "session_id": session}
        systems.stack.client.post("/api/tasks", json=body).raise_for_status()
        received = watchers.result()
        after = _cpu_times(systems)
        direct.join(timeout)
    user, system = after[0] - before[0], after[1] - before[1]
    return {
        "clients": clients,
        "connect_seconds": connect_seconds,
        "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        "api_cpu_seconds": round(user + system, 3),
        "api_cpu_user_seconds": round(user, 3),
        "api_cpu_system_seconds": round(system, 3),
        # The API's CPU for the whole task (its events included) shared out over every line
        # each client received.
        "api_cpu_us_per_line_per_client": round((user + system) / (LINES * clients) * 1e6, 2),
        "websocket": received,
        "redis": direct.summary(),
    }


def _cpu_times(systems: Systems) -> tuple[float, float]:
    assert systems.stack.api is not None
    times = psutil.Process(systems.stack.api.pid).cpu_times()
    return float(times.user), float(times.system)


def _marginal_us(runs: list[dict[str, Any]], entry: dict[str, Any]) -> float:
    """What one more viewer costs the API per line: the CPU above the one-client run's, over
    the lines the extra clients received."""
    one = next(run for run in runs if run["clients"] == 1)
    extra = entry["clients"] - 1
    return (entry["api_cpu_seconds"] - one["api_cpu_seconds"]) / (LINES * extra) * 1e6


def run(ctx: Context) -> BenchResult:
    counts = (1, 100) if ctx.quick else (1, 100, 1000)
    result = BenchResult(
        "stream", f"Stream latency, {LINES} lines {INTERVAL_MS} ms apart, one API process"
    )
    runs: list[dict[str, Any]] = []
    asgi_runs: list[dict[str, Any]] = []
    timeout = 60 if ctx.quick else 180
    with Systems(ctx, "stream", bare=False) as systems:
        measure(systems, 1, 60)  # warm-up
        for clients in counts:
            runs.append(measure(systems, clients, timeout))
        _serve_with_asgi_send(systems)
        if not ctx.quick:  # (with --quick its one-client run warms it: under 3 minutes in all)
            measure(systems, 1, 60)
        for clients in (1, counts[-1]):
            asgi_runs.append(measure(systems, clients, timeout))
    result.details = {
        "lines": LINES,
        "interval_ms": INTERVAL_MS,
        "runs": runs,
        "asgi_send_runs": asgi_runs,
    }
    for entry in runs:
        clients = entry["clients"]
        ws, direct = entry["websocket"], entry["redis"]
        expected = LINES * clients
        received = ws["latency_ms"].get("n", 0)
        if received < expected or direct["lines"] < LINES:
            result.details.setdefault("warnings", []).append(
                f"{clients} clients: {received}/{expected} lines over WebSocket, "
                f"{direct['lines']}/{LINES} over Redis"
            )
        for q in ("p50", "p99"):
            goal = clients in GOAL_P99_MS and q == "p99"
            figure = Figure(
                f"line → WebSocket, {clients} client{'s' if clients > 1 else ''}, {q}",
                "ms",
                ws["latency_ms"].get(q, float("nan")),
                direct["latency_ms"].get(q, float("nan")),
                "Redis subscriber",
                goal=f"≤ {GOAL_P99_MS[clients]:g} ms" if goal else "",
            )
            if goal:
                figure.met = figure.system <= GOAL_P99_MS[clients]
            result.figures.append(figure)
        if clients > 1:
            entry["api_cpu_us_per_line_per_extra_client"] = round(_marginal_us(runs, entry), 2)
            result.figures.append(
                Figure(
                    f"API CPU per line per viewer, {clients} clients",
                    "µs",
                    entry["api_cpu_us_per_line_per_extra_client"],
                )
            )
    asgi = asgi_runs[-1]
    asgi["api_cpu_us_per_line_per_extra_client"] = round(_marginal_us(asgi_runs, asgi), 2)
    for q in ("p50", "p99"):
        result.figures.append(
            Figure(
                f"line → WebSocket, {asgi['clients']} clients, {q}, ASGI send path (before)",
                "ms",
                asgi["websocket"]["latency_ms"].get(q, float("nan")),
                asgi["redis"]["latency_ms"].get(q, float("nan")),
                "Redis subscriber",
            )
        )
    result.figures.append(
        Figure(
            f"API CPU per line per viewer, {asgi['clients']} clients, fan-out frames",
            "µs",
            runs[-1]["api_cpu_us_per_line_per_extra_client"],
            asgi["api_cpu_us_per_line_per_extra_client"],
            "ASGI send path",
        )
    )
    return result


def _serve_with_asgi_send(systems: Systems) -> None:
    """The same API on uvicorn's own WebSocket protocol: the relay then sends through ASGI, a
    coroutine per viewer per event, each connection compressing for itself, as before the
    fan-out frames. Same run, same machine: the baseline of the CPU per viewer."""
    stack = systems.stack
    assert stack.api is not None
    stack.api.stop()
    stack.api = start_api(systems.env, stack.port, systems.dir / "api-asgi.log", ws="auto")
