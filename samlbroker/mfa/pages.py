"""Reading an IdP answer as a second-factor page (AD FS's additional-authentication form, the methods it
offers in ``authOptions``), and reading the refusal in an answer to a push poll."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..authenticators.html import HtmlForm, read_forms
from .base import MFAPage

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup, Tag

_ERROR_IDS = ("errorText", "errorMessage", "error")
_MESSAGE_IDS = (*_ERROR_IDS, "instructions", "verification_factor", "mfaGreetingDescription", "message")
_NUMBER_ID = "validEntropyNumber"  # Azure MFA's number matching: the number to type in the app
# How IdPs say a push is over without an approval (Azure MFA, Azure MFA Server, Silverfort, RSA).
_REFUSED = re.compile(
    r"declin|denied|\bdeny|rejected|expired|timed?[ -]?out|not authori[sz]ed"
    r"|did(?: not|n't) (?:receive|get) a response",
    re.IGNORECASE,
)
_LIMIT = 300
_OPTIONS_ID = "authOptions"  # AD FS's block of methods to pick from (one link or button each)
# A link or button that picks a method calls the page's script with the method's name: SelectOption('X').
_PICKS = re.compile(r"""select\w*\(\s*['"]([A-Za-z0-9][\w.:-]*)['"]\s*\)""", re.IGNORECASE)


def _is_additional_auth_form(form: HtmlForm) -> bool:
    return (
        form.has_field("AuthMethod")
        and form.has_field("Context")
        and not form.has_field("SAMLResponse")
        and not form.has_field("Password")
    )


def read_mfa_page(response: requests.Response) -> MFAPage | None:
    """The second-factor page in ``response``, or None when it is something else (e.g. the auto-post form)."""
    text = response.text
    if "AuthMethod" not in text or "Context" not in text or "SAMLResponse" in text:
        return None  # cheap test first: most answers are not MFA pages
    soup = _soup(text)
    forms = read_forms(soup, response.url)
    candidates = [f for f in forms if _is_additional_auth_form(f)]
    if not candidates:
        return None
    # The adapter's own form names its AuthMethod; only the method-choice page leaves it empty.
    form = next((f for f in candidates if f.fields.get("AuthMethod")), candidates[0])
    options, options_form = _options(soup, forms)
    return MFAPage(
        url=response.url,
        form=form,
        auth_method=form.fields.get("AuthMethod", ""),
        message=_message(soup),
        number=_words(soup, _NUMBER_ID),
        options=options,
        options_form=options_form,
    )


def _options(soup: BeautifulSoup, forms: list[HtmlForm]) -> tuple[tuple[str, ...], HtmlForm | None]:
    """The AuthMethods the page's ``authOptions`` block offers, in page order, and the form that posts one."""
    block = soup.find(id=_OPTIONS_ID)
    if block is None:
        return (), None
    methods: list[str] = []
    for element in block.find_all(["a", "button", "input", "div", "span", "li"]):
        method = _picked_method(element)
        if method and method not in methods:
            methods.append(method)
    tag = block.find("form") or block.find_parent("form")
    index = next((i for i, t in enumerate(soup.find_all("form")) if t is tag), None)
    return tuple(methods), forms[index] if index is not None else None


def _picked_method(element: Tag) -> str | None:
    """The method a link or button picks: the name its click handler passes, else (an AD FS action link,
    named by the method) its id."""
    if element.name == "input" and str(element.get("type", "")).lower() == "hidden":
        return None
    onclick = str(element.get("onclick") or "")
    match = _PICKS.search(onclick)
    if match:
        return match.group(1)
    classes = element.get("class") or []
    is_option = "actionLink" in classes or str(element.get("role", "")).lower() == "button"
    element_id = str(element.get("id") or "")
    return element_id if is_option and element_id else None


def push_refusal(response: requests.Response, page: MFAPage | None) -> str | None:
    """The IdP's words when its answer to a push poll says the request was declined, expired or timed out.

    On a second-factor page only its error text counts (the waiting words stay on it); any other page
    without a SAMLResponse is read whole, as some adapters answer with a bare error page.
    """
    text = response.text
    if "SAMLResponse" in text:
        return None
    soup = _soup(text)
    words = next((w for w in (_words(soup, i) for i in _ERROR_IDS) if w), None)
    if words is None and page is None:
        body = soup.body or soup
        words = " ".join(body.get_text(" ").split())[:_LIMIT] or None
    return words if words and _REFUSED.search(words) else None


def _soup(html: str) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


def _words(soup: BeautifulSoup, element_id: str) -> str | None:
    element = soup.find(id=element_id)
    if element is None:
        return None
    return " ".join(element.get_text(" ").split())[:_LIMIT] or None


def _message(soup: BeautifulSoup) -> str | None:
    """The IdP's own words on the page: its error text first, else its instructions, else the form's text."""
    for element_id in _MESSAGE_IDS:
        words = _words(soup, element_id)
        if words:
            return words
    context = soup.find("input", attrs={"name": "Context"})
    form = context.find_parent("form") if context is not None else None
    if form is not None:
        return " ".join(form.get_text(" ").split())[:_LIMIT] or None
    return None
