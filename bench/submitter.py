"""The throughput benchmark's load, in a process of its own, so submitting never competes with
measuring for one interpreter: `python -m bench.submitter PLAN.json`.

The plan says which side to load: `system` (POST /api/tasks, `in_flight` at once, over HTTP) or
`bare` (apply_async in a loop, each with the task id the plan gives). It prints one JSON line
when done: when the first submit left and when the last one was answered (time.time())."""

import asyncio
import json
import sys
import time
from typing import Any
from urllib.parse import urlsplit

# httpx cost ~6 ms of CPU per POST here (measured beside the API's ~6 ms): on two shared cores
# the load's own client took as much as the system it measured. So the system's side is sent
# as a lean client does it, as bench/ws_viewer.py receives: HTTP/1.1 on `in_flight` kept-alive
# connections, the request written whole, the answer read by its Content-Length.


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, body: bytes) -> int:
        """One request; its status. The answer's body is read and dropped."""
        self.writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status_line = await self.reader.readline()
        length = 0
        while (header := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def _system(plan: dict[str, Any]) -> tuple[float, float]:
    parts = urlsplit(plan["url"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST /api/tasks HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {plan['token']}\r\nContent-Type: application/json\r\n"
    ).encode()
    prompts: asyncio.Queue[str] = asyncio.Queue()
    for prompt in plan["prompts"]:
        prompts.put_nowait(prompt)
    connections = [
        Connection(*await asyncio.open_connection(host, port)) for _ in range(plan["in_flight"])
    ]

    async def send_all(connection: Connection) -> None:
        while not prompts.empty():
            body = json.dumps({"prompt": prompts.get_nowait(), "session_id": plan["session"]})
            status = await connection.post(head, body.encode())
            if status >= 300:
                raise RuntimeError(f"POST /api/tasks answered {status}")

    first = time.time()
    await asyncio.gather(*(send_all(connection) for connection in connections))
    last = time.time()
    for connection in connections:
        connection.writer.close()
    return first, last


def _bare(plan: dict[str, Any]) -> tuple[float, float]:
    from bench.bare import run_cli, use_redis

    use_redis(plan["redis_url"])
    first = time.time()
    for task_id, prompt in zip(plan["ids"], plan["prompts"], strict=True):
        run_cli.apply_async(args=[plan["argv"], plan["cwd"], prompt], task_id=task_id)
    return first, time.time()


def _run(work: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(work)
    except ImportError:
        return asyncio.run(work)


def main(path: str) -> None:
    with open(path) as file:
        plan = json.load(file)
    first, last = _run(_system(plan)) if plan["side"] == "system" else _bare(plan)
    print(json.dumps({"first_submit": first, "last_answered": last}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
