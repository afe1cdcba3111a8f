"""Stage 1 of `mynah corpus build` on a Ray cluster: one task per input part (a file, or a
byte range of a large JSON Lines file).

Workers read and filter their part and send its records back as an Arrow IPC stream; the
driver writes them to DIR/.work/ (so DIR need not be shared, only the inputs must be
readable by the workers) and then runs the same global stage as the local engine, in input
order. That is why both engines keep exactly the same posts.
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

from mynah.atomic import write_bytes
from mynah.corpus.build import BuildConfig, Part, save_stats, write_stage1


def _task(part: Part, cfg: BuildConfig) -> tuple[bytes, dict]:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    stats = write_stage1(part, cfg, sink)
    return sink.getvalue().to_pybytes(), stats


def run_stage1(
    todo: list[Part],
    work: str,
    cfg: BuildConfig,
    address: str | None,
    progress: bool,
    num_cpus: int | None = None,
) -> None:
    try:
        import ray
    except ImportError:
        raise ValueError("--engine ray needs Ray: pip install 'mynah[ray]'") from None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no phoning home
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=address,
            num_cpus=None if address else num_cpus,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        task = ray.remote(_task)
        pending = {task.remote(part, cfg): part for part in todo}
        bar = tqdm(total=len(pending), desc="reading (ray)", unit="part", disable=not progress)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                data, stats = ray.get(ref)
                part = pending.pop(ref)
                write_bytes(Path(work) / f"{part.key}.arrow", data)
                save_stats(Path(work), part.key, stats)
                bar.update(1)
        bar.close()
    finally:
        if started:
            ray.shutdown()
