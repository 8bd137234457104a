"""bench/cache_hit.py's method: the first command rotates round by round; its wrapper floors run as pip's do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench_scripts import load_bench


def _bench():
    return load_bench("cache_hit")


def test_every_command_goes_first_in_turn(tmp_path: Path) -> None:
    log = tmp_path / "order"
    commands = {
        name: ([sys.executable, "-c", f"open({str(log)!r}, 'a').write({name!r} + ' ')"], dict(os.environ))
        for name in ("a", "b", "c")
    }
    times = _bench().alternated(commands, runs=3)  # three warm-up rounds, then three timed ones
    rounds = log.read_text().split()
    firsts = [rounds[i] for i in range(0, len(rounds), 3)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    assert {name: len(values) for name, values in times.items()} == {"a": 3, "b": 3, "c": 3}


def test_the_wrapper_floors_are_pips_wrapper_with_our_part_replaced(tmp_path: Path) -> None:
    bench = _bench()
    wrapper = Path(sys.executable).parent / "samlbroker"
    for ending in ("os._exit(0)", "sys.exit(0)"):
        floor = bench.wrapper_floor(wrapper, tmp_path, ending)
        text = floor.read_text()
        assert "samlbroker" not in text.split("\n", 1)[1] and f"    {ending}\n" in text
        assert text.count("\n") == wrapper.read_text().count("\n")  # the same script, line for line
        result = subprocess.run([str(floor)], capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0 and result.stdout == "", result.stderr
