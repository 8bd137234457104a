"""HTML form helpers for forms-based authenticators (public: plugins use them too)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ..errors import SAMLResponseError

if TYPE_CHECKING:
    import requests
    from bs4 import Tag


@dataclass
class HtmlForm:
    """A form as a browser would submit it: its resolved action, method and successful fields."""

    action: str
    method: str = "post"
    fields: dict[str, str] = field(default_factory=dict)
    field_names: frozenset[str] = frozenset()

    def has_field(self, name: str) -> bool:
        return name in self.field_names

    def submit(self, session: requests.Session, updates: Mapping[str, str]) -> requests.Response:
        """Send the form with ``updates`` applied over its own fields (the page's hidden ones kept)."""
        data = {**self.fields, **updates}
        if self.method == "get":
            return session.get(self.action, params=data)
        return session.post(self.action, data=data)


def find_form(html: str, base_url: str, wants: Callable[[HtmlForm], bool]) -> HtmlForm | None:
    """The first form in ``html`` for which ``wants(form)`` is true, or None."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all("form"):
        form = _read_form(tag, base_url)
        if wants(form):
            return form
    return None


def require_form(html: str, base_url: str, wants: Callable[[HtmlForm], bool], what: str) -> HtmlForm:
    """Like ``find_form``, but a page without such a form is a clear error."""
    form = find_form(html, base_url, wants)
    if form is None:
        raise SAMLResponseError(f"the IdP's page at {base_url.split('?', 1)[0]} has no {what}")
    return form


def _read_form(tag: Tag, base_url: str) -> HtmlForm:
    fields: dict[str, str] = {}
    names: set[str] = set()
    for control in tag.find_all(["input", "select", "textarea", "button"]):
        name = control.get("name")
        if not name:
            continue
        names.add(name)
        kind = (control.get("type") or "").lower()
        if control.name == "button" or kind in ("submit", "button", "image", "reset", "file"):
            continue  # only the clicked button is sent; the caller adds it
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
    return HtmlForm(action=action, method=method, fields=fields, field_names=frozenset(names))
