"""Which clients get a gzipped body, and that it is the body."""

from __future__ import annotations

import gzip

import pytest

from core.server.compressed import EncodedBody, accepts_gzip


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate", True),
        ("gzip, deflate, br, zstd", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip ; q=1.0", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=high", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding_allows_gzip(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_a_gzipped_body_decompresses_to_the_body() -> None:
    body = EncodedBody(b'[{"id":"001-01_a"}]' * 1000)

    assert gzip.decompress(body.gzipped()) == body.raw


def test_a_body_is_gzipped_once_for_every_caller() -> None:
    body = EncodedBody(b"x" * 10_000)

    assert body.gzipped() is body.gzipped()
