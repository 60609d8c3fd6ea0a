"""config.yaml's keys as YAML reads them: merge keys, keys YAML reads as booleans or numbers, null keys."""

from __future__ import annotations

import pytest

from statusboard.errors import ConfigError
from tests.conftest import board_from


def problems(text: str) -> list:
    with pytest.raises(ConfigError) as info:
        board_from(text)
    return [str(p) for p in info.value.problems]


def test_a_merge_key_is_refused_in_one_line_at_its_line():
    got = problems("x: &d {interval: 5s}\ntargets:\n  a:\n    <<: *d\n    pixel: [0, 0]\n    ping: h\n")
    assert got == ["test.yaml:4: targets.a: YAML merge keys (<<) are not read here: write the keys out (the "
                   "defaults: section gives every target its interval, timeout and fail_after)"], got
    assert not any("\\x0a" in p or "constructor" in p for p in got)   # before: PyYAML's words, newline as \x0a


def test_yes_and_1_and_1_0_are_not_called_duplicates_of_each_other():
    got = problems("targets:\n  yes: {pixel: [0, 0], ping: h}\n  1: {pixel: [1, 0], ping: h}\n"
                   "  1.0: {pixel: [2, 0], ping: h}\n")
    assert not any("duplicate" in p for p in got), got   # before: "duplicate key '1' (first at line 2)"
    assert got[:2] == [
        "test.yaml:3: targets.1: the key '1' (read as 1) and the key 'yes' at line 2 are the same key once read; "
        "quote them to keep them as text: '1':",
        "test.yaml:4: targets.1.0: the key '1.0' (read as 1.0) and the key 'yes' at line 2 are the same key once "
        "read; quote them to keep them as text: '1.0':"], got


def test_a_real_duplicate_spelt_two_ways_names_both_spellings():
    got = problems("targets:\n  yes: {pixel: [0, 0], ping: h}\n  true: {pixel: [1, 0], ping: h}\n")
    assert got == ["test.yaml:3: targets.true: duplicate key 'true' (first at line 2 as 'yes'); YAML would "
                   "silently keep only the last"], got


def test_quoted_names_that_look_like_booleans_and_numbers_are_names():
    board = board_from("targets:\n  'yes': {pixel: [0, 0], ping: h}\n  '1': {pixel: [1, 0], ping: h}\n"
                       "  '1.0': {pixel: [2, 0], ping: h}\n")
    assert [t.name for t in board.targets] == ["yes", "1", "1.0"]


@pytest.mark.parametrize("key", ["~", "null"])
def test_a_null_key_is_refused_at_its_own_line(key):
    got = problems(f"targets:\n  a: {{pixel: [0, 0], ping: h}}\n\n  {key}: {{pixel: [1, 0], ping: h}}\n")
    assert got == [f"test.yaml:4: targets: a key must be a name, not {key} (YAML reads ~, null and an empty "
                   f"key as no value)"], got   # before: "test.yaml:2: ...", the line of the key before it


def test_a_tag_the_board_has_no_type_for_is_one_line_at_its_line():
    got = problems("targets:\n  a: {pixel: [0, 0], ping: h}\n  b: {pixel: [1, 0], ping: !host h}\n")
    # before: no line, and PyYAML's newline shown as \x0a
    assert got == ["test.yaml:3: YAML error: could not determine a constructor for the tag '!host'"], got
