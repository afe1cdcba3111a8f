"""Image generation: a diffusers pipeline from a local folder, run in a worker process.

Why a process. On a CPU server the denoising loop and the text engine would share one
Python interpreter, and the loop's Python-level work would take the GIL from the text
decode between every kernel. In its own process, at the lowest priority (nice 19 and
SCHED_IDLE: the kernel runs it only when no other process wants the CPU) and with one
thread, the pipeline uses what the text engine leaves: chat streams keep their pace while
images are made (benchmarks/images.py: 97% of the decode rate; at nice 10 it was 75%). The
price: under a steady chat load that fills every core, images wait.

Scheduling. Like text, image requests wait in a bounded queue (429 when it is full) and
run one at a time; a request whose client has gone is dropped from the queue, or, when it
is already running, interrupted at its next denoising step.

Safety of the folder. Only safetensors are loaded: a component that has pickle weights
(.bin, .ckpt, .pt, .pth, .pkl) and no safetensors is refused before anything is read,
naming the file, because unpickling runs code.
"""

from __future__ import annotations

import collections
import contextlib
import io
import itertools
import json
import multiprocessing as mp
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

PICKLE = (".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle")


class PipelineError(ValueError):
    """An image model folder that cannot be served: the message names the file."""


def check_folder(folder: str | os.PathLike) -> dict:
    """The folder's model_index.json, once every weight in it is known to be safetensors."""
    d = Path(folder)
    if not d.is_dir():
        raise PipelineError(f"{d}: no such folder (--image-model names a diffusers pipeline folder)")
    index = d / "model_index.json"
    if not index.is_file():
        single = sorted(p.name for p in d.iterdir() if p.suffix in PICKLE + (".safetensors",))
        hint = f" (it holds {', '.join(single)}: single-file checkpoints are not served)" if single else ""
        raise PipelineError(f"{index}: missing; --image-model needs a diffusers pipeline folder{hint}")
    try:
        spec = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PipelineError(f"{index}: not readable JSON ({e})") from None
    for name, value in spec.items():
        if name.startswith("_") or not (isinstance(value, list) and value and value[0]):
            continue
        sub = d / name
        if not sub.is_dir():
            continue
        files = [p for p in sub.rglob("*") if p.is_file()]
        pickles = [p for p in files if p.suffix in PICKLE]
        safe = [p for p in files if p.suffix == ".safetensors"]
        if pickles and not safe:
            raise PipelineError(
                f"{pickles[0]}: pickle weights are refused (loading them runs code); "
                "convert the component to safetensors"
            )
    return spec


@dataclass
class Job:
    prompt: str
    n: int = 1
    width: int = 512
    height: int = 512
    steps: int | None = None
    guidance_scale: float | None = None
    negative_prompt: str | None = None
    seed: int | None = None


class Cancelled(Exception):
    pass


class Busy(Exception):
    """The queue is full."""


# -- the worker process ------------------------------------------------------------------


def _worker(folder: str, conn, cancel, threads: int, nice: int, defaults: dict) -> None:
    parent = os.getppid()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    with contextlib.suppress(OSError):  # a container may forbid it; run at the same priority then
        os.nice(nice)
    if nice >= 19 and hasattr(os, "SCHED_IDLE"):
        # the lowest there is: the kernel runs this process only when nothing else wants a CPU
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    try:
        import cv2
        import torch
        from diffusers import DiffusionPipeline
        from diffusers.utils import logging as dlog

        from mynah.images.watermark import mark

        dlog.set_verbosity_error()
        torch.set_num_threads(threads)
        with contextlib.suppress(RuntimeError):  # only before any parallel work has run
            torch.set_num_interop_threads(1)
        cv2.setNumThreads(threads)  # the pixel mark's DWT/DCT: no thread pool of its own
        device = defaults.get("device") or "cpu"
        dtype = getattr(torch, defaults.get("dtype") or "float32")
        pipe = DiffusionPipeline.from_pretrained(
            folder, use_safetensors=True, local_files_only=True, torch_dtype=dtype
        ).to(device)
        pipe.set_progress_bar_config(disable=True)
        size = getattr(pipe, "default_sample_size", None) or pipe.unet.config.sample_size
        scale = getattr(pipe, "vae_scale_factor", 8)
        conn.send(("ready", {"default_size": int(size * scale), "class": type(pipe).__name__}))
    except Exception as e:  # the server says why in every generation's 503
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        jid, job = msg
        job = Job(**job)
        try:
            gen = torch.Generator(device).manual_seed(job.seed) if job.seed is not None else None

            def step(p, i, t, kw, jid=jid):
                if os.getppid() != parent:  # the server is gone (killed): so is its work
                    os._exit(0)
                if cancel.value == jid:
                    p._interrupt = True  # diffusers' loop skips the remaining steps
                return kw

            kwargs = dict(
                prompt=job.prompt,
                num_images_per_prompt=job.n,
                width=job.width,
                height=job.height,
                num_inference_steps=job.steps or defaults["steps"],
                guidance_scale=job.guidance_scale if job.guidance_scale is not None else defaults["guidance"],
                generator=gen,
                callback_on_step_end=step,
            )
            if job.negative_prompt:
                kwargs["negative_prompt"] = job.negative_prompt
            images = pipe(**kwargs).images
            if cancel.value == jid:
                conn.send((jid, "cancelled", None))
                continue
            out = []
            for im in images:
                rgb = im.convert("RGB")
                marked = mark(rgb)
                buf = io.BytesIO()
                marked.save(buf, "PNG")
                out.append((buf.getvalue(), marked is not rgb))
            conn.send((jid, "ok", out))
        except Exception as e:
            conn.send((jid, "error", f"{type(e).__name__}: {e}"))


