"""``auth_type = browser``: the user signs in in their own Chrome, Chromium or Edge; the SAMLResponse is caught
on its way to AWS. Any IdP, any second factor (Duo, number matching, passkeys), as the IdP's own pages run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .base import CapturingAuthenticator

if TYPE_CHECKING:
    from ..browser.signin import PageHook
    from ..identity import UserCredentials


class BrowserAuthenticator(CapturingAuthenticator):
    """Runs ``samlbroker.browser.signin.BrowserSignIn`` for the endpoint.

    ``window=False`` never shows one: the sign-in must go through on the IdP's remembered session, and a page
    that needs the user is an :class:`InteractionRequiredError` at once, saying ``needs_user_hint``.
    ``profile_dir`` defaults to ``~/.aws/samlbroker/browser/<profile_name>``. ``page_hook`` is for plugins and
    tests that act for the user. Credentials are not used: the user types them into the IdP's page.
    """

    name = "browser"

    def __init__(
        self,
        *,
        profile_name: str = "default",
        profile_dir: Path | None = None,
        executable: str | None = None,
        window: bool = True,
        acs_url: str | None = None,
        deadline: float | None = None,
        page_hook: PageHook | None = None,
        needs_user_hint: str | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        from ..browser.profile import profile_folder
        from ..browser.signin import DEFAULT_DEADLINE

        self.profile_dir = profile_dir or profile_folder(profile_name)
        self.executable = executable
        self.window = window
        self.acs_url = acs_url
        self.deadline = DEFAULT_DEADLINE if deadline is None else deadline
        self.page_hook = page_hook
        self.needs_user_hint = needs_user_hint or "run `samlbroker login` to sign in with a window"
        self.extra_args = extra_args
        self.last_pid: int | None = None

    def capture(
        self,
        endpoint: str,
        credentials: UserCredentials | None,
        *,
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> str:
        from ..browser.signin import BrowserSignIn

        signin = BrowserSignIn(
            profile_dir=self.profile_dir,
            executable=self.executable,
            window=self.window,
            acs_url=self.acs_url,
            deadline=self.deadline,
            ca_bundle=verify if isinstance(verify, str) else None,
            proxy=(proxies or {}).get("https") or (proxies or {}).get("http"),
            page_hook=self.page_hook,
            needs_user_hint=self.needs_user_hint,
            extra_args=self.extra_args,
        )
        try:
            return signin.run(endpoint)
        finally:
            self.last_pid = signin.last_pid
