"""A live `mynah serve` on 127.0.0.1 for the tests, and validation against OpenAI's spec."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

import httpx


def _find_spec() -> Path:
    """OpenAI's spec from $MYNAH_OPENAI_SPEC, else ../shared/specs/openai/openapi.json beside
    the checkout or beside any folder above it (a CI clone may sit deeper than /work/main)."""
    if os.environ.get("MYNAH_OPENAI_SPEC"):
        return Path(os.environ["MYNAH_OPENAI_SPEC"])
    repo = Path(__file__).resolve().parents[1]
    for folder in repo.parents:
        candidate = folder / "shared/specs/openai/openapi.json"
        if candidate.exists():
            return candidate
    return repo.parent / "shared/specs/openai/openapi.json"


SPEC = _find_spec()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m mynah.cli serve ...` in its own process, ready when /health says ok."""

    def __init__(self, model: Path, *args: str, key: str | None = None, tmp: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = key
        cmd = [
            sys.executable,
            "-m",
            "mynah.cli",
            "serve",
            "--model",
            str(model),
            "--port",
            str(self.port),
            *args,
        ]
        # the watermark is on, as users run it; its key goes to a state folder of the test's
        # own, never the working directory
        if "--state-dir" not in args and "--no-watermark" not in args:
            import tempfile

            self.state = Path(tmp) / f"state-{self.port}" if tmp else Path(tempfile.mkdtemp())
            cmd += ["--state-dir", str(self.state)]
        if key:
            f = tmp / f"keys-{self.port}.txt"
            f.write_text(f"# test keys\n{key}\n")
            cmd += ["--api-key-file", str(f)]
        self.log = (tmp or Path("/tmp")) / f"server-{self.port}.log"
        with open(self.log, "w") as log:  # the child keeps its own copy of the descriptor
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy within 120 s")

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def metric(self, name: str) -> float:
        for line in httpx.get(self.url + "/metrics", timeout=5).text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise KeyError(name)

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, keyed by (sample name, sorted label pairs)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx.get(self.url + "/metrics", timeout=5).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def metric_delta(before: dict, after: dict, name: str, **labels: str) -> float:
    """How much the sample `name{labels}` grew between two `LiveServer.samples()` reads."""
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


@lru_cache(maxsize=1)
def _registry():
    from referencing import Registry, Resource

    spec = _nullable_to_anyof(json.loads(SPEC.read_text()))
    return spec, Registry().with_resource(
        "spec", Resource.from_contents(spec, default_specification=_draft())
    )


def _draft():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def _nullable_to_anyof(node):
    """The spec mixes OpenAPI 3.0's `nullable: true` into JSON Schema; make it a real null option."""
    if isinstance(node, list):
        return [_nullable_to_anyof(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable_to_anyof(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validate(body: dict, schema_name: str) -> bool:
    """Fails the test if `body` does not match the spec's components/schemas/NAME. Without
    the spec file (it lives in ../shared, which users don't have) it checks nothing and
    returns False; the conformance test itself skips then."""
    if not SPEC.exists():
        return False
    import jsonschema

    spec, registry = _registry()
    schema = {"$ref": f"spec#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(body)
    return True


def sse_events(response: httpx.Response) -> list[str]:
    """The `data:` payloads of a server-sent event stream, in order."""
    out = []
    for line in response.iter_lines():
        if line.startswith("data: "):
            out.append(line[6:])
    return out
