"""The second-factor interface: recognise an IdP's additional-authentication page and answer it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import requests

    from ..authenticators.html import HtmlForm


@dataclass(frozen=True)
class MFAPrompt:
    """One second-factor step as the user is asked it.

    ``kind`` is ``"code"`` (return the code, or None to decline) or ``"push"`` (told once; the library then
    waits for approval, bounded). ``method`` is the IdP's AuthMethod or the handler's name, ``message`` the
    IdP's own words, ``attempt`` 1 on the first ask.
    """

    kind: str
    method: str
    message: str | None
    attempt: int


MFAPromptHook = Callable[[MFAPrompt], "str | None"]


@dataclass(frozen=True)
class MFAPage:
    """An additional-authentication page: its form, AuthMethod, Context and the IdP's words.

    ``number`` is the number a push with number matching shows, for the user to type in the app.
    ``options`` are the AuthMethods the page offers to switch to (AD FS's ``authOptions``: the method-choice
    page, or "Sign in using another method" on an adapter page), in page order; ``options_form`` posts one.
    A page without an AuthMethod of its own that offers options is the method-choice page.
    """

    url: str
    form: HtmlForm
    auth_method: str
    message: str | None = None
    number: str | None = None
    options: tuple[str, ...] = ()
    options_form: HtmlForm | None = None

    @property
    def context(self) -> str | None:
        return self.form.fields.get("Context")

    @property
    def is_choice(self) -> bool:
        """Whether this is the page where the user picks one of several second factors."""
        return not self.auth_method and bool(self.options)

    def choose(self, session: requests.Session, method: str) -> requests.Response:
        """Pick ``method`` among the offered ones: its options form with that AuthMethod and the Context."""
        form = self.options_form or self.form
        return form.submit(session, {"AuthMethod": method, "Context": self.context or ""})


class MFAHandler(ABC):
    """Answers one family of second-factor pages (entry-point group ``samlbroker.mfa``).

    ``kind`` is ``"code"`` (``answer`` gets the user's code), ``"push"`` (``answer`` gets None and
    makes one approval poll; the driver repeats it, bounded, while the IdP shows the same page) or
    ``"continue"`` (a page with nothing to type, posted once: ``answer`` gets None).
    ``methods`` names the AuthMethods the handler answers, so that one can be picked when the IdP offers
    several.
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    methods: ClassVar[tuple[str, ...]] = ()

    def answers_method(self, method: str) -> bool:
        """True when this handler answers pages of ``method`` (picked by name on a method-choice page)."""
        return method in self.methods

    @abstractmethod
    def recognizes(self, page: MFAPage) -> bool:
        """True when this handler knows how to answer ``page``."""

    @abstractmethod
    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        """Send the next request for ``page`` (the code, or one poll) and return the IdP's answer."""
