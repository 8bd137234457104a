"""FederatedCredentials: a stored profile's AWS credentials, refreshed before they expire.

The .NET StoredProfileSAMLCredentials. *When* to refresh is policy (advisory window: try, keep the old on
failure; mandatory window: block, fail loudly); *how* is a login through the profile's endpoint, with the
user's default identity (domain users: silent) or with what the registered callback hands back.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cache, passwords
from .cache import ADVISORY_REFRESH, MANDATORY_REFRESH
from .errors import (
    AuthenticationFailedError,
    CallbackRequiredError,
    DependencyMissingError,
    MFAFailedError,
    SAMLBrokerError,
)
from .identity import UserCredentials
from .profiles import load_profile

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
    from .sts import Credentials

log = logging.getLogger("samlbroker")

MAX_ATTEMPTS = 3  # password attempts per refresh: well under a typical AD lockout threshold
_CALLBACK_LOCK = threading.Lock()  # a callback (a prompt) runs at most once at a time in this process


@dataclass(frozen=True)
class CredentialRequest:
    """What the callback is asked for (the .NET CredentialRequestCallbackArgs)."""

    user_identity: str
    custom_state: Any = None
    previous_authentication_failed: bool = False
    profile_name: str | None = None
    attempt: int = 1


Callback = Callable[[CredentialRequest], "UserCredentials | None"]
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class FederatedCredentials:
    """The credentials of role profile ``profile_name``, kept fresh.

    ``callback(CredentialRequest) -> UserCredentials | None`` supplies the password of a profile with a
    ``saml_user`` (None declines); profiles without one use the default identity and never call it.
    ``mfa_prompt`` answers second-factor steps. ``clock`` (aware UTC datetimes) and ``config_file`` are for
    tests and tools; ``use_cache=False`` keeps this object away from the on-disk cache.
    """

    def __init__(
        self,
        profile_name: str,
        callback: Callback | None = None,
        custom_state: Any = None,
        mfa_prompt: Callable[[Any], str | None] | None = None,
        *,
        clock: Clock | None = None,
        config_file: str | Path | None = None,
        use_cache: bool = True,
    ) -> None:
        self.profile = load_profile(profile_name, Path(config_file) if config_file else None)
        self.callback = callback
        self.custom_state = custom_state
        self.mfa_prompt = mfa_prompt
        self.clock: Clock = clock or _utc_now
        self.use_cache = use_cache
        self.logins = 0  # sign-ins this object performed
        self._key = self.profile.cache_key()
        self._current: Credentials | None = None
        self._refresh_lock = threading.Lock()

    @property
    def profile_name(self) -> str:
        return self.profile.name

    # -- public ----------------------------------------------------------------------------------------

    def get_credentials(self) -> Credentials:
        """Fresh credentials: cached while more than 15 minutes remain, else refreshed first.

        Between 15 and 10 minutes left a failed refresh keeps the current credentials (with a warning);
        under 10 minutes a refresh must succeed or this raises.
        """
        current = self._current or self._cached()
        if current is not None and self._seconds_left(current) > ADVISORY_REFRESH:
            return current
        if current is not None and self._seconds_left(current) > MANDATORY_REFRESH:
            if not self._refresh_lock.acquire(blocking=False):
                return current  # another thread is refreshing; these are still good for minutes
            try:
                return self._protected_refresh(current)
            finally:
                self._refresh_lock.release()
        with self._refresh_lock:
            return self._protected_refresh(None)

    def authenticate(self, credentials: UserCredentials | None = None) -> Credentials:
        """Log in now, whatever the cache holds (``credentials``: sign in with these, once)."""
        with self._refresh_lock, self._cache_lock():
            if credentials is not None:
                return self._sign_in(credentials)
            return self._login()

    def boto3_session(self, **session_kwargs: Any) -> Any:
        """A boto3 Session whose credentials refresh through this object (botocore RefreshableCredentials)."""
        try:
            import boto3
        except ImportError:
            raise DependencyMissingError(
                "boto3_session() needs boto3: pip install boto3 (or use botocore_session())"
            ) from None
        session_kwargs.setdefault("region_name", self.profile.region)
        return boto3.Session(botocore_session=self.botocore_session(), **session_kwargs)

    def botocore_session(self) -> Any:
        """A botocore Session whose credentials refresh through this object."""
        import botocore.session
        from botocore.credentials import CredentialProvider, RefreshableCredentials

        owner = self

        class _Provider(CredentialProvider):
            METHOD = "samlbroker"
            CANONICAL_NAME = "samlbroker"

            def load(self) -> RefreshableCredentials:
                return RefreshableCredentials(
                    **_botocore_fields(owner.get_credentials()),
                    refresh_using=lambda: _botocore_metadata(owner.get_credentials()),
                    method=self.METHOD,
                    time_fetcher=owner.clock,
                )

        session = botocore.session.Session()
        session.get_component("credential_provider").insert_before("env", _Provider())
        if self.profile.region:
            session.set_config_variable("region", self.profile.region)
        return session

    # -- refresh ---------------------------------------------------------------------------------------

    def refresh(self, min_seconds_left: float = ADVISORY_REFRESH) -> Credentials:
        """Credentials with more than ``min_seconds_left`` left: this object's or the cache's when they have that
        long (another thread or process may have just signed in), else a new sign-in, one for all processes
        (under the cache lock). Unlike :meth:`get_credentials` it never falls back to older ones: it raises."""
        with self._refresh_lock:
            return self._fresh(min_seconds_left)

    def _protected_refresh(self, current: Credentials | None) -> Credentials:
        """Refresh once for everyone: another thread or process may have done it while we waited."""
        try:
            return self._fresh(ADVISORY_REFRESH)
        except SAMLBrokerError as exc:
            if current is None or self._seconds_left(current) <= MANDATORY_REFRESH:
                raise
            log.warning(
                "refreshing profile %s failed, keeping credentials valid for %d more minutes: %s",
                self.profile_name,
                self._seconds_left(current) // 60,
                exc,
            )
            return current

    def _fresh(self, min_seconds_left: float) -> Credentials:
        if self._current is not None and self._seconds_left(self._current) > min_seconds_left:
            return self._current
        with self._cache_lock():
            cached = self._cached()
            if cached is not None and self._seconds_left(cached) > min_seconds_left:
                return cached
            return self._login()

    def _login(self) -> Credentials:
        """A real sign-in: the default identity, or a password (remembered, or the callback's), at most 3 tries.

        A remembered password the IdP refuses is removed from the keyring at once and counts as a try. A failed
        second factor (:class:`MFAFailedError`) ends the sign-in: the password was right and is kept.
        """
        user = self.profile.user
        if user is None or self.profile.endpoint.uses_browser:
            return self._sign_in(None)  # the default identity, or the user signs in in the browser
        url = self.profile.endpoint.url
        failed: AuthenticationFailedError | None = None
        attempt = 0
        remembered = passwords.recall(url, user) if self.uses_keyring else None
        if remembered is not None:
            attempt = 1
            try:
                return self._sign_in(UserCredentials(user, remembered))
            except MFAFailedError:
                raise  # the password was right: kept, and no other one is asked for
            except AuthenticationFailedError as exc:
                passwords.forget(url, user)  # never tried again: AD lockout
                log.warning("the remembered password of %s was refused and removed from the keyring", user)
                failed = exc
        while attempt < MAX_ATTEMPTS:
            attempt += 1
            given = self._ask(
                CredentialRequest(user, self.custom_state, failed is not None, self.profile_name, attempt)
            )
            try:
                creds = self._sign_in(given)
            except MFAFailedError:
                raise  # the password was accepted: asking for it again would not help
            except AuthenticationFailedError as exc:
                failed = exc
                continue
            if self.uses_keyring:
                passwords.remember(url, user, given.password)
            return creds
        raise AuthenticationFailedError(
            f"{MAX_ATTEMPTS} sign-in attempts for {user} failed; stopped so the account is not locked out "
            f"(last: {failed})",
            idp_message=failed.idp_message if failed else None,
        )

    @property
    def uses_keyring(self) -> bool:
        """The profile keeps its password in the OS keyring (``saml_password_store = keyring``)."""
        return self.profile.extra.get("saml_password_store", "").strip().lower() == passwords.KEYRING

    def _ask(self, request: CredentialRequest) -> UserCredentials:
        if self.callback is None:
            raise CallbackRequiredError(
                f"profile {self.profile_name!r} signs in as {request.user_identity} and needs a password to "
                "refresh: pass callback= to FederatedCredentials, or run "
                f"`samlbroker login --profile {self.profile_name}`"
            )
        with _CALLBACK_LOCK:
            given = self.callback(request)
        if given is None:
            raise AuthenticationFailedError(
                f"sign-in for {request.user_identity} (profile {self.profile_name!r}) was declined by the "
                "credential callback; nothing was sent to the IdP"
            )
        return given

    def _sign_in(self, credentials: UserCredentials | None) -> Credentials:
        from .flow import controller_for
        from .roles import choose_role

        endpoint = self.profile.endpoint
        controller = controller_for(
            endpoint,
            mfa_prompt=self.mfa_prompt,
            window=self.profile.browser_interactive_refresh,  # a refresh opens no window unless asked to
            profile_name=self.profile_name,
        )
        self.logins += 1
        assertion = controller.get_saml_assertion(endpoint.url, credentials, endpoint.auth_type)
        pair = choose_role(assertion.roles, self.profile.role_arn)
        creds = self._assume(assertion, pair.role_arn)
        if self.use_cache:
            cache.store(
                self._key,
                creds,
                profile=self.profile_name,
                endpoint=endpoint.url,
                user=self.profile.user,
                role_arn=pair.role_arn,
            )
        self._current = creds
        return creds

    def _assume(self, assertion: SAMLAssertion, role_arn: str) -> Credentials:
        from .sts import STSClient

        policy_arns, policy = self.profile.session_policies()
        sts = STSClient(region=self.profile.region, policy_arns=policy_arns, policy=policy)
        return assertion.get_role_credentials(role_arn, self.profile.duration, sts)

    # -- helpers ---------------------------------------------------------------------------------------

    def _cached(self) -> Credentials | None:
        if not self.use_cache:
            return None
        entry = cache.load(self._key)
        if entry is None:
            return None
        self._current = cache.to_credentials(entry)
        return self._current

    def _cache_lock(self) -> Any:
        import contextlib

        return cache.locked(self._key) if self.use_cache else contextlib.nullcontext()

    def _seconds_left(self, credentials: Credentials) -> float:
        return (credentials.expiration - self.clock()).total_seconds()


def _botocore_fields(credentials: Credentials) -> dict[str, Any]:
    return {
        "access_key": credentials.access_key_id,
        "secret_key": credentials.secret_access_key,
        "token": credentials.session_token,
        "expiry_time": credentials.expiration,
    }


def _botocore_metadata(credentials: Credentials) -> dict[str, str]:
    return {
        "access_key": credentials.access_key_id,
        "secret_key": credentials.secret_access_key,
        "token": credentials.session_token,
        "expiry_time": credentials.expiration.isoformat(),
    }
