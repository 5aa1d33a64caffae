"""ito's two token tiers: admin tokens, and per-project tokens derived from a seed.

A project token is `hex(HMAC-SHA256(key=token_seed, msg="{org}/{repo}"))`. Every compare is
constant-time. The allow-list is checked first (403), then the token (401), as ito does.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from core.models.errors import Forbidden, Unauthorized
from core.server.settings import ServerSettings


def project_token(seed: str, org: str, repo: str) -> str:
    return hmac.new(seed.encode(), f"{org}/{repo}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Scope:
    kind: Literal["admin", "project"]
    org: str | None = None
    repo: str | None = None

    def body(self) -> dict[str, object]:
        if self.kind == "admin":
            return {"valid": True, "scope": "admin"}
        return {"valid": True, "scope": "project", "org": self.org, "repo": self.repo}


def authorize(settings: ServerSettings, org: str, repo: str, header: str | None) -> Scope:
    if not settings.allow_list.allows(org, repo):
        raise Forbidden(f"Organization/repository '{org}/{repo}' is not allowed")
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("Missing bearer token")
    token = header.removeprefix("Bearer ").encode()
    admin = False
    for candidate in settings.admin_tokens:
        # Compare against every admin token: how many match must not leak through timing.
        admin |= hmac.compare_digest(token, candidate.get_secret_value().encode())
    if admin:
        return Scope("admin")
    if settings.token_seed is not None:
        expected = project_token(settings.token_seed.get_secret_value(), org, repo)
        if hmac.compare_digest(token, expected.encode()):
            return Scope("project", org, repo)
    raise Unauthorized("Invalid bearer token")