# -- the server's side -------------------------------------------------------------------


class ImageService:
    """One worker process and a bounded queue in front of it. `submit` is called from the
    event loop and returns a concurrent future; `cancel` drops or interrupts a job."""

    def __init__(
        self,
        folder: str | os.PathLike,
        model_id: str | None = None,
        max_queue: int = 4,
        threads: int = 1,
        nice: int = 19,
        steps: int = 4,
        guidance: float = 0.0,
        device: str = "cpu",
        dtype: str = "float32",
    ):
        self.folder = Path(folder)
        check_folder(self.folder)
        self.model_id = model_id or self.folder.resolve().name
        self.max_queue, self.threads, self.nice = max_queue, threads, nice
        if dtype not in ("float32", "float16", "bfloat16"):
            raise PipelineError(f"--image-dtype {dtype!r}: give float32, float16 or bfloat16")
        self.defaults = {"steps": steps, "guidance": guidance, "device": device, "dtype": dtype}
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.info: dict = {}
        self._ids = itertools.count(1)
        self._queue: collections.OrderedDict[int, tuple[Job, object]] = collections.OrderedDict()
        self._running: int | None = None
        self._cv = threading.Condition()
        self._stop = False
        self._proc = None
        self._thread: threading.Thread | None = None
        self.done = 0
        self.cancelled = 0  # jobs dropped or interrupted because their client went away

    def start(self) -> None:
        ctx = mp.get_context("spawn")  # no fork of a server with threads and a loaded model
        self._cancel = ctx.Value("q", 0, lock=False)
        parent, child = ctx.Pipe()
        self._conn = parent
        self._proc = ctx.Process(
            target=_worker,
            args=(str(self.folder), child, self._cancel, self.threads, self.nice, self.defaults),
            name="mynah-images",
            daemon=True,
        )
        self._proc.start()
        child.close()
        self._thread = threading.Thread(target=self._run, name="mynah-images-dispatch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            kind, info = self._conn.recv()
        except (EOFError, OSError):
            kind, info = "error", "the image worker exited while loading the pipeline"
        if kind == "error":
            self.load_error = info
            self._fail_all(RuntimeError(info))
            return
        self.info = info
        self.ready.set()
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                jid, (job, fut) = self._queue.popitem(last=False)
                self._running = jid
            if not fut.set_running_or_notify_cancel():
                self._running = None
                continue
            try:
                self._conn.send((jid, asdict(job)))
                rid, status, payload = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                self.load_error = "the image worker process died"
                fut.set_exception(RuntimeError(self.load_error))
                self._fail_all(RuntimeError(self.load_error))
                return
            finally:
                self._running = None
            self.done += 1
            if status == "ok":
                fut.set_result(payload)
            elif status == "cancelled":
                self.cancelled += 1
                fut.set_exception(Cancelled())
            else:
                fut.set_exception(RuntimeError(payload))

    def _fail_all(self, e: Exception) -> None:
        with self._cv:
            jobs, self._queue = list(self._queue.values()), collections.OrderedDict()
        for _, fut in jobs:
            if fut.set_running_or_notify_cancel():
                fut.set_exception(e)

    def pending(self) -> int:
        with self._cv:
            return len(self._queue) + (self._running is not None)

    def submit(self, job: Job):
        from concurrent.futures import Future

        fut: Future = Future()
        with self._cv:
            if len(self._queue) + (self._running is not None) >= self.max_queue:
                raise Busy()
            jid = next(self._ids)
            self._queue[jid] = (job, fut)
            self._cv.notify()
        fut.jid = jid
        return fut

    def cancel(self, fut) -> None:
        """The client has gone: drop its job from the queue, or interrupt it mid-loop."""
        with self._cv:
            if self._queue.pop(fut.jid, None) is not None:
                fut.cancel()
                self.cancelled += 1
                return
            if self._running == fut.jid:
                self._cancel.value = fut.jid

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify_all()
        if self._proc is not None:
            with contextlib.suppress(OSError):  # the worker has gone already
                self._conn.send(None)
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
        self._fail_all(RuntimeError("the server is stopping"))
