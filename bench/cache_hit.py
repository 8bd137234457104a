"""The credential_process cache hit, as the AWS CLI runs it, against a bare interpreter start.

    python bench/cache_hit.py [--runs 20]

samlbroker is installed with its dependencies (`pip install`, not editable) into bench/.peers/clean, so the
figures are what a `pip install samlbroker` user gets (their packages' .pth files and all). Commands run
round by round, the one that goes first rotating each round, after three warm-up rounds; each figure is the
median of the runs. The commands:
- ``python -c pass``: the floor of any Python program;
- ``python -c "import re"``: the floor of any pip-installed command (pip's console-script wrapper imports re);
- ``samlbroker credential-process --profile bench``: what ~/.aws/config runs;
- ``python -m samlbroker credential-process --profile bench``: the same without pip's wrapper;
- ``aws-adfs login --stdout ...``: aws-adfs 2.13's credential_process answer from its own session cache
  (``--skip-peers`` leaves it out; it is installed into bench/.peers on first use).
Three more, for what shutdown costs (a hit ends with ``os._exit`` once its answer is flushed):
- ``python -c "import os; os._exit(0)"``: ``python -c pass`` without the interpreter's shutdown;
- pip's wrapper ending in ``os._exit(0)``: the installed ``samlbroker`` script, our import and call replaced
  by ``os._exit(0)``; the hit less this is what our three modules and the answer cost;
- pip's wrapper ending in ``sys.exit(0)``: the same with a normal shutdown; less the one above, what
  ``os._exit`` saves.
With valgrind installed, each command's instruction count is reported too (a figure machine load cannot
move), and from them: the shutdown that ``os._exit`` saves after the wrapper's imports, and the instructions
of our own part of a hit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLEAN = HERE / ".peers" / "clean"
sys.path.insert(0, str(HERE))


def clean_install() -> Path:
    """A venv with samlbroker and its dependencies installed the way users get them (the current code)."""
    python = CLEAN / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CLEAN)], check=True)
    # --force-reinstall: the same version number, but this checkout's code; dependencies come as pip picks them.
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--force-reinstall",
         str(HERE.parent)],
        check=True,
    )  # fmt: skip
    subprocess.run([str(python), "-m", "pip", "check", "-q"], check=True)  # every dependency is there
    subprocess.run([str(python), "-c", "import botocore, requests, lxml, signxml, spnego, bs4"], check=True)
    return python


def wrapper_floor(script: Path, folder: Path, ending: str) -> Path:
    """pip's console-script wrapper of ``script`` with our import and call replaced by ``ending``."""
    text = script.read_text()
    ours = "from samlbroker.cli import console_main\n"
    call = "    sys.exit(console_main())\n"
    if ours not in text or call not in text:
        raise SystemExit(f"{script} is not the console-script wrapper this bench knows:\n{text}")
    floor = folder / f"wrapper-{ending.split('(')[0].replace('.', '-')}"
    floor.write_text(text.replace(ours, "import os\n").replace(call, f"    {ending}\n"))
    floor.chmod(0o755)
    return floor


