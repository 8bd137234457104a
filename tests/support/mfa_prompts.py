"""Second-factor test helpers: a scripted prompt hook, and a poll clock that never waits."""

from __future__ import annotations

from collections.abc import Callable

from samlbroker.mfa import MFAPrompt


class Prompt:
    """A prompt hook that records what it was asked and answers codes from a script.

    An answer may be a callable (the code is computed when asked, as a token shows it); ``on_push`` runs
    when a push is announced (the test's device: it approves or denies through the lab).
    """

    def __init__(self, *answers, on_push: Callable[[MFAPrompt], None] | None = None) -> None:
        self.answers = list(answers)
        self.on_push = on_push
        self.asked: list[MFAPrompt] = []

    def __call__(self, question: MFAPrompt) -> str | None:
        self.asked.append(question)
        if question.kind == "push":
            if self.on_push is not None:
                self.on_push(question)
            return None
        answer = self.answers.pop(0) if self.answers else None
        return answer() if callable(answer) else answer


class PollClock:
    """The driver's clock and sleep for push waits: a sleep moves time on at once, so nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def options(self, push_timeout: float = 60, poll_interval: float = 2) -> dict[str, object]:
        return {
            "clock": self.clock,
            "sleep": self.sleep,
            "push_timeout": push_timeout,
            "poll_interval": poll_interval,
        }
