"""The base of every core model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validator and serializer are built on first use.

    Building them for all of core's sixty-odd models at import took about 40 ms of every
    start-up, and most are used only by one screen, the server or a CLI command.
    """

    model_config = ConfigDict(defer_build=True)
