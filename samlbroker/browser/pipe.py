"""Chrome DevTools Protocol over ``--remote-debugging-pipe``: the browser reads fd 3, writes fd 4, NUL-delimited JSON.

No port is opened, so no other local process can drive the browser. One reader thread routes replies to
their callers and events to a queue; every wait is bounded by the caller's deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BrowserError


class PageMovedOnError(BrowserError):
    """A command for a page that navigated (or closed) while it ran: the page it was meant for is gone."""


Message = dict[str, Any]
_EOF: Message = {"method": "samlbroker.pipeClosed"}


class CDPPipe:
    """A browser process and its DevTools pipe."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        try:
            self.process = BrowserProcess(argv, env, commands=to_browser_r, answers=from_browser_w)
        except OSError as exc:
            for fd in (to_browser_w, from_browser_r):
                os.close(fd)
            raise BrowserError(f"the browser {argv[0]} cannot start: {exc.strerror or exc}") from None
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._out = os.fdopen(to_browser_w, "wb", buffering=0)
        self._in = os.fdopen(from_browser_r, "rb", buffering=0)
        self.events: queue.Queue[Message] = queue.Queue()
        # Run on the reader thread before an event is queued; True means it was dealt with there. Paused
        # requests that are not the SAML post are let go this way, so none waits on a busy main thread.
        self.early: Callable[[Message], bool] = lambda _: False
        self._replies: dict[int, queue.Queue[Message]] = {}
        self._ids = 0
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, name="cdp-pipe", daemon=True).start()

    # -- sending ---------------------------------------------------------------------------------------

    def call(
        self, method: str, params: Message | None = None, session: str | None = None, *, deadline: float
    ) -> Message:
        """Send one command and wait (until ``deadline``, a monotonic time) for its result."""
        with self._lock:
            self._ids += 1
            ident = self._ids
            reply: queue.Queue[Message] = queue.Queue(maxsize=1)
            self._replies[ident] = reply
        message: Message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            self._write(message)
        except OSError:
            self._replies.pop(ident, None)
            raise self.stopped_error() from None
        try:
            answer = reply.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise BrowserError(f"the browser did not answer {method} in time") from None
        finally:
            self._replies.pop(ident, None)
        if answer is _EOF:
            raise self.stopped_error()
        if "error" in answer:
            why = answer["error"].get("message", "error")
            error = PageMovedOnError if "navigated or closed" in why else BrowserError
            raise error(f"the browser refused {method}: {why}")
        return answer.get("result", {})

    def send(self, method: str, params: Message | None = None, session: str | None = None) -> None:
        """Send a command whose answer nobody waits for (a page resumed, a request continued)."""
        with self._lock:
            self._ids += 1
            ident = self._ids
        message: Message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        with contextlib.suppress(OSError):  # the reader sees the end of the pipe and reports it
            self._write(message)

    def _write(self, message: Message) -> None:
        data = json.dumps(message).encode() + b"\0"
        with self._write_lock:  # both threads send; one message must not cut into another
            view = memoryview(data)
            while view:
                view = view[self._out.write(view) or 0 :]

    def next_event(self, deadline: float) -> Message | None:
        """The next event, or None when ``deadline`` passes first; the pipe's end is an event too."""
        try:
            return self.events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None

    # -- receiving -------------------------------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._in.read(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                try:
                    self._route(json.loads(raw))
                except ValueError:
                    continue  # not JSON: nothing of ours can be waiting for it
        self.closed = True
        for waiting in list(self._replies.values()):
            waiting.put(_EOF)
        self.events.put(_EOF)

    def _route(self, message: Message) -> None:
        ident = message.get("id")
        if ident is None:
            if not self.early(message):
                self.events.put(message)
            return
        waiting = self._replies.get(ident)
        if waiting is not None:
            waiting.put(message)

    # -- ending ----------------------------------------------------------------------------------------

    def stopped_error(self) -> BrowserError:
        """Why the pipe ended: the browser exited (closed by the user) or crashed."""
        try:
            code = self.process.wait(timeout=5)
        except TimeoutError:
            return BrowserError("the browser stopped answering before the login finished")
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return BrowserError(f"the browser crashed before the login finished (killed by {name})")
        if code != 0:
            return BrowserError(f"the browser stopped before the login finished (exit status {code})")
        return BrowserError("the browser was closed before the login finished")

    def close(self, deadline: float) -> None:
        """Ask the browser to quit, then make sure it has (its profile stays usable for the next login)."""
        if not self.closed and self.process.poll() is None:
            with contextlib.suppress(BrowserError):
                self.call("Browser.close", deadline=min(deadline, time.monotonic() + 5))
        try:
            self.process.wait(timeout=max(1.0, min(10.0, deadline - time.monotonic())))
        except TimeoutError:
            self.process.kill()
            self.process.wait(timeout=10)
        for stream in (self._out, self._in):
            with contextlib.suppress(OSError):
                stream.close()


class BrowserProcess:
    """The browser, spawned with ``commands`` as its fd 3 and ``answers`` as its fd 4 (posix_spawn maps them)."""

    def __init__(
        self, argv: Sequence[str], env: dict[str, str] | None, *, commands: int, answers: int
    ) -> None:
        import fcntl  # POSIX only: Windows passes handles, not fds

        # Out of the way of 0-4 first, so mapping one cannot overwrite the other; closed on exec.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (commands, answers)]
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            actions = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
            actions += [(os.POSIX_SPAWN_DUP2, high[0], 3), (os.POSIX_SPAWN_DUP2, high[1], 4)]
            self.pid = os.posix_spawn(
                argv[0],
                list(argv),
                dict(os.environ if env is None else env),
                file_actions=actions,
                setsid=True,
            )
        finally:
            for fd in (*high, null):
                os.close(fd)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int:
        """The exit status (negative: the signal that ended it); TimeoutError while it still runs."""
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= end:
                raise TimeoutError
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)  # its renderers and helpers too
