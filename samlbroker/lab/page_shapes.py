"""Pages real IdPs show around the sign-in form: AD FS home realm discovery, a first page, other forms.

- ``home_realm_page``: AD FS's "Sign in with one of these accounts" (2012 R2 and the 2016 theme kept by
  2019 and 2022): a ``form#hrd`` whose tiles (``div.idp``) run ``HRD.selection('<identifier>')``, which
  names the hidden ``#hrdSelection`` input ``HomeRealmSelection`` and submits the form; below, the
  "Other organizational account" box posts ``Email`` with the ``HomeRealmByEmail`` button.
- ``first_page``: what some IdPs answer the first GET with: a JavaScript-free meta refresh, or a page
  with a form it submits itself.
- ``with_extra_forms``: a search form and a language chooser before the page's own forms.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

_HEAD = (
    '<!DOCTYPE html>\n<html lang="en-US"><head><meta http-equiv="X-UA-Compatible" content="IE=edge"/>'
    '<meta http-equiv="content-type" content="text/html;charset=UTF-8"/><title>{title}</title>{extra}</head>'
)

_HRD_SCRIPT = (
    "<script>function HRD() {} HRD.selection = function (option) {"
    " var i = document.getElementById('hrdSelection'); i.name = 'HomeRealmSelection'; i.value = option;"
    " document.forms['hrd'].submit(); return false; };</script>"
)


def home_realm_page(action: str, realms: Sequence[tuple[str, str]], version: str = "2016") -> str:
    """The AD FS home realm discovery page offering ``realms`` as ``(identifier, display name)``."""
    modern = version != "2012r2"
    tiles = "".join(
        _tile(index, identifier, name, modern) for index, (identifier, name) in enumerate(realms, 1)
    )
    body = (
        f'<div id="hrdArea"><form id="hrd" method="post" autocomplete="off" novalidate="novalidate" '
        f'action="{html.escape(action)}"><div id="bySelection">'
        '<div id="openingMessage" class="groupMargin">Sign in with one of these accounts</div>'
        f'<input id="hrdSelection" type="hidden" />{tiles}</div>'
        '<div id="byEmail" style="display:none"><div class="groupMargin">Other organizational account</div>'
        '<div id="emailArea" class="indent"><div id="error" class="fieldMargin error smallText">'
        '<span id="errorText" for="emailInput"></span></div><div id="emailInputArea">'
        '<input id="emailInput" name="Email" type="email" value="" autocomplete="off" '
        'class="text fullWidthIndent" placeholder="someone@example.com"/></div>'
        '<div id="submissionArea" class="submitMargin"><input class="submit" name="HomeRealmByEmail" '
        'type="submit" value="Next" onclick="return HRD.submitEmail()" /></div></div></div></form>'
        f"{_HRD_SCRIPT}</div>"
    )
    work = f'<main><div id="workArea">{body}</div></main>' if modern else f'<div id="workArea">{body}</div>'
    return (
        _HEAD.format(title="Home Realm Discovery", extra="")
        + '<body dir="ltr" class="body"><div id="fullPage"><div id="contentWrapper" class="float">'
        f'<div id="content"><div id="header"><img class="logoImage" alt="LAB"/></div>{work}</div></div>'
        "</div></body></html>"
    )


def _tile(index: int, identifier: str, name: str, modern: bool) -> str:
    call = html.escape(f"HRD.selection('{identifier}');")
    label = f' role="button" aria-label="{html.escape(name)}"' if modern else ""
    return (
        f'<div class="idp" tabIndex="{index}"{label} onKeyPress="if (event &amp;&amp; (event.keyCode == 32 '
        f'|| event.keyCode == 13)) {call}" onclick="{call} return false;">'
        f'<img class="largeIcon float" alt="{html.escape(name)}"/><div class="idpDescription float">'
        f'<span class="largeTextNoWrap indentNonCollapsible">{html.escape(name)}</span></div></div>'
    )


def first_page(kind: str, target: str, marker: str) -> str:
    """A page that moves on to ``target`` by itself: ``meta-refresh`` (no script) or ``auto-post``.

    The auto-post form carries ``marker`` as a hidden ``lab_continue`` field (the way an IdP carries its
    request state through such a hop).
    """
    url = html.escape(target)
    if kind == "meta-refresh":
        return (
            _HEAD.format(title="Redirecting", extra=f'<meta http-equiv="refresh" content="0; url={url}"/>')
            + f'<body><p>If you are not redirected, <a href="{url}">continue</a>.</p></body></html>'
        )
    return (
        _HEAD.format(title="Working...", extra="") + "<body onload=\"document.forms['continue'].submit()\">"
        f'<form name="continue" id="continue" method="post" action="{url}">'
        f'<input type="hidden" name="lab_continue" value="{html.escape(marker)}"/>'
        '<noscript><p>Script is disabled. Press Continue.</p><button type="submit">Continue</button></noscript>'
        "</form></body></html>"
    )


EXTRA_FORMS = (
    '<div id="siteHeader"><form id="siteSearch" role="search" method="get" action="/search">'
    '<input type="text" name="query" placeholder="Search this site"/><button type="submit">Search</button>'
    '</form><form id="languageChooser" method="post" action="/lab/language">'
    '<input type="hidden" name="returnTo" value="/"/><select name="lang" onchange="this.form.submit()">'
    '<option value="en" selected="selected">English</option><option value="de">Deutsch</option>'
    '<option value="fr">Fran&#231;ais</option></select><noscript><button type="submit">Change</button>'
    "</noscript></form></div>"
)


def with_extra_forms(page: str) -> str:
    """``page`` with a search form and a language chooser right after ``<body ...>``, before its own forms."""
    start = page.find("<body")
    end = page.find(">", start) + 1
    if start < 0 or end <= 0:
        return page
    return page[:end] + EXTRA_FORMS + page[end:]