def seeded_home(python: Path) -> dict[str, str]:
    """A HOME whose cache holds an hour of credentials for profile ``bench``; returns its environment."""
    home = Path(tempfile.mkdtemp(prefix="samlbroker-bench-"))
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text(
        "[saml-endpoint corp]\nurl = https://adfs.example.com/adfs/ls/IdpInitiatedSignOn.aspx\nauth_type = ntlm\n\n"
        "[profile bench]\nsaml_endpoint = corp\nsaml_role_arn = arn:aws:iam::111122223333:role/Dev\n"
        "saml_user = CORP\\alice\ncredential_process = samlbroker credential-process --profile bench\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    seed = (
        "import datetime as dt\n"
        "from samlbroker import cache\n"
        "from samlbroker.profiles import load_profile\n"
        "from samlbroker.sts import Credentials\n"
        f"expiry = dt.datetime.fromisoformat({expiry!r})\n"
        "cache.store(load_profile('bench').cache_key(), Credentials('ASIABENCH', 's', 't', expiry))\n"
    )
    subprocess.run([str(python), "-c", seed], env=env, check=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--output", type=Path, default=HERE / "cache_hit.json")
    parser.add_argument(
        "--skip-peers",
        action="store_true",
        help="leave out aws-adfs 2.13's cache hit (installed on first use)",
    )
    args = parser.parse_args()
    python = clean_install()
    env = seeded_home(python)
    script = python.parent / "samlbroker"
    floor = wrapper_floor(script, Path(env["HOME"]), "os._exit(0)")
    plain_exit = wrapper_floor(script, Path(env["HOME"]), "sys.exit(0)")
    commands = {
        "python -c pass": ([str(python), "-c", "pass"], env),
        'python -c "import re"': ([str(python), "-c", "import re"], env),
        "samlbroker credential-process": ([str(script), "credential-process", "--profile", "bench"], env),
        "python -m samlbroker credential-process": (
            [str(python), "-m", "samlbroker", "credential-process", "--profile", "bench"],
            env,
        ),
        NO_SHUTDOWN: ([str(python), "-c", "import os; os._exit(0)"], env),
        WRAPPER_FLOOR: ([str(floor), "credential-process", "--profile", "bench"], env),
        WRAPPER_EXIT: ([str(plain_exit), "credential-process", "--profile", "bench"], env),
    }
    if not args.skip_peers:
        commands["aws-adfs login --stdout (its session cache)"] = aws_adfs_hit()
    for name, (command, command_env) in commands.items():
        if "credential-process" in name or "aws-adfs" in name:
            out = subprocess.run(command, env=command_env, capture_output=True, text=True, check=True)
            assert json.loads(out.stdout)["AccessKeyId"].startswith("ASIA"), out
    times = alternated(commands, args.runs)
    base = statistics.median(times["python -c pass"])
    counts = {name: instructions(command, command_env) for name, (command, command_env) in commands.items()}
    results = {}
    for name, values in times.items():
        median = statistics.median(values)
        results[name] = {
            "median_ms": round(median * 1000, 1),
            "ratio_to_python_pass": round(median / base, 2),
        }
        line = f"{name:42s} {median * 1000:6.1f} ms  {median / base:5.2f}x python -c pass"
        if counts[name] and counts["python -c pass"]:
            results[name]["instructions"] = counts[name]
            results[name]["instructions_ratio"] = round(counts[name] / counts["python -c pass"], 3)
            line += (
                f"   {counts[name] / 1e6:5.1f} M instructions  {results[name]['instructions_ratio']:5.3f}x"
            )
        print(line)
    summary: dict[str, object] = {"runs": args.runs, "results": results, "derived": derived(times, counts)}
    for line in summary["derived"].values():  # type: ignore[union-attr]
        print(line)
    peer = "aws-adfs login --stdout (its session cache)"
    if peer in times:
        ratio = statistics.median(times[peer]) / statistics.median(times["samlbroker credential-process"])
        summary["aws_adfs_over_samlbroker"] = round(ratio, 1)
        print(f"aws-adfs's cache hit takes {ratio:.1f}x as long as samlbroker's")
    args.output.write_text(json.dumps(summary, indent=2) + "\n")


NO_SHUTDOWN = 'python -c "import os; os._exit(0)"'
WRAPPER_FLOOR = "pip's wrapper, then os._exit(0)"
WRAPPER_EXIT = "pip's wrapper, then sys.exit(0)"


def alternated(commands: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, list[float]]:
    """Wall times of ``runs`` rounds after three warm-up rounds; each round starts one command later."""
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(runs + 3):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            command, command_env = commands[name]
            start = time.perf_counter()
            subprocess.run(command, env=command_env, stdout=subprocess.DEVNULL, check=True)
            if round_ >= 3:
                times[name].append(time.perf_counter() - start)
    return times


def derived(times: dict[str, list[float]], counts: dict[str, int | None]) -> dict[str, str]:
    """The figures BENCHMARKS.md draws from the rows: what shutdown costs, what our own part of a hit costs."""
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    lines = {
        "pass_shutdown": f"python -c pass spends {ms['python -c pass'] - ms[NO_SHUTDOWN]:.1f} ms of its "
        f"{ms['python -c pass']:.1f} ms on shutdown (its median less {NO_SHUTDOWN}'s)",
    }
    bare, no_shutdown = counts.get("python -c pass"), counts.get(NO_SHUTDOWN)
    if bare and no_shutdown:
        lines["pass_shutdown_instructions"] = (
            f"python -c pass spends {(bare - no_shutdown) / 1e6:.1f} M of its {bare / 1e6:.1f} M instructions "
            f"on shutdown ({(bare - no_shutdown) / bare:.0%})"
        )
    hit, floor = counts.get("samlbroker credential-process"), counts.get(WRAPPER_FLOOR)
    plain_exit = counts.get(WRAPPER_EXIT)
    if hit and floor:
        lines["our_part"] = (
            f"our three modules and the answer: {(hit - floor) / 1e6:.1f} M instructions, {(hit - floor) / hit:.0%} "
            f"of the hit (the hit less {WRAPPER_FLOOR})"
        )
    if plain_exit and floor:
        lines["wrapper_shutdown"] = (
            f"shutdown after the wrapper's imports (re, enum...): {(plain_exit - floor) / 1e6:.1f} M "
            f"instructions ({WRAPPER_EXIT} less {WRAPPER_FLOOR})"
        )
    return lines


def aws_adfs_hit() -> tuple[list[str], dict[str, str]]:
    """aws-adfs 2.13 as a credential_process, its session cache filled by one real login against the lab.

    Its hit reads ``adfs_cache/bench.json`` beside the credentials file and asks neither IdP nor STS (the lab
    is stopped before the timing starts, so a hit that asked would fail).
    """
    from peers import aws_adfs
    from run import USER, aws_adfs_env, aws_adfs_login, time_command

    from samlbroker.lab.proxy import ConnectProxy
    from samlbroker.lab.runner import Lab

    exe = aws_adfs()
    home = Path(tempfile.mkdtemp(prefix="aws-adfs-bench-"))
    with Lab() as lab:
        proxy = ConnectProxy({"signin.aws.amazon.com": int(lab.idp_url.rsplit(":", 1)[1])})
        try:
            env = aws_adfs_env(lab, home, proxy)
            command = aws_adfs_login(exe, lab, credential_process=True)
            time_command(command, env, f"LAB\\{USER}\n{lab.users[USER].password}\n")
        finally:
            proxy.close()
    assert (home / "adfs_cache" / "bench.json").exists(), "aws-adfs wrote no session cache"
    return command, env


def instructions(command: list[str], env: dict[str, str]) -> int | None:
    """Instructions the command executes, counted by valgrind (independent of machine load); None without it."""
    if shutil.which("valgrind") is None:
        return None
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    return int(found.group(1)) if found else None


if __name__ == "__main__":
    main()
