"""Changes to a test Samba DC's directory, made with Samba's own Python library (what samba-tool runs).

Run by Debian's ``/usr/bin/python3`` (Samba's bindings are not in the virtualenv) as
``python3 samba_directory.py SMB_CONF`` with one JSON request on stdin (passwords never in argv):

    {"op": "populate", "users": [{"name": "alice", "password": "...", "disabled": false,
      "must_change": false, "password_expired": false}], "service": {"name": "svc-idp", "password": "...",
      "spn": "HTTP/localhost", "keytab": "/tmp/.../idp.keytab"}, "lockout": {"threshold": 3, "minutes": 30}}
    {"op": "setpassword", "name": "frank", "password": "..."}
    {"op": "unlock", "name": "mallory"}

One process for all users: each ``samba-tool user create`` would start Python and open the database again.
"""

from __future__ import annotations

import json
import sys

# Samba's dsdb control that lets pwdLastSet take any value (DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET_OID):
# without it only 0 (must change) and -1 (now) are allowed; an old value makes the password expired.
BYPASS_LAST_SET = "local_oid:1.3.6.1.4.1.7165.4.3.20:0"
LONG_AGO = 130000000000000000  # 2012-12-13 in NT time: older than any maximum password age
TICKS_PER_MINUTE = 60 * 10_000_000
AES_ONLY = 0x18  # msDS-SupportedEncryptionTypes: AES128 | AES256


def main(smb_conf: str) -> int:
    import ldb
    from samba.auth import system_session
    from samba.param import LoadParm
    from samba.samdb import SamDB

    request = json.load(sys.stdin)
    lp = LoadParm()
    lp.load(smb_conf)
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)

    def user_dn(name: str) -> str:
        found = samdb.search(
            samdb.domain_dn(), ldb.SCOPE_SUBTREE, f"(sAMAccountName={ldb.binary_encode(name)})", []
        )
        return str(found[0].dn)

    def modify(dn: str, changes: dict[str, str], controls: list[str] | None = None) -> None:
        message = ldb.Message(ldb.Dn(samdb, dn))
        for attribute, value in changes.items():
            message[attribute] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE, attribute)
        samdb.modify(message, controls=controls or [])

    op = request["op"]
    if op == "populate":
        for user in request["users"]:
            samdb.newuser(
                user["name"],
                user["password"],
                force_password_change_at_next_login_req=user.get("must_change", False),
            )
            if user.get("disabled"):
                samdb.disable_account(f"(sAMAccountName={ldb.binary_encode(user['name'])})")
            if user.get("password_expired"):
                modify(user_dn(user["name"]), {"pwdLastSet": str(LONG_AGO)}, [BYPASS_LAST_SET])
        service = request.get("service")
        if service:
            samdb.newuser(service["name"], service["password"])
            modify(
                user_dn(service["name"]),
                {"servicePrincipalName": service["spn"], "msDS-SupportedEncryptionTypes": str(AES_ONLY)},
            )
            import samba.dckeytab  # noqa: F401 - adds Net.export_keytab
            from samba.net import Net

            Net(None, lp).export_keytab(keytab=service["keytab"], principal=service["spn"])
        for spn in request.get("machine_spns", []):  # on the DC's own account: its acceptor's keys
            message = ldb.Message(ldb.Dn(samdb, user_dn(f"{lp.get('netbios name')}$")))
            message["servicePrincipalName"] = ldb.MessageElement(
                spn, ldb.FLAG_MOD_ADD, "servicePrincipalName"
            )
            samdb.modify(message)
        lockout = request.get("lockout")
        if lockout:
            window = str(-int(lockout["minutes"]) * TICKS_PER_MINUTE)
            modify(
                samdb.domain_dn(),
                {
                    "lockoutThreshold": str(lockout["threshold"]),
                    "lockoutDuration": window,
                    "lockOutObservationWindow": window,
                },
            )
    elif op == "setpassword":
        samdb.setpassword(f"(sAMAccountName={ldb.binary_encode(request['name'])})", request["password"])
    elif op == "unlock":
        modify(user_dn(request["name"]), {"lockoutTime": "0"})
    else:
        raise SystemExit(f"unknown op {op!r}")
    print(json.dumps({"done": op}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
