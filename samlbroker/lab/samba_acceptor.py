"""The lab IdP's Samba acceptor: Samba's own GENSEC (SPNEGO, raw NTLMSSP) validating against a Samba DC.

Runs under Debian's ``/usr/bin/python3`` (Samba's bindings live there, not in a virtualenv) as
``python3 samba_acceptor.py DC_SMB_CONF``, started by ``samlbroker.lab.samba_bridge``. It imports only the
standard library and Samba, never samlbroker. One JSON object per line each way:

    {"op": "step", "id": 7, "mech": "spnego", "token": "<base64>"}
    -> {"token": "<base64>", "complete": false}
    -> {"token": "<base64>", "complete": true, "user": "CORP\\\\alice", "upn": "alice@corp.example"}
    -> {"error": "NT_STATUS_WRONG_PASSWORD", "status": 3221225578, "message": "..."}
    {"op": "drop", "id": 7}  -> {"dropped": true}

``id`` names one security context (the IdP keeps one per HTTP connection); a context that completes or
fails is forgotten. NTLM is checked against the DC's own database (NT hashes, account flags, lockout
and ``badPwdCount`` are Active Directory's own); Kerberos inside SPNEGO with the DC's keys.
"""

from __future__ import annotations

import base64
import json
import sys
from collections import OrderedDict

MAX_CONTEXTS = 256  # contexts a client abandoned mid-handshake are dropped oldest first


def main(smb_conf: str) -> int:
    from samba import NTSTATUSError, auth, gensec, ntstatus
    from samba.credentials import Credentials
    from samba.param import LoadParm

    # A non-global LoadParm: with the global one, start_server with an AuthContext fails (NO_MEMORY).
    lp = LoadParm(filename_for_non_global_lp=smb_conf)
    names = {getattr(ntstatus, n): n for n in dir(ntstatus) if n.startswith("NT_STATUS_")}
    machine = Credentials()
    machine.guess(lp)
    machine.set_machine_account(lp)
    contexts: OrderedDict[int, object] = OrderedDict()

    def new_context(mech: str) -> object:
        server = gensec.Security.start_server(
            settings={"lp_ctx": lp, "target_hostname": lp.get("netbios name")},
            auth_context=auth.AuthContext(lp_ctx=lp),
        )
        server.set_credentials(machine)
        server.start_mech_by_name(mech)
        return server

    def step(request: dict) -> dict:
        key = int(request["id"])
        server = contexts.pop(key, None)
        if server is None:
            server = new_context(request.get("mech", "spnego"))
        try:
            done, out = server.update(base64.b64decode(request.get("token", "")))
        except NTSTATUSError as exc:
            status, message = exc.args[0], exc.args[1] if len(exc.args) > 1 else ""
            return {"error": names.get(status, hex(status)), "status": status, "message": message}
        answer = {"token": base64.b64encode(out or b"").decode(), "complete": bool(done)}
        if not done:
            contexts[key] = server
            while len(contexts) > MAX_CONTEXTS:
                contexts.popitem(last=False)
            return answer
        info = server.session_info().info
        answer["user"] = f"{info.domain_name}\\{info.account_name}"
        answer["upn"] = info.user_principal_name
        return answer

    print(json.dumps({"ready": True, "netbios_name": lp.get("netbios name")}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request.get("op") == "drop":
                contexts.pop(int(request["id"]), None)
                answer: dict = {"dropped": True}
            else:
                answer = step(request)
        except Exception as exc:  # a malformed request or token: say so, keep serving
            answer = {
                "error": "NT_STATUS_INVALID_PARAMETER",
                "status": 0,
                "message": f"{type(exc).__name__}: {exc}",
            }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: samba_acceptor.py DC_SMB_CONF\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
