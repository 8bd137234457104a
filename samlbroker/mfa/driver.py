"""Runs the second factor after the first: pick a method, ask for codes (bounded), wait for pushes (bounded),
never replay."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from ..errors import MFAFailedError
from .base import MFAHandler, MFAPage, MFAPrompt
from .pages import push_refusal, read_mfa_page

if TYPE_CHECKING:
    import requests

MFA = "samlbroker.mfa"
MAX_CODE_ATTEMPTS = 3  # asks for one step's code, a wrong one handed back each time
MAX_STEPS = 4  # second-factor steps in one login (SecurID: passcode, then the next tokencode)
MIN_POLL_WAIT = 2.0  # seconds a push poll may always wait for its answer, even at the end of the bound


def builtin_handlers() -> list[MFAHandler]:
    from .adfs import AdfsCodeHandler, AdfsPushHandler, AdfsStartHandler

    return [AdfsCodeHandler(), AdfsPushHandler(), AdfsStartHandler()]


def installed_handlers() -> list[MFAHandler]:
    """Plugins first (a specific handler beats a generic built-in), then the built-ins."""
    from ..plugins import available

    builtins = builtin_handlers()
    names = {handler.name for handler in builtins}
    plugins = [ep.load()() for name, ep in sorted(available(MFA).items()) if name not in names]
    return [*plugins, *builtins]


class SecondFactor:
    """Drives the second-factor pages of one login until the IdP answers with something else.

    ``method`` is the AuthMethod to pick when the IdP offers several (the endpoint's ``mfa_method``);
    without it the first offered one an installed handler answers is picked.
    """

    def __init__(
        self,
        prompt: Callable[[MFAPrompt], str | None] | None,
        handlers: list[MFAHandler] | None = None,
        push_timeout: float = 120,
        poll_interval: float = 2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        method: str | None = None,
    ) -> None:
        self.prompt = prompt
        self._handlers = handlers
        self.push_timeout = push_timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.method = method
        self.requests = 0
        self._chosen: list[str] = []  # methods picked so far, each at most once

    def complete(self, session: requests.Session, response: requests.Response) -> requests.Response:
        """Answer second-factor pages in ``response`` until the IdP sends something else; return that."""
        attempts: dict[tuple[str, frozenset[str]], int] = {}
        page = read_mfa_page(response)
        while page is not None:
            switch = self._method_to_pick(page)
            if switch is not None:
                self._chosen.append(switch)
                response = page.choose(session, switch)
                self.requests += 1
                page = read_mfa_page(response)
                continue
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
            elif handler.kind == "continue":
                if attempt > 1:
                    raise MFAFailedError(
                        f"the IdP showed the first page of {page.auth_method} again; log in again later",
                        idp_message=page.message,
                    )
                response = handler.answer(session, page, None)
                self.requests += 1
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

    @property
    def handlers(self) -> list[MFAHandler]:
        if self._handlers is None:
            self._handlers = installed_handlers()
        return self._handlers

    def _method_to_pick(self, page: MFAPage) -> str | None:
        """The method to pick on ``page`` before answering anything, or None to answer the page as it is.

        The method-choice page always needs a pick; an adapter page is left for another offered method when
        ``method`` names that one, or when no handler answers the page but one answers an offered method.
        """
        offered = [m for m in page.options if m != page.auth_method and m not in self._chosen]
        if self.method:
            if page.auth_method == self.method:
                return None
            if self.method in offered:
                return self.method
            if page.is_choice or page.options:
                raise MFAFailedError(self._not_offered(page, self.method), idp_message=page.message)
            return None  # a page offering nothing else: the IdP's only method
        if not page.is_choice and self._recognizing(page) is not None:
            return None
        known = next((m for m in offered if any(h.answers_method(m) for h in self.handlers)), None)
        if known is None and page.is_choice:
            listed = ", ".join(page.options)
            again = f" (after {', '.join(self._chosen)} did not complete)" if self._chosen else ""
            raise MFAFailedError(
                f"the IdP offers the second factors {listed} and no installed MFA handler answers any of "
                f"them{again}",
                idp_message=page.message,
            )
        return known

    def _not_offered(self, page: MFAPage, method: str) -> str:
        offered = list(dict.fromkeys(m for m in (page.auth_method, *page.options) if m))
        if method in self._chosen:
            return (
                f"the IdP showed its second-factor choice again after mfa_method {method}; log in again later"
            )
        return f"the IdP does not offer mfa_method {method}; it offers {', '.join(offered)}"

    def _recognizing(self, page: MFAPage) -> MFAHandler | None:
        return next((handler for handler in self.handlers if handler.recognizes(page)), None)

    def _handler_for(self, page: MFAPage) -> MFAHandler:
        handler = self._recognizing(page)
        if handler is not None:
            return handler
        others = [m for m in page.options if m != page.auth_method]
        also = f", nor any other it offers ({', '.join(others)})" if others else ""
        raise MFAFailedError(
            f"the IdP asks for a second factor (AuthMethod {page.auth_method or 'unnamed'}) that no installed "
            f"MFA handler answers{also}",
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
        """Re-post the push page until the IdP answers otherwise; a refusal in its words ends the login.

        Each poll may wait for its answer until the push's deadline: some IdPs hold the poll open until the
        user acts on the device, longer than any one request would otherwise be allowed.
        """
        import requests

        deadline = self.clock() + self.push_timeout
        announced, number = False, None
        while True:
            if not announced or (page.number and page.number != number):  # again only for a new number
                if self.prompt is not None:
                    self.prompt(MFAPrompt("push", page.auth_method, push_message(page), 1))
                announced, number = True, page.number
            try:
                with _answers_within(session, max(deadline - self.clock(), MIN_POLL_WAIT)):
                    response = handler.answer(session, page, None)
            except requests.exceptions.ReadTimeout:
                raise MFAFailedError(
                    f"no approval of the {page.auth_method} request within {self.push_timeout:.0f} s",
                    idp_message=page.message,
                ) from None
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


@contextmanager
def _answers_within(session: requests.Session, seconds: float) -> Iterator[None]:
    """The session's requests wait up to ``seconds`` for their answers (a session without that bound
    setting, e.g. a plain ``requests.Session``, is left as it is)."""
    answers_within = getattr(session, "answers_within", None)
    with answers_within(seconds) if answers_within is not None else nullcontext():
        yield


def push_message(page: MFAPage) -> str | None:
    """The words a push is announced with: the number to type in the app first, when the page shows one."""
    if not page.number:
        return page.message
    number = f"Enter {page.number} in your authenticator app to approve the sign-in."
    return f"{number} {page.message}" if page.message else number
