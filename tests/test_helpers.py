"""The tests' own helpers (tests/conftest.py), where a failure must say enough to act on."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for


class Pixel:
    """A falsy answer that says what it is: what a failing wait should show."""

    def __init__(self, state: str) -> None:
        self.state = state

    def __bool__(self) -> bool:
        return self.state == "up"

    def __repr__(self) -> str:
        return f"Pixel(state={self.state!r})"


def test_wait_for_says_the_last_value_it_saw_when_it_times_out():
    states = iter(["unknown", "down"] + ["slow"] * 1000)
    with pytest.raises(pytest.fail.Exception) as failed:
        wait_for(lambda: Pixel(next(states)), timeout=0.3, what="the pixel to turn up")
    assert str(failed.value) == ("timed out after 0.3 s waiting for the pixel to turn up; "
                                 "the last value seen was Pixel(state='slow')")


def test_wait_for_cuts_a_long_last_value_short_and_returns_a_true_one():
    with pytest.raises(pytest.fail.Exception) as failed:
        wait_for(lambda: Pixel("x" * 5000), timeout=0.1, what="a reply")
    assert len(str(failed.value)) < 2200 and str(failed.value).endswith(" ...")
    assert wait_for(lambda: Pixel("up"), timeout=5).state == "up"
