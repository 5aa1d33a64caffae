"""Streaming the changes list of a local workspace through the change index.

First the cached rows (instant, maybe stale), then every folder's signature is checked,
folders that changed are summarized again — in worker processes when there are many, so
both cores parse — and the final, validated list is yielded and written back to the index.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

from core.ito.listing import ChangeFolder
from core.ito.summary import folder_signature, summarize_change_dir
from core.ito.workspace import ItoWorkspace
from core.models.changes import ChangeListing, ChangeSummary, Lifecycle, LifecycleFilter
from core.store.change_index import ChangeIndex, IndexEntry

# Below this many folders to summarize, worker processes cost more than they save.
PARALLEL_FROM = 3000
CHUNK = 1000
# How often (in summarized folders) a growing listing is reported.
REPORT_EVERY = 5000

Job = tuple[str, str, Lifecycle, date | None]  # path, change id, lifecycle, archived on


def _summarize(jobs: list[Job]) -> list[tuple[str, ChangeSummary]]:
    """(signature, summary) per job; the signature is taken first, so an edit made while
    the folder is read leaves a signature that no longer matches and is read again."""
    results = []
    for path, change_id, lifecycle, archived_on in jobs:
        folder = Path(path)
        signature = folder_signature(folder)
        results.append((signature, summarize_change_dir(folder, change_id, lifecycle, archived_on)))
    return results


def folder_key(folder: ChangeFolder, lifecycle: Lifecycle) -> str:
    return folder.path.name if lifecycle == Lifecycle.ACTIVE else f"archive/{folder.path.name}"


def stream_listing(
    ito: ItoWorkspace, index: ChangeIndex, lifecycle: LifecycleFilter
) -> Iterator[ChangeListing]:
    cached = index.load(lifecycle)
    if cached:
        yield ChangeListing([summary for _, _, summary in cached], complete=False)
    known = {folder: (signature, summary) for folder, signature, summary in cached}
    folders = ito.change_folders(lifecycle)
    total = len(folders)
    rows: list[ChangeSummary | None] = [None] * total
    stale: list[tuple[int, str, Job]] = []
    for position, (folder, life) in enumerate(folders):
        key = folder_key(folder, life)
        entry = known.pop(key, None)
        if entry is not None and entry[0] == folder_signature(folder.path):
            rows[position] = entry[1]
        else:
            # Not cached (a cold start): its signature is taken where it is read, in the
            # workers, so the first rows show up without a pass over every folder first.
            job = (str(folder.path), folder.change_id, life, folder.archived_on)
            stale.append((position, key, job))
    fresh: list[IndexEntry] = []
    done = total - len(stale)
    for batch_start, results in _summarize_all([item[2] for item in stale]):
        for offset, (signature, summary) in enumerate(results):
            position, key, _job = stale[batch_start + offset]
            rows[position] = summary
            fresh.append((key, signature, summary))
        done += len(results)
        if done < total:
            yield ChangeListing([row for row in rows if row is not None], False, done, total)
    # What is left of the cache (it held only this lifecycle) names folders that are gone.
    index.update(fresh, gone=list(known))
    yield ChangeListing([row for row in rows if row is not None], True, total, total)


def _summarize_all(jobs: list[Job]) -> Iterator[tuple[int, list[tuple[str, ChangeSummary]]]]:
    """(index of the first job, its results) in order, every REPORT_EVERY or so."""
    if len(jobs) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        for start in range(0, len(jobs), REPORT_EVERY):
            yield start, _summarize(jobs[start : start + REPORT_EVERY])
        return
    chunks = [jobs[start : start + CHUNK] for start in range(0, len(jobs), CHUNK)]
    # forkserver, not fork: the dashboard has threads, and forking a threaded process can
    # copy a lock that some other thread holds.
    context = multiprocessing.get_context("forkserver")
    finished = 0
    try:
        with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
            for summaries in pool.map(_summarize, chunks):
                yield finished * CHUNK, summaries
                finished += 1
    except (BrokenProcessPool, OSError, ValueError):
        # No worker processes here (a sandbox, a broken interpreter, a stderr without a file
        # descriptor for multiprocessing's helper process to inherit): do it in-process.
        for number in range(finished, len(chunks)):
            yield number * CHUNK, _summarize(chunks[number])
