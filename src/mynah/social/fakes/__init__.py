"""Small fake platform servers (FastAPI apps, state in memory) for tests and the demo.

`serve_in_thread` runs one of them with uvicorn on 127.0.0.1 in a daemon thread.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

# the request headers the fakes record (lower-cased)
RECORDED_HEADERS = ("authorization", "idempotency-key", "atproto-proxy", "content-type")


class FakeBase:
    """What every fake records and how it is told to fail.

    `requests`: every call received (not the `/_fake` controls) as {"method", "path",
    "query", "headers", "json"}; `sent`: what the account created; `fail(...)`: make the next
    `times` matching calls fail with `status`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.requests: list[dict] = []
        self.sent: list[dict] = []
        self.failures: list[dict] = []
        self.closed = threading.Event()

    def fail(
        self, status: int, times: int = 1, retry_after: float | None = None, path_prefix: str | None = None
    ):
        with self.lock:
            self.failures.append(
                {
                    "status": int(status),
                    "times": int(times),
                    "retry_after": retry_after,
                    "path_prefix": path_prefix,
                }
            )

    def record(self, method: str, path: str, query: dict, headers, body) -> None:
        with self.lock:
            self.requests.append(
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": {k: headers[k] for k in RECORDED_HEADERS if k in headers},
                    "json": body,
                }
            )

    def take_failure(self, path: str) -> dict | None:
        """The failure rule the call to `path` meets, if any (and count it down)."""
        with self.lock:
            for f in self.failures:
                if f["path_prefix"] is None or path.startswith(f["path_prefix"]):
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self.failures.remove(f)
                    return f
        return None

    def close(self) -> None:
        """End the open streams (the server is stopping)."""
        self.closed.set()


class Running:
    """A fake server running in a daemon thread: `.url`, `.port`, `.stop()`; a context manager."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, port: int):
        self.server, self.thread, self.port = server, thread, port
        self.url = f"http://127.0.0.1:{port}"

    def stop(self, timeout: float = 5.0) -> None:
        fake = getattr(getattr(self.server.config.app, "state", None), "fake", None)
        if hasattr(fake, "close"):
            fake.close()  # open streams end now rather than at the graceful-shutdown timeout
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_thread(app, port: int = 0) -> Running:
    """Run the ASGI `app` on 127.0.0.1:`port` (0: a free port) in a daemon thread and wait
    (at most 10 s) until it accepts connections."""
    if not port:
        port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"fake-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if server.started:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return Running(server, thread, port)
            except OSError:
                pass
        if not thread.is_alive():
            break
        time.sleep(0.02)
    server.should_exit = True
    thread.join(2.0)
    raise RuntimeError(f"fake server on 127.0.0.1:{port} did not start within 10 s")
