"""A local HTTP server standing in for the GitHub, Slack, Jira and Sentry APIs: a real
http.server on a free port that records every request and answers as the provider would
(including Slack's `200 {"ok": false}`), and can be told to fail a path a number of times."""

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    def text(self) -> str:
        return json.dumps(self.body) if not isinstance(self.body, str) else self.body


@dataclass
class Failure:
    fragment: str
    status: int
    times: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


class ProviderAPIs:
    """Base URLs: GITHUB_API_URL=<url>/github, SLACK_API_URL=<url>/slack/api,
    JIRA_BASE_URL=<url>/jira, SENTRY_API_URL=<url>/sentry/api/0 (see `settings()`)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                headers_in = {k.lower(): v for k, v in self.headers.items()}
                recorder._record(Recorded(self.command, self.path, headers_in, body))
                status, answer, headers, delay = recorder._answer(self.command, self.path, body)
                time.sleep(delay)
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def settings(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": f"{self.url}/github",
            "SLACK_API_URL": f"{self.url}/slack/api",
            "JIRA_BASE_URL": f"{self.url}/jira",
            "SENTRY_API_URL": f"{self.url}/sentry/api/0",
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self,
        fragment: str,
        status: int,
        times: int,
        body: Any = None,
        delay: float = 0.0,
        **headers: str,
    ) -> None:
        """The next `times` requests whose path holds `fragment` get `status` and `body`,
        after `delay` seconds (recorded as they arrive)."""
        with self._lock:
            failure = Failure(fragment, status, times, body or {"message": "down"}, headers, delay)
            self.failures.append(failure)

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str], float]:
        with self._lock:
            for failure in self.failures:
                if failure.fragment in path and failure.times > 0:
                    failure.times -= 1
                    return failure.status, failure.body, failure.headers, failure.delay
            number = next(self._ids)
        if path.startswith("/slack/api/"):
            return (
                200,
                {
                    "ok": True,
                    "ts": f"1700000000.{number:06d}",
                    "channel": (body or {}).get("channel"),
                },
                {},
                0.0,
            )
        if path.endswith("/diff") or ("/pulls/" in path and method == "GET"):
            return 200, "diff --git a/x b/x\n", {}, 0.0
        status = 201 if method == "POST" else 200
        return status, {"id": number, "html_url": f"{self.url}{path}#{number}"}, {}, 0.0

    # reading what was received

    def matching(self, method: str, fragment: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method and fragment in r.path]

    def wait_for(
        self,
        method: str,
        fragment: str,
        where: Callable[[Recorded], bool] = lambda r: True,
        timeout: float = 60,
    ) -> Recorded:
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.matching(method, fragment) if where(r)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                seen = [(r.method, r.path) for r in self.requests]
                raise TimeoutError(f"no {method} {fragment} within {timeout} s; received {seen}")
            time.sleep(0.05)
