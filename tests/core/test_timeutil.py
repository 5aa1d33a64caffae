"""The timestamp spellings the formats use."""

from __future__ import annotations

import pytest

from core.timeutil import from_epoch, rfc3339_of_epoch, to_rfc3339


@pytest.mark.parametrize(
    "seconds", [0.0, 1_796_666_227.0, 1_796_666_227.999, 951_782_400.5, -86_400.25]
)
def test_an_epoch_is_spelled_in_utc_seconds_as_its_datetime_is(seconds: float) -> None:
    assert rfc3339_of_epoch(seconds) == to_rfc3339(from_epoch(seconds))


def test_an_epoch_is_spelled_with_a_z() -> None:
    assert rfc3339_of_epoch(1_796_666_227.5) == "2026-12-07T17:57:07Z"
