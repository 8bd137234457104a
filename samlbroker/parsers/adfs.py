"""The AD FS (and generic SAML POST binding) response parser: the auto-post form's SAMLResponse field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bs4 import BeautifulSoup, Tag

from ..assertion import SAMLAssertion
from ..errors import AuthenticationFailedError, SAMLResponseError
from .base import ResponseParser

# Where IdPs put the reason for a refused sign-in, most specific first: AD FS's login page
# (#errorText inside #error), AD FS's error page (#errorMessage), Shibboleth (.form-error), generic; then
# anything named like an error (SimpleSAMLphp 1.19 marks its message box only with an ``erroricon`` image).
_ERROR_SELECTORS = (
    "#errorText",
    "#errorMessage",
    ".form-error",
    "#error",
    ".error",
    "[role=alert]",
    "[class*=error]",
    "[id*=error]",
)
_ICON_TAGS = {"img", "svg", "i"}  # an error icon with no words: its box (the parent) holds them
_PASSWORD_FIELDS = {"password", "j_password", "passwd", "pass"}
_ACTIVITY_ID = re.compile(r"Activity\s+ID:?\s*([0-9A-Fa-f]{8}-[0-9A-Fa-f-]{27,})")
_MAX_MESSAGE = 300


def _one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class AdfsResponseParser(ResponseParser):
    """Finds ``input[name=SAMLResponse]`` in the IdP's final page; explains the page when there is none.

    ``trusted_certs`` (PEM text or a list) makes the assertion's signature mandatory, see
    :meth:`SAMLAssertion.from_base64`.
    """

    name = "adfs"

    def __init__(
        self,
        trusted_certs: str | bytes | Sequence[str | bytes] | None = None,
        account_names: Mapping[str, str] | None = None,
    ) -> None:
        self.trusted_certs = trusted_certs
        self.account_names = account_names

    def parse(self, html: str | bytes) -> SAMLAssertion:
        soup = BeautifulSoup(html, "html.parser")
        value = find_saml_response(soup)
        if value is None:
            raise explain_page(soup)
        if not value.strip():
            raise SAMLResponseError("the IdP's answer has an empty SAMLResponse field")
        return self.parse_saml_response(value)

    def parse_saml_response(self, value: str) -> SAMLAssertion:
        """The assertion of a raw base64 SAMLResponse, checked against ``trusted_certs`` when given."""
        return SAMLAssertion.from_base64(value, self.trusted_certs, account_names=self.account_names)


def find_saml_response(soup: BeautifulSoup) -> str | None:
    """The first SAMLResponse form field's value (any case of its name); None when the page has none."""
    found: str | None = None
    for field in soup.find_all(["input", "textarea"]):
        name = field.get("name")
        if not isinstance(name, str) or name.strip().lower() != "samlresponse":
            continue
        value = field.get("value") if field.name == "input" else field.get_text()
        value = value if isinstance(value, str) else ""
        if value.strip():
            return value
        found = value if found is None else found
    return found


def _visible_text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def _box_text(box: Tag) -> str:
    """A message box's words without its heading ("Error"), unless the heading is all there is."""
    words = [str(text) for text in box.find_all(string=True) if not _under_heading(text, box)]
    return " ".join(" ".join(words).split()) or _visible_text(box)


def _under_heading(text: object, box: Tag) -> bool:
    for parent in getattr(text, "parents", ()):
        if parent is box:
            return False
        if parent.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return True
    return False


def _idp_message(soup: BeautifulSoup) -> str | None:
    for selector in _ERROR_SELECTORS:
        for element in soup.select(selector):
            text = _visible_text(element)
            if not text and element.name in _ICON_TAGS and element.parent is not None:
                text = _box_text(element.parent)
            if text:
                return _one_line(text)
    return None


def _shows_login_form(soup: BeautifulSoup) -> bool:
    for field in soup.find_all("input"):
        name = field.get("name")
        kind = field.get("type")
        if isinstance(name, str) and name.strip().lower() in _PASSWORD_FIELDS:
            return True
        if isinstance(kind, str) and kind.strip().lower() == "password":
            return True
    return False


def explain_page(soup: BeautifulSoup) -> Exception:
    """The error for a page without a SAMLResponse: a refusal in the IdP's words, or 'no SAMLResponse'."""
    for hidden in soup(["script", "style", "template"]):
        hidden.decompose()
    message = _idp_message(soup)
    if _shows_login_form(soup):
        if message:
            return AuthenticationFailedError(f"the IdP refused the sign-in: {message}", idp_message=message)
        return AuthenticationFailedError(
            "the IdP showed its sign-in form again: the user name or password was not accepted"
        )
    page_text = _visible_text(soup)
    activity = _ACTIVITY_ID.search(page_text)
    if activity or "an error occurred" in page_text.lower():
        reason = message or "An error occurred"
        suffix = f" (Activity ID {activity.group(1)})" if activity else ""
        return AuthenticationFailedError(
            _one_line(f"the IdP answered with an error page: {reason}{suffix}"), idp_message=reason
        )
    if message:
        return AuthenticationFailedError(f"the IdP refused the sign-in: {message}", idp_message=message)
    title = soup.title.get_text() if soup.title else ""
    where = f" (page title: {_one_line(title, 80)})" if title.strip() else ""
    return SAMLResponseError(
        f"no SAMLResponse in the IdP's answer{where}: check the sign-on URL and auth type"
    )
