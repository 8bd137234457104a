"""Browser sign-in (issue 14), side by side in one run against the local lab, same lab user (bob):

    python bench/browser_login.py [--runs N] [--playwright-python PYTHON]

1. The forms login (HTTP only) and the browser login (headless Chromium, the form filled by a stand-in for
   the user), alternated run by run, in-process, from the call to the parsed assertion; ratio of medians.
2. The second browser login on the remembered session (AD FS "keep me signed in": no password).
3. With ``--playwright-python`` (an interpreter with Playwright installed): the same login written on
   Playwright, from launch to the caught SAMLResponse, against ours measured the same way; the installed
   size of Playwright there, and the code size of both.
Figures go to stdout and to bench/browser.json; BENCHMARKS.md records them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "support"))

from chromium import LabUserAtTheBrowser, chromium  # noqa: E402

from samlbroker import SAMLAuthenticationController, UserCredentials  # noqa: E402
from samlbroker.authenticators.browser import BrowserAuthenticator  # noqa: E402
from samlbroker.lab.runner import Lab  # noqa: E402

USER = "bob"


def forms_login(lab: Lab) -> float:
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    start = time.perf_counter()
    controller.get_saml_assertion(
        lab.signon_url, UserCredentials(f"LAB\\{USER}", lab.users[USER].password), "forms"
    )
    return time.perf_counter() - start


def browser_login(lab: Lab, profile: Path, browser: str, remembered: bool = False) -> float:
    hook = LabUserAtTheBrowser(f"LAB\\{USER}", lab.users[USER].password, kmsi=True)
    authenticator = BrowserAuthenticator(
        profile_dir=profile, executable=browser, window=False, page_hook=hook
    )
    controller = SAMLAuthenticationController(authenticator=authenticator, verify=str(lab.ca_file))
    start = time.perf_counter()
    controller.get_saml_assertion(lab.signon_url)
    elapsed = time.perf_counter() - start
    if hook.typed_password != (0 if remembered else 1):
        raise SystemExit(f"the browser login typed the password {hook.typed_password} times")
    return elapsed


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def code_lines(paths: list[Path]) -> int:
    return sum(len(p.read_text().splitlines()) for p in paths)


def playwright_side(lab: Lab, python: str, browser: str, runs: int, work: Path) -> dict[str, object]:
    """Playwright's login and ours, both from launch to the caught SAMLResponse, alternated."""
    from samlbroker.browser.trust import spki_pins

    pin = spki_pins(str(lab.ca_file), [lab.signon_url])[-1]
    site = subprocess.run(
        [python, "-c", "import playwright, os; print(os.path.dirname(playwright.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours, theirs = [], []
    for run in range(runs + 1):
        profile = work / f"pw-{run}"
        result = subprocess.run(
            [
                python,
                str(HERE / "playwright_login.py"),
                lab.signon_url,
                str(profile),
                browser,
                pin,
                f"LAB\\{USER}",
                lab.users[USER].password,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"the Playwright login failed: {result.stderr[-400:]}")
        measured = json.loads(result.stdout)
        ours_time = browser_login(lab, work / f"cdp-{run}", browser)
        if run:  # the first round warms both up
            theirs.append(measured["seconds"])
            ours.append(ours_time)
    playwright_root = Path(site)
    return {
        "runs": runs,
        "playwright_median_s": statistics.median(theirs),
        "cdp_pipe_median_s": statistics.median(ours),
        "playwright_over_cdp": statistics.median(theirs) / statistics.median(ours),
        "playwright_installed_bytes": tree_size(playwright_root)
        + sum(tree_size(p) for p in playwright_root.parent.glob("greenlet*"))
        + sum(tree_size(p) for p in playwright_root.parent.glob("pyee*")),
        "playwright_login_code_lines": code_lines([HERE / "playwright_login.py"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--playwright-python", help="an interpreter that has Playwright for Python")
    parser.add_argument("--output", default=str(HERE / "browser.json"))
    args = parser.parse_args()
    browser = chromium()
    if browser is None:
        raise SystemExit("no chromium on this machine")
    results: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="samlbroker-bench-browser-"))
    try:
        with Lab(workdir=work / "lab", kerberos=False) as lab:
            forms_login(lab)
            browser_login(lab, work / "warm", browser)
            forms, first, second = [], [], []
            for run in range(args.runs):
                forms.append(forms_login(lab))
                profile = work / f"profile-{run}"
                first.append(browser_login(lab, profile, browser))
                second.append(browser_login(lab, profile, browser, remembered=True))
            results["runs"] = args.runs
            results["forms_median_s"] = statistics.median(forms)
            results["browser_median_s"] = statistics.median(first)
            results["browser_remembered_median_s"] = statistics.median(second)
            results["browser_over_forms"] = results["browser_median_s"] / results["forms_median_s"]
            results["remembered_over_forms"] = (
                results["browser_remembered_median_s"] / results["forms_median_s"]
            )
            product = sorted((REPO / "samlbroker" / "browser").glob("*.py"))
            product.append(REPO / "samlbroker" / "authenticators" / "browser.py")
            results["cdp_code_lines"] = code_lines(product)
            if args.playwright_python:
                results["playwright"] = playwright_side(lab, args.playwright_python, browser, args.runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"forms login (HTTP):              {results['forms_median_s'] * 1000:8.1f} ms median of {args.runs}"
    )
    print(f"browser login (headless):        {results['browser_median_s'] * 1000:8.1f} ms")
    print(f"browser login, remembered:       {results['browser_remembered_median_s'] * 1000:8.1f} ms")
    print(f"browser / forms:                 {results['browser_over_forms']:8.2f}x")
    print(f"remembered browser / forms:      {results['remembered_over_forms']:8.2f}x")
    print(f"CDP-over-pipe code:              {results['cdp_code_lines']:8d} lines, no dependency")
    if "playwright" in results:
        pw = results["playwright"]
        assert isinstance(pw, dict)
        print(f"Playwright login (launch->SAML): {pw['playwright_median_s'] * 1000:8.1f} ms")
        print(f"CDP pipe login (launch->SAML):   {pw['cdp_pipe_median_s'] * 1000:8.1f} ms")
        print(f"Playwright / CDP pipe:           {pw['playwright_over_cdp']:8.2f}x")
        print(f"Playwright installed:            {pw['playwright_installed_bytes'] / 1e6:8.1f} MB")
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
