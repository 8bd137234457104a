"""The role picker with hundreds of roles: it filters as the user types, on a real pseudo-terminal."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pty_session import on_terminal

REPO = Path(__file__).resolve().parents[2]

PICKER = """
import sys
from samlbroker.roles import RolePair, friendly_names
from samlbroker.cli.terminal import pick_role
def pair(account, role):
    return RolePair(f"arn:aws:iam::{account}:role/{role}", f"arn:aws:iam::{account}:saml-provider/P")
pairs = [pair(f"{100000000000 + a:012d}", r)
         for a in range(60) for r in ("Developer", "ReadOnly", "Admin", "Billing", "Auditor")]
names = {f"{100000000000 + a:012d}": f"team-{a:02d}" for a in range(60)}
picked = pick_role(friendly_names(pairs), account_names=names)
print("PICKED", picked.role_arn)
"""


def _drive(keys: list[bytes]) -> str:
    with on_terminal([sys.executable, "-c", PICKER], {**os.environ, "PYTHONPATH": str(REPO)}) as term:
        term.read_until(b"Filter (300 of 300")
        for key in keys:
            term.type(key)
            time.sleep(0.05)  # one redraw per key, as a person types
        term.read_until(b"PICKED")
        assert term.process.wait(timeout=20) == 0
        term.drain()
    return term.screen


def test_typing_narrows_the_list_and_enter_takes_the_best_match() -> None:
    screen = _drive([b"team-42", b" ", b"aud", b"\r"])
    assert "Filter (1 of 300" in screen
    assert "PICKED arn:aws:iam::100000000042:role/Auditor" in screen


def test_arrow_keys_move_the_mark_and_backspace_widens_again() -> None:
    screen = _drive([b"team-07 x", b"\x7f", b"\x1b[B", b"\r"])  # "x" matches nothing; backspace undoes it
    assert "Filter (0 of 300" in screen
    assert "Filter (5 of 300" in screen
    picked = screen.split("PICKED ")[1].split()[0]
    assert picked.startswith("arn:aws:iam::100000000007:role/")
