"""A local git server standing in for GitHub's git side: `git http-backend` (git's own smart
HTTP server, as CGI) behind a real http.server on 127.0.0.1, with HTTP Basic authentication
like GitHub's (user `x-access-token`, the token as password). It records what each request
presented, so a test can tell the token arrived by git's credential helper."""

import base64
import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass
class GitRequest:
    method: str
    path: str
    authorization: str | None


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


class GitServer:
    """Repositories live under `root` as `<owner>/<name>.git`; clone URLs are
    `<url>/<owner>/<name>.git` (so GITHUB_GIT_URL=<url>)."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.token = token
        self.requests: list[GitRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                server._serve(self)

            do_GET = do_POST = _handle

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    # repositories

    def create(
        self, repository: str, files: Mapping[str, str | bytes], branch: str = "main"
    ) -> Path:
        """A bare repository holding one commit of `files` on `branch` (its default)."""
        bare = self.root / f"{repository}.git"
        work = self.root / "_work" / repository
        work.mkdir(parents=True)
        git("init", "-q", "-b", branch, cwd=work)
        for name, content in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "initial", cwd=work)
        bare.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "-q", "--bare", str(work), str(bare))
        git("config", "http.receivepack", "true", cwd=bare)
        return bare

    def branch_files(self, repository: str, branch: str) -> dict[str, str]:
        bare = self.root / f"{repository}.git"
        names = git("ls-tree", "-r", "--name-only", branch, cwd=bare).splitlines()
        return {name: git("show", f"{branch}:{name}", cwd=bare) for name in names}

    def branches(self, repository: str) -> list[str]:
        bare = self.root / f"{repository}.git"
        listed = git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=bare)
        return listed.splitlines()

    def seen(self) -> list[GitRequest]:
        with self._lock:
            return list(self.requests)

    # HTTP

    def _authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
        return header == f"Basic {expected}"

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        header = request.headers.get("Authorization")
        with self._lock:
            self.requests.append(GitRequest(request.command, request.path, header))
        if not self._authorized(header):  # like a private GitHub repository: 401, then auth
            request.send_response(401)
            request.send_header("WWW-Authenticate", 'Basic realm="git"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        body = self._body(request)
        path, _, query = request.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": request.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        if request.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
        if request.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    @staticmethod
    def _body(request: BaseHTTPRequestHandler) -> bytes:
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(request.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    request.rfile.readline()
                    return b"".join(chunks)
                chunks.append(request.rfile.read(size))
                request.rfile.readline()
        length = int(request.headers.get("Content-Length") or 0)
        return request.rfile.read(length) if length else b""
