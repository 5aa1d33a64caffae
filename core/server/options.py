"""`quarterdeck serve`: ito's `backend serve` flags, plus `--init` and `--print-token`.

Kept free of FastAPI imports so the CLI parser can be built without loading the server.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import tomli_w

from core.models.errors import ExitCode, InvalidInput
from core.server import CONFIG_NAME

if TYPE_CHECKING:
    from core.server.settings import ServerSettings


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 9010; 0 picks one)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="projects live in DATA_DIR/projects/<org>/<repo>",
    )
    parser.add_argument(
        "--allow-org",
        action="append",
        default=None,
        metavar="ORG",
        help="allow every repo of ORG (repeatable)",
    )
    parser.add_argument(
        "--admin-token",
        action="append",
        default=None,
        metavar="TOKEN",
        help="a token valid for every project (repeatable)",
    )
    parser.add_argument("--token-seed", default=None, help="seed of the per-project tokens")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"server config (TOML; default DATA_DIR/{CONFIG_NAME})",
    )
    parser.add_argument(
        "--init",
        action="store_true",
        help="write a new token seed to the config file and explain project tokens",
    )
    parser.add_argument(
        "--print-token",
        metavar="ORG/REPO",
        default=None,
        help="print the project token for ORG/REPO and exit",
    )


def _settings(args: argparse.Namespace, *, read_config: bool = True) -> ServerSettings:
    # Imported here: building the parser must not cost every dashboard start the settings.
    from core.server.settings import load_server_settings

    return load_server_settings(
        bind=args.bind,
        port=args.port,
        data_dir=args.data_dir,
        allow_orgs=args.allow_org,
        admin_tokens=args.admin_token,
        token_seed=args.token_seed,
        config_file=args.config if read_config else None,
    )


def _init(settings: ServerSettings, config: Path | None, err: TextIO) -> int:
    from core.server.settings import read_config_file

    path = config or settings.data_dir / CONFIG_NAME
    existing = read_config_file(path) if path.is_file() else {}
    if existing.get("token_seed"):
        raise InvalidInput(f"{path} already holds a token_seed; remove it first to rotate tokens")
    existing["token_seed"] = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # The mode above only applies to a new file: an existing config must not stay readable.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(tomli_w.dumps(existing))
    err.write(
        f"wrote a new token seed to {path} (readable by you only)\n"
        'Each project\'s token is hex(HMAC-SHA256(seed, "org/repo")). Print one with:\n'
        f"  quarterdeck serve --config {path} --print-token ORG/REPO\n"
        "and give it to that project's clients as ITO_BACKEND_TOKEN (or QUARTERDECK_TOKEN).\n"
        "Allow the org when serving: quarterdeck serve --allow-org ORG\n"
    )
    return ExitCode.OK


def run_server(args: argparse.Namespace, err: TextIO, out: TextIO | None = None) -> int:
    if args.init:
        # The file --init is to create need not exist yet: do not read it as settings.
        return _init(_settings(args, read_config=False), args.config, err)
    settings = _settings(args)
    if args.print_token:
        from core.server.auth import project_token

        org, sep, repo = args.print_token.partition("/")
        if not sep or not org or not repo or "/" in repo:
            raise InvalidInput(f"--print-token expects ORG/REPO, got '{args.print_token}'")
        if settings.token_seed is None:
            raise InvalidInput("no token seed configured (run `quarterdeck serve --init` first)")
        (out or err).write(project_token(settings.token_seed.get_secret_value(), org, repo) + "\n")
        return ExitCode.OK
    return serve(settings, err)


def serve(settings: ServerSettings, err: TextIO) -> int:
    import uvicorn

    from core.server.app import build_asgi

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    family = socket.AF_INET6 if ":" in settings.bind else socket.AF_INET
    # Bind here rather than in uvicorn so `--port 0` works and the real port is printed.
    sock = socket.create_server((settings.bind, settings.port), family=family, reuse_port=False)
    host, port = sock.getsockname()[:2]
    err.write(
        f"quarterdeck serve listening at http://{host}:{port}/\n"
        f"  data_dir: {settings.data_dir}\n"
        f"  admin_tokens: {len(settings.admin_tokens)}, token_seed: "
        f"{'yes' if settings.token_seed else 'no'}\n"
        f"  allowed orgs: {', '.join(settings.allow_orgs) or 'none (every project is refused)'}\n"
    )
    err.flush()
    config = uvicorn.Config(
        build_asgi(settings), log_level="warning", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run(sockets=[sock])
    return ExitCode.OK
