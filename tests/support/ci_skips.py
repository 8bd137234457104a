"""Under CI (``CI=true``) a skipped test fails the run unless ``tests/allowed_skips.txt`` explains it.

A skip hides a regression as well as a failure does: a lab KDC that stops starting would otherwise turn
35 Kerberos tests into 35 quiet skips. On a developer's machine a skip stays a skip (the part may really
be missing there); CI's machine has every part, so there a skip is a failure unless the allow-list names
the test (an ``fnmatch`` pattern on the node id) and says why it cannot run on CI's machine.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ALLOW_LIST = Path(__file__).resolve().parents[1] / "allowed_skips.txt"


@dataclass(frozen=True)
class AllowedSkip:
    pattern: str
    why: str


def under_ci() -> bool:
    """CI=true (or 1, yes), as CI runners and ``.ci/run`` set it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def load_allow_list(path: Path = ALLOW_LIST) -> list[AllowedSkip]:
    """``PATTERN  -- WHY`` lines; ``#`` comments and blank lines are ignored; a pattern without a why is an error."""
    allowed = []
    if not path.exists():
        return allowed
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, why = line.partition(" -- ")
        if not pattern.strip() or not why.strip():
            raise pytest.UsageError(
                f"{path}, line {number}: write 'NODEID-PATTERN -- why it cannot run on CI'"
            )
        allowed.append(AllowedSkip(pattern.strip(), why.strip()))
    return allowed


def allowed(nodeid: str, allow_list: list[AllowedSkip]) -> AllowedSkip | None:
    return next((entry for entry in allow_list if fnmatch.fnmatchcase(nodeid, entry.pattern)), None)


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


class UnexpectedSkips:
    """The pytest plugin: turns each skip that is not on the allow-list into a failure under CI."""

    def __init__(self, allow_list: list[AllowedSkip]) -> None:
        self.allow_list = allow_list
        self.unexpected: list[str] = []

    def _unexpected(self, report: pytest.TestReport | pytest.CollectReport) -> str | None:
        if not report.skipped or hasattr(report, "wasxfail") or allowed(report.nodeid, self.allow_list):
            return None
        message = (
            f"unexpected skip under CI: {report.nodeid or '(collection)'}: {_reason(report)} "
            f"(make it run, or add it to tests/{ALLOW_LIST.name} with why it cannot run on CI's machine)"
        )
        self.unexpected.append(message)
        return message

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        message = self._unexpected(report)
        if message:
            report.outcome = "failed"
            report.longrepr = message

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        outcome = yield
        report: pytest.CollectReport = outcome.get_result()
        message = self._unexpected(report)
        if message:  # a module-level importorskip: the run fails at its end, naming the module
            report.outcome = "failed"
            report.longrepr = message

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.unexpected:
            terminalreporter.section("unexpected skips under CI")
            for message in self.unexpected:
                terminalreporter.write_line(message)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.unexpected and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def register(config: pytest.Config) -> None:
    """Install the plugin when running under CI (call from ``pytest_configure``)."""
    if under_ci():
        config.pluginmanager.register(UnexpectedSkips(load_allow_list()), "samlbroker-unexpected-skips")
