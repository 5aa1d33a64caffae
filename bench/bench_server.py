"""Server benchmark: lease claims per second through a real `quarterdeck serve`.

Prints one JSON object, e.g. {"server_claims_8": {"value": 310.2, "unit": "claims/s",
"p50_ms": 21.4, "p99_ms": 63.0}, ...}.

server_claims_N   N concurrent clients (threads, each its own httpx-based RemoteBackend and
                  holder) claim and release changes of a 200-change project over loopback for
                  a fixed time. Each client cycles through its own share of the changes, so
                  no claim conflicts: what is measured is the server's claim path (auth,
                  change lookup, one SQLite write transaction) under concurrency. `value` is
                  claims per second over all clients; p50/p99 are claim latencies (the
                  release that follows each claim is not timed but shares the server).
server_list_changes_N_clients
                  N clients (threads) ask at the same moment for the changes list of a
                  project of LISTED_CHANGES changes (bench/generate.py's workspace, the one
                  bench/run.py uses; its change index warm). `value` is the median over
                  rounds of the time until the last client had its list; `latencies_s` are
                  one round's, per client. Each listing checks every folder of the project
                  (seconds at 100,000); requests that arrive during a check share the next
                  one (core/server/shared_call.py).

app_over_server_100k_{uncached,cached}
                  The dashboard (bench/app_probe.py, a fresh process per sample, as bench/run.py
                  runs it) over this server's LISTED_CHANGES-change project: launch to the first
                  frame with rows (`value`) and to the frame with every row and the load
                  finished (`full_s`). `uncached`: the user's cache folder empty, so the first
                  rows are the server's answer; `cached`: right after an uncached run, so the
                  dashboard shows the rows it kept from that answer first
                  (core/store/listing_cache.py). Medians over rounds of one of each.

Usage: python bench/bench_server.py [--quick] [--listing-only | --app-only]
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.generate import OUT, make_workspace
from core.backends.remote import RemoteBackend

CONCURRENCY = (1, 8, 32)
CHANGES = 200
LISTING_CLIENTS = (1, 4)
LISTED_CHANGES = 100_000
LISTED_REPO = "listed"
ORG, REPO, ADMIN = "bench", "claims", "bench-admin-token"
TTL = 600
_LISTENING = re.compile(rb"listening at http://[^/\s]+:(\d+)/")


def write_project(root: Path) -> list[str]:
    """A workspace of CHANGES ready changes (proposal, one delta spec, pending tasks)."""
    ids = [f"{1 + n // 90:03d}-{1 + n % 90:02d}_bench-change-{n}" for n in range(CHANGES)]
    for change_id in ids:
        folder = root / ".ito" / "changes" / change_id
        (folder / "specs" / "change-leasing").mkdir(parents=True)
        (folder / ".ito.yaml").write_text("schema: spec-driven\ncreated: 2026-11-01\n")
        (folder / "proposal.md").write_text(f"# Change: {change_id}\n")
        (folder / "specs" / "change-leasing" / "spec.md").write_text("## ADDED Requirements\n")
        (folder / "tasks.md").write_text("## 1. Work\n\n- [ ] 1.1 Build it\n- [ ] 1.2 Test it\n")
    return ids


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "core", "serve", "--port", "0", "--data-dir", str(data_dir)]
    command += ["--allow-org", ORG, "--admin-token", ADMIN]
    with log.open("wb") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=err)
    try:
        return process, wait_until_serving(process, log)
    except BaseException:
        process.kill()
        process.wait()
        raise


def wait_until_serving(process: subprocess.Popen[bytes], log: Path) -> str:
    """The server's URL once it printed its port and answers /health."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_bytes())
        if found:
            url = f"http://127.0.0.1:{int(found.group(1))}"
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()}")
        time.sleep(0.02)
    raise RuntimeError("the server did not start within 30 s")


def client_loop(
    url: str, holder: str, changes: list[str], deadline: float, latencies: list[float]
) -> None:
    backend = RemoteBackend(url, ORG, REPO, token=ADMIN, timeout_s=60, max_retries=0)
    try:
        turn = 0
        while time.monotonic() < deadline:
            change_id = changes[turn % len(changes)]
            turn += 1
            started = time.perf_counter()
            backend.claim(change_id, holder, TTL)
            latencies.append(time.perf_counter() - started)
            backend.release(change_id, holder)
    finally:
        backend.close()


