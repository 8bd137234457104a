"""Credentials for a long-running endpoint: answered at once, refreshed by a background thread.

*When*: before fewer than 20 minutes are left (botocore re-asks on every call under 15), or half-way through
the lifetime of credentials that never last that long (a 15-minute role), so a refresh never loops.
*How*: :meth:`FederatedCredentials.refresh`, which takes another process's fresh login from the cache and
otherwise signs in once for all processes under the cache lock. The background sign-in never prompts: a
refresh that needs the user (a password, a second factor, a refused sign-in) is not retried, the terminal is
told what to run, and the endpoint keeps serving what is still valid and then answers a clear error, while
it watches the cache for the user's ``samlbroker login``. Expired credentials are never handed out.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .endpoint import EndpointError
from .errors import AuthenticationFailedError, CallbackRequiredError, MFAFailedError, SAMLBrokerError

if TYPE_CHECKING:
    from .credentials import FederatedCredentials
    from .sts import Credentials

log = logging.getLogger("samlbroker")

REFRESH_AHEAD = 20 * 60  # refresh before fewer than this many seconds are left
MIN_SECONDS_LEFT = 5  # credentials closer to their expiry than this are never handed out
WAIT_FOR_REFRESH = 1.0  # an expired request waits this long at most for a sign-in under way (SDKs wait 1-2 s)
CHECK_EVERY = 60.0  # the thread looks at least this often (another process's login, a laptop that slept)
CHECK_BLOCKED = 5.0  # ... and this often while it waits for the user's login
RETRY_AFTER = (15, 30, 60, 120, 300)  # seconds between attempts after a failure the user need not fix
DEFAULT_LIFETIME = 3600

NEEDS_USER = (CallbackRequiredError, AuthenticationFailedError)  # MFAFailedError included: never retried


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class BackgroundRefresh:
    """Keeps ``silent``'s profile credentials fresh for an endpoint.

    ``silent`` must never prompt (see :func:`silent_credentials`); ``tell(line)`` reaches the person at the
    terminal; ``refresh_ahead`` is the window in seconds.
    """

    def __init__(
        self,
        silent: FederatedCredentials,
        tell: Callable[[str], None],
        refresh_ahead: float = REFRESH_AHEAD,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.silent = silent
        self.tell = tell
        self.refresh_ahead = refresh_ahead
        self.clock = clock
        self.lifetime = float(silent.profile.duration or DEFAULT_LIFETIME)  # what a sign-in gives, as seen
        self._current: Credentials | None = None
        self._blocked: str | None = None  # why a refresh waits for the user
        self._told: str | None = None
        self._retry_at: dt.datetime | None = None
        self._failures = 0
        self._refreshing = False
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the request path ------------------------------------------------------------------------------

    def credentials(self) -> Credentials:
        """Credentials to hand out now, never expired; raises :class:`EndpointError` at once otherwise.

        Never waits on a person: at most :data:`WAIT_FOR_REFRESH` for a sign-in already under way.
        """
        current = self._current
        if current is not None and self._seconds_left(current) > self.window:
            return current
        self._wake.set()  # due: the thread refreshes (once, however many requests ask)
        self._adopt(self._from_cache())  # the user may have just run `samlbroker login`
        current = self._current
        if self._usable(current):
            return current  # type: ignore[return-value]
        if self._blocked is None:
            with self._changed:
                self._changed.wait_for(
                    lambda: self._usable(self._current) or not self._refreshing, WAIT_FOR_REFRESH
                )
            if self._usable(self._current):
                return self._current  # type: ignore[return-value]
        if self._blocked is not None:
            raise EndpointError(self._blocked, code="LoginRequired")
        raise EndpointError(
            f"the credentials of profile {self.silent.profile_name!r} expired and a refresh is under way: "
            "try again in a moment",
            code="RefreshInProgress",
        )

    def document(self) -> dict[str, Any]:
        """The container-credentials JSON of :meth:`credentials`."""
        creds = self.credentials()
        from .cache import account_of, iso_utc

        expiration = iso_utc(creds.expiration)
        document = {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "Token": creds.session_token,
            "Expiration": expiration,
        }
        account = account_of(creds.assumed_role_arn or self.silent.profile.role_arn)
        if account:
            document["AccountId"] = account
        return document

    # -- start, stop ------------------------------------------------------------------------------------

    def prime(self, interactive: FederatedCredentials) -> Credentials:
        """Valid credentials before the endpoint opens: the cache's, else a sign-in that may ask the user.

        Cached credentials that are valid but due are served at once and refreshed in the background.
        """
        cached = self._from_cache()
        if self._usable(cached):
            self._adopt(cached)
            return cached  # type: ignore[return-value]
        before = interactive.logins
        fresh = interactive.refresh(min_seconds_left=self.window)
        if interactive.logins > before:
            self.lifetime = self._seconds_left(fresh)
        self._adopt(fresh)
        return fresh

    def start(self) -> BackgroundRefresh:
        self._thread = threading.Thread(target=self._run, name="samlbroker-refresh", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)  # a sign-in under way is left to end with the process
            self._thread = None

    # -- the background thread ---------------------------------------------------------------------------

    @property
    def window(self) -> float:
        """Seconds left below which credentials are due: 20 minutes, or half of what a sign-in gives."""
        return min(self.refresh_ahead, self.lifetime / 2)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._wake.wait(self._next_look()):
                self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self._look()
            except Exception:  # a bug must not end the thread that keeps the credentials fresh
                log.exception("the background refresh failed")

    def _next_look(self) -> float:
        if self._blocked is not None:
            return CHECK_BLOCKED
        now = self.clock()
        if self._retry_at is not None and self._retry_at > now:
            return min(CHECK_EVERY, (self._retry_at - now).total_seconds())
        current = self._current
        if current is None:
            return 0
        return max(0.0, min(CHECK_EVERY, self._seconds_left(current) - self.window))

    def _look(self) -> None:
        current = self._current
        if current is not None and self._seconds_left(current) > self.window:
            return
        self._adopt(self._from_cache())
        current = self._current
        if current is not None and self._seconds_left(current) > self.window:
            return
        if self._blocked is not None or (self._retry_at is not None and self._retry_at > self.clock()):
            return
        self._refresh()

    def _refresh(self) -> None:
        with self._changed:
            self._refreshing = True
        try:
            before = self.silent.logins
            fresh = self.silent.refresh(min_seconds_left=self.window)
            if self.silent.logins > before:
                self.lifetime = self._seconds_left(fresh)
                log.info("refreshed profile %s: valid until %s", self.silent.profile_name, _clock_time(fresh))
            self._failures, self._retry_at = 0, None
            self._adopt(fresh)
        except NEEDS_USER as exc:
            self._block(exc)
        except Exception as exc:  # IdP or STS unreachable, throttled...: tried again later
            delay = RETRY_AFTER[min(self._failures, len(RETRY_AFTER) - 1)]
            self._failures += 1
            self._retry_at = self.clock() + dt.timedelta(seconds=delay)
            reason = str(exc) if isinstance(exc, SAMLBrokerError) else f"internal error: {type(exc).__name__}"
            self._say(
                f"refreshing profile {self.silent.profile_name!r} failed ({reason}); trying again in {delay} s"
            )
        finally:
            with self._changed:
                self._refreshing = False
                self._changed.notify_all()

    def _block(self, exc: Exception) -> None:
        name = self.silent.profile_name
        current = self._current
        until = f" (the current ones expire at {_clock_time(current)})" if current is not None else ""
        self._blocked = (
            f"profile {name!r} cannot refresh by itself: {exc}{until}; run `samlbroker login --profile {name}`, "
            "and this endpoint serves the new credentials as soon as they are in the cache"
        )
        self._say(self._blocked)

    def _say(self, message: str) -> None:
        if message != self._told:
            self._told = message
            self.tell(message)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _adopt(self, creds: Credentials | None) -> None:
        """Take ``creds`` when they outlast the current ones; fresh ones end a wait for the user."""
        if creds is None:
            return
        with self._changed:
            current = self._current
            if current is None or creds.expiration > current.expiration:
                self._current = current = creds
            if self._blocked is not None and self._seconds_left(current) > self.window:
                self._blocked = self._told = None
                self.tell(
                    f"profile {self.silent.profile_name!r} has fresh credentials again, valid until "
                    f"{_clock_time(current)}"
                )
            self._changed.notify_all()

    def _from_cache(self) -> Credentials | None:
        from . import cache

        if not self.silent.use_cache:
            return None
        entry = cache.load(self.silent.profile.cache_key())
        return cache.to_credentials(entry) if entry is not None else None

    def _usable(self, creds: Credentials | None) -> bool:
        return creds is not None and self._seconds_left(creds) > MIN_SECONDS_LEFT

    def _seconds_left(self, creds: Credentials) -> float:
        return (creds.expiration - self.clock()).total_seconds()


def silent_credentials(profile_name: str) -> FederatedCredentials:
    """The profile's FederatedCredentials for background refreshes: the default identity or a remembered
    password, never a prompt (a needed password or second factor is an error the refresher reports)."""
    from .credentials import FederatedCredentials

    def no_password(request: Any) -> None:
        raise CallbackRequiredError(f"it needs the password of {request.user_identity}")

    def no_second_factor(question: Any) -> None:
        raise MFAFailedError(f"it needs a second factor ({question.method})")

    return FederatedCredentials(profile_name, callback=no_password, mfa_prompt=no_second_factor)


def _clock_time(creds: Credentials) -> str:
    return creds.expiration.astimezone(dt.timezone.utc).strftime("%H:%M:%S UTC")
