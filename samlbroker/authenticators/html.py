"""HTML form helpers for forms-based authenticators (public: plugins use them too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ..errors import SAMLResponseError

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup, Tag


# Input types a person types a user name into (an <input> without a type is a text input).
_USER_INPUT_KINDS = frozenset({"text", "email", "tel"})
_USER_NAME_HINTS = ("user", "login", "email", "account", "uid", "name", "identifier")


@dataclass(frozen=True)
class FormControl:
    """One named control of a form: ``kind`` is the input type (``text`` when absent), or the tag name."""

    name: str
    kind: str


@dataclass
class HtmlForm:
    """A form as a browser would submit it: its resolved action, method and successful fields.

    ``controls`` lists every named control in page order (hidden ones too); ``submitter`` is the first
    named submit button as ``(name, value)``, which a browser sends when that button is clicked.
    """

    action: str
    method: str = "post"
    fields: dict[str, str] = field(default_factory=dict)
    field_names: frozenset[str] = frozenset()
    controls: tuple[FormControl, ...] = ()
    submitter: tuple[str, str] | None = None

    def has_field(self, name: str) -> bool:
        return name in self.field_names

    def login_fields(self) -> tuple[str, str] | None:
        """``(user field, password field)`` when this is a sign-in form: one password input, one user input.

        The user input is the one visible text or e-mail input; among several, the one whose name says so
        (``username``, ``login``, ``email``...). Hidden copies of the user name (AD FS 2019) do not count.
        """
        passwords = {c.name for c in self.controls if c.kind == "password"}
        if len(passwords) != 1:
            return None
        users = list(dict.fromkeys(c.name for c in self.controls if c.kind in _USER_INPUT_KINDS))
        if len(users) > 1:
            users = [n for n in users if any(hint in n.lower() for hint in _USER_NAME_HINTS)]
        if len(users) != 1:
            return None
        return users[0], passwords.pop()

    def user_name_field(self) -> str | None:
        """The user input of a user-name-first page: no password input, one visible input named for the user."""
        if any(c.kind == "password" for c in self.controls):
            return None
        users = [n for n in dict.fromkeys(c.name for c in self.controls if c.kind in _USER_INPUT_KINDS)]
        named = [n for n in users if any(hint in n.lower() for hint in _USER_NAME_HINTS)]
        return named[0] if len(users) == 1 and len(named) == 1 else None

    def password_field(self) -> str | None:
        """The password input of a password-only page (the user name given on the page before), or None."""
        passwords = {c.name for c in self.controls if c.kind == "password"}
        if len(passwords) != 1 or any(c.kind in _USER_INPUT_KINDS for c in self.controls):
            return None
        return passwords.pop()

    def only_hidden_fields(self) -> bool:
        """Whether a person has nothing to fill in: every control is hidden or a button."""
        return bool(self.fields) and all(
            c.kind in ("hidden", "submit", "button", "image") for c in self.controls
        )

    def submit(
        self, session: requests.Session, updates: Mapping[str, str], press_button: bool = False
    ) -> requests.Response:
        """Send the form with ``updates`` applied over its own fields (the page's hidden ones kept).

        ``press_button`` also sends the ``submitter`` button's name and value, as a click on it would.
        """
        data = {**self.fields, **updates}
        if press_button and self.submitter is not None:
            data.setdefault(*self.submitter)
        if self.method == "get":
            return session.get(self.action, params=data)
        return session.post(self.action, data=data)


def meta_refresh_target(html: str | BeautifulSoup, base_url: str, max_delay: float = 2) -> str | None:
    """Where a ``<meta http-equiv="refresh" content="0; url=...">`` sends the browser soon, or None.

    Only a refresh within ``max_delay`` seconds that names an address counts (it may be the same one, as
    a cookie check does): a page that moves on after a long pause (an error page going home) is an answer.
    """
    from bs4 import BeautifulSoup

    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    for meta in soup.find_all("meta"):
        if str(meta.get("http-equiv") or "").strip().lower() != "refresh":
            continue
        delay, _, rest = str(meta.get("content") or "").replace(",", ";", 1).partition(";")
        try:
            seconds = float(delay.strip() or "0")
        except ValueError:
            continue
        target = rest.strip()
        if target[:3].lower() == "url":
            target = target[3:].lstrip(" =")
        target = target.strip().strip("'\"").strip()
        if target and seconds <= max_delay:
            return urljoin(base_url, target)
    return None


def find_form(html: str, base_url: str, wants: Callable[[HtmlForm], bool]) -> HtmlForm | None:
    """The first form in ``html`` for which ``wants(form)`` is true, or None."""
    return next((form for form in read_forms(html, base_url) if wants(form)), None)


def read_forms(html: str | BeautifulSoup, base_url: str) -> list[HtmlForm]:
    """Every form of the page (HTML text or a parsed soup), in page order."""
    from bs4 import BeautifulSoup

    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    return [_read_form(tag, base_url) for tag in soup.find_all("form")]


def has_password_input(page: BeautifulSoup) -> bool:
    """Whether the parsed page has an ``<input type="password">`` anywhere (in a form or not)."""
    return any(str(tag.get("type") or "").strip().lower() == "password" for tag in page.find_all("input"))


def require_form(html: str, base_url: str, wants: Callable[[HtmlForm], bool], what: str) -> HtmlForm:
    """Like ``find_form``, but a page without such a form is a clear error."""
    form = find_form(html, base_url, wants)
    if form is None:
        raise SAMLResponseError(f"the IdP's page at {base_url.split('?', 1)[0]} has no {what}")
    return form


def _read_form(tag: Tag, base_url: str) -> HtmlForm:
    fields: dict[str, str] = {}
    names: set[str] = set()
    controls: list[FormControl] = []
    submitter: tuple[str, str] | None = None
    for control in tag.find_all(["input", "select", "textarea", "button"]):
        name = control.get("name")
        kind = _kind(control)
        if not name:
            continue
        names.add(name)
        controls.append(FormControl(name, kind))
        if kind in ("submit", "image") and submitter is None and not control.has_attr("disabled"):
            submitter = (name, control.get("value", ""))
        if kind in ("submit", "button", "image", "reset", "file"):
            continue  # only the clicked button is sent (``submitter``)
        if kind in ("checkbox", "radio") and not control.has_attr("checked"):
            continue
        if control.name == "select":
            option = control.find("option", selected=True) or control.find("option")
            value = option.get("value", option.get_text()) if option else ""
        elif control.name == "textarea":
            value = control.get_text()
        else:
            value = control.get("value", "on" if kind in ("checkbox", "radio") else "")
        fields.setdefault(name, value)
    action = urljoin(base_url, tag.get("action") or base_url)
    method = (tag.get("method") or "get").lower()
    return HtmlForm(
        action=action,
        method=method,
        fields=fields,
        field_names=frozenset(names),
        controls=tuple(controls),
        submitter=submitter,
    )


def _kind(control: Tag) -> str:
    """An input's type (``text`` when absent or unknown to us), ``submit`` for a button, else the tag name."""
    kind = str(control.get("type") or "").strip().lower()
    if control.name == "button":
        return kind if kind in ("button", "reset") else "submit"
    if control.name != "input":
        return control.name
    return kind or "text"
