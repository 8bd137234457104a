"""AD FS home realm discovery: the "Sign in with one of these accounts" page, and the provider to choose.

With several claims providers, AD FS asks which one signs the user in before any sign-in page. Its page
(``form#hrd``) has one tile per provider whose script runs ``HRD.selection('<identifier>')``: that names
the hidden ``#hrdSelection`` input ``HomeRealmSelection``, gives it the identifier and submits the form.
Active Directory's identifier is ``AD AUTHORITY``; others are the claims provider trusts' identifiers.
Themes without script name the choice in buttons, radios or a select called ``HomeRealmSelection``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    import requests
    from bs4 import BeautifulSoup, Tag

    from .html import HtmlForm

SELECTION_FIELD = "HomeRealmSelection"
ACTIVE_DIRECTORY = "AD AUTHORITY"
_SELECTION_CALL = re.compile(r"HRD\.selection\(\s*(['\"])(.*?)\1\s*\)", re.DOTALL)


@dataclass(frozen=True)
class HomeRealm:
    """One claims provider offered: its identifier (what is posted) and the name the page shows."""

    identifier: str
    name: str

    def __str__(self) -> str:
        return self.identifier if self.name in ("", self.identifier) else f"{self.name} ({self.identifier})"

    def matches(self, wanted: str) -> bool:
        wanted = wanted.strip().lower()
        return wanted in (self.identifier.lower(), self.name.lower())


@dataclass(frozen=True)
class HomeRealmPage:
    """The discovery page's form and the providers it offers, in page order."""

    form: HtmlForm
    realms: tuple[HomeRealm, ...]

    def choose(self, wanted: str | None) -> HomeRealm:
        """The provider named ``wanted`` (identifier or shown name), by default Active Directory."""
        target = wanted or ACTIVE_DIRECTORY
        found = next((realm for realm in self.realms if realm.matches(target)), None)
        if found is not None:
            return found
        asked = f"adfs_home_realm = {wanted}" if wanted else f"Active Directory ({ACTIVE_DIRECTORY})"
        offered = "; ".join(str(realm) for realm in self.realms) or "none"
        raise ConfigError(
            f"AD FS asks which account to sign in with and does not offer {asked}; it offers: {offered}. "
            "Set adfs_home_realm on the endpoint to one of them"
        )

    def submit(self, session: requests.Session, realm: HomeRealm) -> requests.Response:
        """Post the choice as the page's script does: the form's fields and ``HomeRealmSelection``, no button."""
        fields = {k: v for k, v in self.form.fields.items() if k != SELECTION_FIELD}
        return replace(self.form, fields=fields).submit(session, {SELECTION_FIELD: realm.identifier})


def read_home_realm_page(page: BeautifulSoup, forms: list[HtmlForm]) -> HomeRealmPage | None:
    """The home realm discovery form of ``page`` (``forms`` are its forms, in order), or None."""
    tags = page.find_all("form")
    for index, tag in enumerate(tags):
        if index >= len(forms) or not _is_discovery_form(tag, forms[index]):
            continue
        realms = _offered(tag) or _offered(page)
        if realms:
            return HomeRealmPage(forms[index], realms)
    return None


def _is_discovery_form(tag: Tag, form: HtmlForm) -> bool:
    return (
        tag.get("id") == "hrd"
        or form.has_field(SELECTION_FIELD)
        or tag.find("input", id="hrdSelection") is not None
    )


def _offered(scope: Tag) -> tuple[HomeRealm, ...]:
    """The providers in ``scope``: script tiles first, then controls named ``HomeRealmSelection``."""
    found: dict[str, HomeRealm] = {}
    for tile in scope.find_all(onclick=_SELECTION_CALL):
        match = _SELECTION_CALL.search(str(tile.get("onclick")))
        if match and match.group(2) not in found:
            found[match.group(2)] = HomeRealm(match.group(2), _shown_name(tile))
    for control in scope.find_all(["button", "input", "option"]):
        identifier = _named_choice(control)
        if identifier and identifier not in found:
            found[identifier] = HomeRealm(identifier, _shown_name(control) or identifier)
    return tuple(found.values())


def _named_choice(control: Tag) -> str | None:
    """The value a ``HomeRealmSelection`` button, radio or select option would post."""
    if control.name == "option":
        select = control.find_parent("select")
        if select is None or select.get("name") != SELECTION_FIELD:
            return None
        return str(control.get("value", control.get_text())).strip() or None
    if control.get("name") != SELECTION_FIELD:
        return None
    kind = str(control.get("type") or ("submit" if control.name == "button" else "text")).lower()
    if kind not in ("submit", "radio", "image"):
        return None
    return str(control.get("value") or "").strip() or None


def _shown_name(tag: Tag) -> str:
    label = tag.get("aria-label") or tag.get("title")
    if isinstance(label, str) and label.strip():
        return label.strip()
    text = " ".join(tag.get_text(" ").split())
    if text:
        return text
    image = tag.find("img")
    return str(image.get("alt") or "").strip() if image is not None else ""
