"""bench/hostile.py runs: its in-process scenario prints both figures."""

from __future__ import annotations

import pytest

from bench.hostile import digits


def test_the_digits_scenario_prints_both_packets(capsys: pytest.CaptureFixture[str]) -> None:
    digits(rounds=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["plain text", "100-digit runs"]
    assert all(line.endswith("ms (best of 1)") for line in lines)
