"""Runs the second factor after the first: ask for codes (bounded), wait for pushes (bounded), never replay."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import MFAFailedError
from .base import MFAHandler, MFAPage, MFAPrompt
from .pages import push_refusal, read_mfa_page

if TYPE_CHECKING:
    import requests

MFA = "samlbroker.mfa"
MAX_CODE_ATTEMPTS = 3  # asks for one step's code, a wrong one handed back each time
MAX_STEPS = 4  # second-factor steps in one login (SecurID: passcode, then the next tokencode)


def builtin_handlers() -> list[MFAHandler]:
    from .adfs import AdfsCodeHandler, AdfsPushHandler

    return [AdfsCodeHandler(), AdfsPushHandler()]


def installed_handlers() -> list[MFAHandler]:
    """Plugins first (a specific handler beats a generic built-in), then the built-ins."""
    from ..plugins import available

    plugins = [
        ep.load()() for name, ep in sorted(available(MFA).items()) if name not in ("adfs-code", "adfs-push")
    ]
    return [*plugins, *builtin_handlers()]


class SecondFactor:
    """Drives the second-factor pages of one login until the IdP answers with something else."""

    def __init__(
        self,
        prompt: Callable[[MFAPrompt], str | None] | None,
        handlers: list[MFAHandler] | None = None,
        push_timeout: float = 120,
        poll_interval: float = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.prompt = prompt
        self._handlers = handlers
        self.push_timeout = push_timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.requests = 0

    def complete(self, session: requests.Session, response: requests.Response) -> requests.Response:
        """Answer second-factor pages in ``response`` until the IdP sends something else; return that."""
        attempts: dict[tuple[str, frozenset[str]], int] = {}
        page = read_mfa_page(response)
        while page is not None:
            handler = self._handler_for(page)
            step = (page.auth_method, page.form.field_names)  # a new input is a new step, not a retry
            attempt = attempts[step] = attempts.get(step, 0) + 1
            if len(attempts) > MAX_STEPS:
                raise MFAFailedError(
                    f"the IdP asked for more than {MAX_STEPS} second-factor steps; log in again later",
                    idp_message=page.message,
                )
            if handler.kind == "push":
                response = self._wait_for_push(session, handler, page)
            else:
                if attempt > MAX_CODE_ATTEMPTS:
                    raise MFAFailedError(
                        f"the second factor ({page.auth_method}) was refused {MAX_CODE_ATTEMPTS} times; "
                        "log in again later",
                        idp_message=page.message,
                    )
                code = self._ask(MFAPrompt("code", page.auth_method, page.message, attempt))
                response = handler.answer(session, page, code)
                self.requests += 1
            page = read_mfa_page(response)
        return response

    def _handler_for(self, page: MFAPage) -> MFAHandler:
        handlers = self._handlers if self._handlers is not None else installed_handlers()
        for handler in handlers:
            if handler.recognizes(page):
                return handler
        raise MFAFailedError(
            f"the IdP asks for a second factor (AuthMethod {page.auth_method or 'unnamed'}) that no installed "
            "MFA handler answers",
            idp_message=page.message,
        )

    def _ask(self, question: MFAPrompt) -> str:
        if self.prompt is None:
            raise MFAFailedError(
                f"the IdP asks for a {question.method} code and there is no way to ask you (no terminal, "
                "no mfa_prompt): run `samlbroker login` on a terminal",
                idp_message=question.message,
            )
        code = self.prompt(question)
        if not code:
            raise MFAFailedError(f"second factor ({question.method}) declined")
        return code

    def _wait_for_push(
        self, session: requests.Session, handler: MFAHandler, page: MFAPage
    ) -> requests.Response:
        """Re-post the push page until the IdP answers otherwise; a refusal in its words ends the login."""
        deadline = self.clock() + self.push_timeout
        announced, number = False, None
        while True:
            if not announced or (page.number and page.number != number):  # again only for a new number
                if self.prompt is not None:
                    self.prompt(MFAPrompt("push", page.auth_method, push_message(page), 1))
                announced, number = True, page.number
            response = handler.answer(session, page, None)
            self.requests += 1
            again = read_mfa_page(response)
            refused = push_refusal(response, again)
            if refused:
                raise MFAFailedError(
                    f"the second factor ({page.auth_method}) was not approved: {refused}", idp_message=refused
                )
            if again is None or again.auth_method != page.auth_method or not handler.recognizes(again):
                return response  # the SAMLResponse, or a next step (e.g. a code input) for the main loop
            if self.clock() + self.poll_interval > deadline:
                raise MFAFailedError(
                    f"no approval of the {page.auth_method} request within {self.push_timeout:.0f} s",
                    idp_message=again.message,
                )
            self.sleep(self.poll_interval)
            page = again


def push_message(page: MFAPage) -> str | None:
    """The words a push is announced with: the number to type in the app first, when the page shows one."""
    if not page.number:
        return page.message
    number = f"Enter {page.number} in your authenticator app to approve the sign-in."
    return f"{number} {page.message}" if page.message else number