def measure(url: str, ids: list[str], clients: int, duration_s: float) -> dict[str, Any]:
    per_client: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.monotonic() + duration_s
    threads = [
        threading.Thread(
            target=client_loop,
            args=(url, f"bench-{clients}-{n}", ids[n::clients], deadline, per_client[n]),
        )
        for n in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(ms * 1000 for times in per_client for ms in times)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "value": round(len(latencies) / elapsed, 1),
        "unit": "claims/s",
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(cuts[98], 2),
    }


def list_at_once(url: str, clients: int) -> list[float]:
    """Seconds each of `clients` clients, started together, took to get the changes list."""
    latencies: list[float] = []

    def one() -> None:
        backend = RemoteBackend(url, ORG, LISTED_REPO, token=ADMIN, timeout_s=600, max_retries=0)
        try:
            started = time.perf_counter()
            listed = backend.list_changes()
            took = time.perf_counter() - started
            assert len(listed) == LISTED_CHANGES, len(listed)
            latencies.append(took)
        finally:
            backend.close()

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(latencies) != clients:
        raise RuntimeError("a listing client failed (see above)")
    return sorted(latencies)


def measure_listing(url: str, clients: int, rounds: int) -> dict[str, Any]:
    samples = [list_at_once(url, clients) for _ in range(rounds)]
    return {
        "value": round(statistics.median(sample[-1] for sample in samples), 2),
        "unit": "s",
        "changes": LISTED_CHANGES,
        "rounds": rounds,
        "latencies_s": [round(latency, 2) for latency in samples[-1]],
    }


def app_over_server(url: str, folder: Path, rounds: int) -> dict[str, Any]:
    """The dashboard over the server, without and then with its cached listing."""
    # Imported here: bench/run.py's AppProbe, as every other app measure uses it.
    from bench.run import AppProbe

    client = folder / "client"
    client.mkdir()
    (client / "quarterdeck.toml").write_text(
        f'backend = "remote"\nurl = "{url}"\nproject = "{ORG}/{LISTED_REPO}"\ntoken = "{ADMIN}"\n'
    )
    cache = folder / "cache"
    probe = AppProbe()
    probe.env["XDG_CACHE_HOME"] = str(cache)
    samples: dict[str, list[dict[str, Any]]] = {"uncached": [], "cached": []}
    for _ in range(rounds):
        shutil.rmtree(cache, ignore_errors=True)
        for kind in ("uncached", "cached"):
            result = probe.run(client, LISTED_CHANGES, timeout=300)
            if "error" in result:
                raise RuntimeError(f"app over the server ({kind}): {result['error']}")
            samples[kind].append(result)
    return {
        f"app_over_server_100k_{kind}": {
            "value": round(statistics.median(r["first_rows_s"] for r in results), 3),
            "unit": "s",
            "full_s": round(statistics.median(r["full_s"] for r in results), 3),
            "rounds": rounds,
            "first_rows_s": [round(r["first_rows_s"], 3) for r in results],
        }
        for kind, results in samples.items()
    }


def run(quick: bool, listing_only: bool = False, app_only: bool = False) -> dict[str, Any]:
    duration_s = 2.0 if quick else 6.0
    rounds = 1 if quick else 3
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="qd-bench-server-") as folder:
        data_dir = Path(folder) / "data"
        ids = write_project(data_dir / "projects" / ORG / REPO)
        listed = make_workspace(OUT / f"workspace-{LISTED_CHANGES}", LISTED_CHANGES)
        (data_dir / "projects" / ORG / LISTED_REPO).symlink_to(listed.resolve())
        process, url = start_server(data_dir, Path(folder) / "server.log")
        try:
            if app_only:
                list_at_once(url, 1)  # untimed: opens the project, makes its index warm
                return app_over_server(url, Path(folder), rounds)
            if not listing_only:
                # One untimed round first: the server opens the project and its database.
                measure(url, ids, 1, 0.3)
                for clients in CONCURRENCY:
                    results[f"server_claims_{clients}"] = measure(url, ids, clients, duration_s)
            list_at_once(url, 1)  # untimed: opens the project, makes its index warm
            for clients in LISTING_CLIENTS:
                key = f"server_list_changes_{clients}_clients"
                results[key] = measure_listing(url, clients, rounds)
            return results
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    options = sys.argv[1:]
    print(
        json.dumps(
            run(
                quick="--quick" in options,
                listing_only="--listing-only" in options,
                app_only="--app-only" in options,
            )
        )
    )
