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
MAGIC = {  # an upload's type, from its first bytes (not from what the client says)
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def sniff(data: bytes) -> str | None:
    """The image type of `data` by its magic bytes (PNG, JPEG, GIF, WebP), else None."""
    for magic, mime in MAGIC.items():
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class Part:
    """One part of a multipart/form-data body."""

    def __init__(self, name: str, data: bytes, filename: str | None, content_type: str | None):
        self.name, self.data, self.filename, self.content_type = name, data, filename, content_type

    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """A multipart/form-data body's parts by name, their bytes exactly as sent (the stdlib's
    email parser and python-multipart are not used: the first rewrites line endings in
    binary parts, the second is not a dependency). ValueError if it is not well formed."""
    import re

    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not (content_type or "").lower().startswith("multipart/form-data") or not m:
        raise ValueError("not multipart/form-data with a boundary")
    delim = b"--" + m.group(1).encode("latin-1")
    chunks = body.split(delim)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body without its closing boundary")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise ValueError("multipart boundary not on a line of its own")
        head, sep, data = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a blank line after its headers")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disp)
        filename = re.search(r'filename="([^"]*)"', disp)
        if not disp.lower().startswith("form-data") or not name:
            raise ValueError("multipart part without Content-Disposition: form-data; name=...")
        parts[name.group(1)] = Part(
            name.group(1), data, filename.group(1) if filename else None, headers.get("content-type")
        )
    return parts


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


def png_bytes(width: int = 4, height: int = 3, text: dict[str, str] | None = None, pad: int = 0) -> bytes:
    """A small valid PNG (8-bit grey) for tests and the demo, with `text` as iTXt chunks
    (e.g. an XMP packet under "XML:com.adobe.xmp", as provenance metadata travels) and `pad`
    bytes of a private ancillary chunk (to make an image of a given size)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 40 + y * 20) % 256 for x in range(width)) for y in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    for key, value in (text or {}).items():
        out += chunk(b"iTXt", key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + value.encode("utf-8"))
    if pad:
        out += chunk(b"paDd", bytes(pad))
    return out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
