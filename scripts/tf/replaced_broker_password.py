"""Change-plan check of scripts/checks/40-apply.sh: a replaced Amazon MQ broker
gets the password its clients read from the broker's secret.

    python replaced_broker_password.py PLAN.json

PLAN.json is `terraform show -json` of the change plan, whose topology
replaces the broker (deployment mode changed). For every broker the plan
replaces, the new broker's `user` password must equal the `password` of its
module's secret version in the prior state. Fails (exit 1) when one differs,
is unknown, or when the plan replaces no broker (the check would prove
nothing).
"""

import json
import sys


def resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


def main():
    plan = json.load(open(sys.argv[1]))
    prior = {
        r["address"]: r["values"]
        for r in resources(plan.get("prior_state", {}).get("values", {}).get("root_module", {}))
    }
    replaced = [
        rc
        for rc in plan.get("resource_changes", [])
        if rc["type"] == "aws_mq_broker" and {"create", "delete"} <= set(rc["change"]["actions"])
    ]
    if not replaced:
        sys.exit("replaced_broker_password: the plan replaces no Amazon MQ broker")
    failed = False
    for rc in replaced:
        secret_version = f"{rc['module_address']}.aws_secretsmanager_secret_version.this"
        if secret_version not in prior:
            print(f"{rc['address']}: no {secret_version} in the prior state")
            failed = True
            continue
        want = json.loads(prior[secret_version]["secret_string"])["password"]
        users = rc["change"]["after"].get("user") or [{}]
        got = users[0].get("password")
        if got != want:
            state = "unknown until apply" if got is None else "a different password"
            print(f"{rc['address']}: the replacement broker gets {state}, not the one {secret_version} holds")
            failed = True
        else:
            print(f"{rc['address']}: the replacement broker keeps the secret's password")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
