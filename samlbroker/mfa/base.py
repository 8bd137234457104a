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
    """

    url: str
    form: HtmlForm
    auth_method: str
    message: str | None = None
    number: str | None = None

    @property
    def context(self) -> str | None:
        return self.form.fields.get("Context")


class MFAHandler(ABC):
    """Answers one family of second-factor pages (entry-point group ``samlbroker.mfa``).

    ``kind`` is ``"code"`` (``answer`` gets the user's code) or ``"push"`` (``answer`` gets None and
    makes one approval poll; the driver repeats it, bounded, while the IdP shows the same page).
    """

    name: ClassVar[str]
    kind: ClassVar[str]

    @abstractmethod
    def recognizes(self, page: MFAPage) -> bool:
        """True when this handler knows how to answer ``page``."""

    @abstractmethod
    def answer(self, session: requests.Session, page: MFAPage, code: str | None) -> requests.Response:
        """Send the next request for ``page`` (the code, or one poll) and return the IdP's answer."""
