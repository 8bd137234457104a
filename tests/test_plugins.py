"""Third parties add IdPs through entry points: the Shibboleth plugin, installed from outside, logs in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from samlbroker.plugins import AUTHENTICATORS, PARSERS, available

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "plugins" / "samlbroker-shibboleth"


def test_builtins_are_registered_as_entry_points() -> None:
    assert {"ntlm", "negotiate", "kerberos", "digest", "forms"} <= set(available(AUTHENTICATORS))
    assert "adfs" in available(PARSERS)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin pip-installed into a folder of its own, as a user would install it."""
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def _login(env: dict[str, str], lab, password, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "samlbroker",
            "login",
            "--endpoint-url",
            lab.shibboleth_url,
            "--auth-type",
            "shibboleth",
            "--ca-bundle",
            str(lab.ca_file),
            "--user",
            "alice",
            "--password-stdin",
            "--role",
            "ReadOnly",
            *extra,
        ],
        input=password("alice"),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_installed_plugin_logs_in_to_the_shibboleth_page(lab, cli_env, plugin_site, password, idp) -> None:
    env = {**cli_env, "PYTHONPATH": f"{plugin_site}:{REPO}"}
    result = _login(env, lab, password)
    assert result.returncode == 0, result.stderr
    assert "arn:aws:iam::111122223333:role/ReadOnly" in result.stderr
    assert any(e["path"].startswith("/idp/") and e["outcome"] == "success" for e in idp.stats()["events"])


def test_without_the_plugin_the_type_is_unknown(lab, cli_env, password) -> None:
    result = _login(cli_env, lab, password)
    assert result.returncode == 1
    assert "unknown authenticator 'shibboleth'" in result.stderr


def test_plugin_uses_only_the_public_api() -> None:
    source = (PLUGIN / "samlbroker_shibboleth" / "__init__.py").read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {m for m in imported if m.startswith("samlbroker")} <= {
        "samlbroker.authenticators.base",
        "samlbroker.authenticators.html",
        "samlbroker.errors",
        "samlbroker.identity",
    }


def lab_imports(module: str, source: str, is_package: bool = False) -> list[str]:
    """The modules under ``samlbroker.lab`` that ``source`` (module ``module``) imports, relative or not."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            # `from X import y` may import the module X.y: both count.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [n for n in names if n == "samlbroker.lab" or n.startswith("samlbroker.lab.")]
    return found


def test_the_lab_import_guard_sees_relative_imports() -> None:
    assert lab_imports("samlbroker.flow", "from . import lab") == ["samlbroker.lab"]
    assert lab_imports("samlbroker.cli.main", "from .. import lab") == ["samlbroker.lab"]
    assert lab_imports("samlbroker.cli.main", "from ..lab.runner import Lab")[0] == "samlbroker.lab.runner"
    assert lab_imports("samlbroker", "from .lab import runner", is_package=True)[0] == "samlbroker.lab"
    assert lab_imports("samlbroker.flow", "import samlbroker.lab.kdc") == ["samlbroker.lab.kdc"]
    assert lab_imports("samlbroker.flow", "def f():\n    from samlbroker import lab\n") == ["samlbroker.lab"]
    assert (
        lab_imports("samlbroker.cli.main", "from . import lab, login") == []
    )  # samlbroker.cli.lab: the CLI's
    assert lab_imports("samlbroker.flow", "from .labels import x") == []


def test_the_product_never_imports_the_lab() -> None:
    offenders = []
    for path in (REPO / "samlbroker").rglob("*.py"):
        relative = path.relative_to(REPO / "samlbroker")
        if relative.parts[0] == "lab" or relative == Path("cli/lab.py"):
            continue
        parts = ("samlbroker", *relative.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        offenders += [f"{relative}: {name}" for name in lab_imports(module, path.read_text(), is_package)]
    assert offenders == []


def test_builtin_table_matches_the_registered_entry_points() -> None:
    from samlbroker.plugins import BUILTINS

    for group, names in BUILTINS.items():
        registered = {name: ep.value for name, ep in available(group).items() if name in names}
        assert registered == names
