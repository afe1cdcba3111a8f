"""Stage 1 of `mynah corpus build` on a Ray cluster: one task per input file.

Workers read and filter their file and send the surviving records back; the driver
writes them to DIR/.work/ (so DIR need not be shared, only the inputs must be readable
by the workers) and then runs the same global stage as the local engine, in input order.
That is why both engines keep exactly the same posts.
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm import tqdm

from mynah.corpus.build import BuildConfig, new_stats, save_stage1, stage1_lines


def _task(path: str, cfg: BuildConfig) -> tuple[list[str], dict]:
    stats = new_stats(path)
    lines = list(stage1_lines(path, cfg, stats))
    return lines, stats


def run_stage1(
    todo: list[tuple[str, str]],
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
        pending = {task.remote(path, cfg): key for path, key in todo}
        bar = tqdm(total=len(pending), desc="reading (ray)", unit="file", disable=not progress)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                lines, stats = ray.get(ref)
                save_stage1(Path(work), pending.pop(ref), lines, stats)
                bar.update(1)
        bar.close()
    finally:
        if started:
            ray.shutdown()
