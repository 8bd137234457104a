"""The same browser sign-in written on Playwright for Python, for bench/browser_login.py to compare.

    PYTHON_WITH_PLAYWRIGHT bench/playwright_login.py SIGNON_URL PROFILE_DIR BROWSER PIN USER PASSWORD

Playwright drives the installed browser (``executable_path``; no ``playwright install``), routes the AWS
sign-in post and answers it, fills the lab's AD FS form. Prints the seconds from launch to the caught
SAMLResponse and its length, as JSON. Not part of samlbroker: a measurement only.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import parse_qs

from playwright.sync_api import sync_playwright  # type: ignore[import-not-found]


def main() -> None:
    url, profile, browser, pin, user, password = sys.argv[1:7]
    caught: list[str] = []
    start = time.perf_counter()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=browser,
            headless=True,
            args=[f"--ignore-certificate-errors-spki-list={pin}", "--no-sandbox"],
        )

        def answer(route):  # type: ignore[no-untyped-def]
            if route.request.method != "POST":
                route.continue_()
                return
            caught.append(parse_qs(route.request.post_data or "")["SAMLResponse"][0])
            route.fulfill(status=200, content_type="text/html", body="<h1>done</h1>")

        context.route("https://signin.aws.amazon.com/**", answer)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(url)
        page.fill("#userNameInput", user)
        page.fill("#passwordInput", password)
        page.evaluate("document.getElementById('loginForm').submit()")
        deadline = time.monotonic() + 60
        while not caught and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        elapsed = time.perf_counter() - start
        context.close()
    print(json.dumps({"seconds": elapsed, "saml_response_length": len(caught[0]) if caught else 0}))


if __name__ == "__main__":
    main()
