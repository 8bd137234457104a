"""`samlbroker whoami` with warm credentials (GetCallerIdentity at the lab STS), against `python -c pass`.

    python bench/whoami.py [--runs 10]

One login fills the cache; then the two commands alternate run by run; medians compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from samlbroker.lab.runner import Lab  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path, default=HERE / "whoami.json")
    args = parser.parse_args()
    with Lab() as lab, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_text(
            f"[saml-endpoint lab]\nurl = {lab.signon_url}\nauth_type = forms\nca_bundle = {lab.ca_file}\n\n"
            "[profile bench]\nsaml_endpoint = lab\nsaml_role_arn = arn:aws:iam::111122223333:role/ReadOnly\n"
            "saml_user = LAB\\bob\ncredential_process = samlbroker credential-process --profile bench\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_ENDPOINT_URL_STS=lab.sts_url, AWS_CA_BUNDLE=str(lab.ca_file))
        samlbroker = [sys.executable, "-m", "samlbroker"]
        subprocess.run([*samlbroker, "login", "--profile", "bench", "--password-stdin"], env=env, check=True,
                       input=lab.users["bob"].password, text=True, capture_output=True)  # fmt: skip
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "samlbroker whoami": [*samlbroker, "whoami", "--profile", "bench"],
        }
        lab.idp.reset()
        times: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for round_ in range(args.runs + 1):
            for name in names if round_ % 2 == 0 else names[::-1]:  # which goes first alternates
                command = commands[name]
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, capture_output=True)
                if round_:
                    times[name].append(time.perf_counter() - start)
        assert lab.idp.stats()["requests"] == 0, "whoami asked the IdP: the cache was not warm"
        calls = len(lab.sts.calls_for("GetCallerIdentity"))
    base = statistics.median(times["python -c pass"])
    results = {
        name: {
            "median_ms": round(statistics.median(v) * 1000, 1),
            "ratio": round(statistics.median(v) / base, 2),
        }
        for name, v in times.items()
    }
    for name, row in results.items():
        print(f"{name:20s} {row['median_ms']:7.1f} ms  {row['ratio']:5.2f}x python -c pass")
    print(f"GetCallerIdentity calls at the lab STS: {calls}; IdP requests: 0")
    args.output.write_text(json.dumps({"runs": args.runs, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
