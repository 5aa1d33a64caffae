"""Streaming the changes list of a local workspace through the change index.

First the cached rows (instant, maybe stale; a big index's first screenful before all of
them); then every folder's signature is checked and folders that changed (or are new) are
summarized again — in worker processes when there are many, so both cores work and the
dashboard's own process stays free to draw — and the final, validated list is yielded and,
if anything changed, written back to the index.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Iterator
from datetime import date

from core.ito.listing import ChangeFolder
from core.ito.summary import folder_signature, read_change_folder
from core.ito.workspace import ItoWorkspace
from core.models.changes import ChangeListing, ChangeSummary, Lifecycle, LifecycleFilter
from core.store.change_index import ChangeIndex, IndexEntry

# Worker processes cost ~0.4 s to get going (the forkserver imports core, each worker the
# console script again); below about twice that much work they cost more than they save. On
# a warm 10,000-change start, checking in-process finished the list in 1.32 s instead of
# 1.67 s (A/B medians of 7). Rough costs, per folder, of reading one and of checking a
# cached one (measured: 250 and 24-40 us).
PARALLEL_FROM_S = 0.8
READ_S = 250e-6
CHECK_S = 40e-6
CHUNK = 1000
# Folders the listing's own process reads before it starts the workers, so that a first
# start shows a screenful of rows at once. At 100,000 changes the workers' first chunk came
# 1.3-1.8 s after the first frame (six workers importing, then reading, on two cores); these
# take ~50 ms. Read while the workers started, they came 0.4 s later: the workers had the
# cores.
HEAD = 200
# Workers per core. Reading folders whose files are not in the page cache (a first start
# after a reboot) mostly waits on the disk: with three a core, 20,000 such folders took
# 5.5 s instead of 10 s on 2 cores. With the files cached they cost 3-7% more.
WORKERS_PER_CORE = 3
# Threads each worker process reads its chunk with. The reads of folders not in the page
# cache wait on the disk; threads (which release the GIL while they wait) overlap those
# waits. 100,000 folders after dropping the page cache: 36-50 s with one thread a worker,
# 23-28 s with 8 (16 did no better); with the files cached, no difference.
READ_THREADS = 8
# How often (in folders) a growing listing is reported, after the first chunk.
REPORT_EVERY = 5000

# folder, change id, lifecycle, archived on, the signature its cached row was made at
Job = tuple[str, str, Lifecycle, date | None, str | None]
# None: the folder still has its cached signature; else its new signature and summary.
Result = tuple[str, ChangeSummary] | None


def _read(jobs: list[Job]) -> list[Result]:
    """One result per job. A folder's stats are taken before its files are read, so an edit
    made while it is read leaves a signature that no longer matches, and is read again."""
    results: list[Result] = []
    for location, change_id, lifecycle, archived_on, cached in jobs:
        if cached is not None and folder_signature(location) == cached:
            results.append(None)
        else:
            results.append(read_change_folder(location, change_id, lifecycle, archived_on))
    return results


def _read_in_threads(jobs: list[Job]) -> list[Result]:
    """`_read(jobs)`, with READ_THREADS threads each reading every READ_THREADS-th job."""
    if len(jobs) < 2 * READ_THREADS:
        return _read(jobs)
    # Imported here, like the process pool: only big listings need it.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(READ_THREADS) as threads:
        parts = list(
            threads.map(_read, [jobs[start::READ_THREADS] for start in range(READ_THREADS)])
        )
    results: list[Result] = [None] * len(jobs)
    for start, part in enumerate(parts):
        results[start::READ_THREADS] = part
    return results


def folder_key(folder: ChangeFolder, lifecycle: Lifecycle) -> str:
    # An active change's folder is named by its id. Taking the name from its path again
    # (os.path.basename) cost 50-100 ms per 100,000-change listing.
    return folder.change_id if lifecycle == Lifecycle.ACTIVE else f"archive/{folder.name}"


def stream_listing(
    ito: ItoWorkspace, index: ChangeIndex, lifecycle: LifecycleFilter
) -> Generator[ChangeListing, None, None]:
    head = index.load_head(lifecycle)
    if head.count > len(head.rows):
        yield ChangeListing(head.rows, complete=False, expected=head.count)
    cached = index.load(lifecycle)
    if cached.summaries:
        yield ChangeListing(cached.summaries, complete=False)
    known = cached.by_folder()
    folders = ito.change_folders(lifecycle)
    total = len(folders)
    keys: list[str] = []
    held: list[tuple[str, ChangeSummary] | None] = []
    jobs: list[Job] = []
    for folder, life in folders:
        key = folder_key(folder, life)
        row = known.pop(key, None)
        keys.append(key)
        held.append(row)
        jobs.append((folder.location, folder.change_id, life, folder.archived_on, row and row[0]))
    # What is left of `known` names folders that are gone.
    changed = bool(known)
    entries: list[IndexEntry | None] = [None] * total
    done = 0
    reported = 0  # folders done at the last growing listing; 0: none yet
    shown = cached.summaries  # the rows of the last listing yielded
    for start, results in _read_all(jobs):
        for position, result in enumerate(results, start):
            if result is not None:
                entries[position] = (keys[position], *result)
                changed = True
            elif (row := held[position]) is not None:
                entries[position] = (keys[position], *row)
        done += len(results)
        if done == total:
            break
        # The first chunk at once (a cold start's first rows), then every REPORT_EVERY:
        # each growing listing is a pass over every row.
        if changed and (not reported or done - reported >= REPORT_EVERY):
            reported = done
            # Folders not checked yet show their cached row meanwhile.
            shown = []
            for entry, row in zip(entries, held, strict=True):
                if entry is not None:
                    shown.append(entry[2])
                elif row is not None:
                    shown.append(row[1])
            yield ChangeListing(shown, False, done, total)
        elif shown:
            # The same rows (the very list, so a consumer can tell), further checked: a
            # consumer can show the progress, and stop the listing here if it no longer
            # wants it (checking 100,000 folders takes seconds).
            yield ChangeListing(shown, False, done, total)
    complete = [entry for entry in entries if entry is not None]
    # An index without its first rows apart (written before they were kept, or damaged) is
    # written again even when no row changed.
    if changed or head.count != len(cached.summaries):
        index.save(lifecycle, complete)
    yield ChangeListing([entry[2] for entry in complete], True, total, total)


def _worth_a_pool(jobs: list[Job]) -> bool:
    if (os.cpu_count() or 1) < 2:
        return False
    unread = sum(1 for job in jobs if job[4] is None)
    return unread * READ_S + (len(jobs) - unread) * CHECK_S >= PARALLEL_FROM_S


def _read_all(jobs: list[Job]) -> Iterator[tuple[int, list[Result]]]:
    """(index of the first job, its results) in order, a chunk at a time."""
    if not _worth_a_pool(jobs):
        for start in range(0, len(jobs), REPORT_EVERY):
            yield start, _read(jobs[start : start + REPORT_EVERY])
        return
    # Imported here: only big workspaces need it, and it costs every start-up ~20 ms.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    head, rest = jobs[:HEAD], jobs[HEAD:]
    yield 0, _read(head)
    chunks = [rest[start : start + CHUNK] for start in range(0, len(rest), CHUNK)]
    # forkserver, not fork: the dashboard has threads, and forking a threaded process can
    # copy a lock that some other thread holds.
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has imported this module once, instead of each
    # importing it (about 0.2 s apiece). No effect once the server runs: it already has.
    context.set_forkserver_preload([__name__])
    finished = 0
    try:
        workers = WORKERS_PER_CORE * (os.cpu_count() or 1)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            for results in pool.map(_read_in_threads, chunks):
                yield len(head) + finished * CHUNK, results
                finished += 1
        finally:
            # Closed early, the listing is no longer wanted (another load, or the app
            # quitting): drop the chunks not started instead of reading every folder first.
            pool.shutdown(wait=False, cancel_futures=True)
    except (BrokenProcessPool, OSError, ValueError):
        # No worker processes here (a sandbox, a broken interpreter, a stderr without a file
        # descriptor for multiprocessing's helper process to inherit): do it in-process.
        for number in range(finished, len(chunks)):
            yield len(head) + number * CHUNK, _read(chunks[number])
