"""`quarterdeck serve` flags (ito's `backend serve` flags) and the entry that starts it.

Kept free of FastAPI imports so the CLI parser can be built without loading the server.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from core.models.errors import ExitCode, NotSupported


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 9010)")
    parser.add_argument("--data-dir", default=None, help="per-project workspaces live here")
    parser.add_argument(
        "--allow-org", action="append", default=None, help="allowed org (repeatable)"
    )
    parser.add_argument("--admin-token", default=None)
    parser.add_argument("--token-seed", default=None)
    parser.add_argument("--config", default=None, help="server config file (TOML)")
    parser.add_argument(
        "--init", action="store_true", help="write a token seed and explain project tokens"
    )


def run_server(args: argparse.Namespace, err: TextIO) -> int:
    err.write("quarterdeck serve: the HTTP server is not built yet\n")
    raise NotSupported("the HTTP server is not part of this build yet")
    return ExitCode.REFUSED
