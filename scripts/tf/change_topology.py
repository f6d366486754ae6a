"""The change plan of scripts/checks/40-apply.sh: the default topology
(topology.toml) with a different capacity mix, Multi-AZ off, the broker's
deployment mode changed and one service added.

    python change_topology.py topology.toml OUT.toml

Each edit is a text replacement that must match exactly once, so the script
fails loudly (instead of planning an unchanged topology) when topology.toml
moves on; the result must parse as TOML.
"""

import sys
import tomllib

EDITS = [
    # capacity mix: half the tasks beyond the base on Fargate Spot
    ("fargate_spot_weight = 0", "fargate_spot_weight = 1", 1),
    # Multi-AZ off on both databases
    ("multi_az = true", "multi_az = false", 2),
    # broker: single instance -> cluster across AZs (needs mq.m5.large)
    ('instance_type = "mq.t3.micro"', 'instance_type = "mq.m5.large"', 1),
    ('deployment_mode = "single_instance"', 'deployment_mode = "cluster_multi_az"', 1),
]

ADDED_SERVICE = """
# Added by scripts/tf/change_topology.py: one more internal service.
[[service]]
name = "reports"
image = "reports-app"
port = 8080
cpu = 256
memory = 512
internal = true

[service.scaling]
min = 1
max = 2
cpu_target = 60
"""


def main():
    src, out = sys.argv[1], sys.argv[2]
    text = open(src).read()
    for old, new, count in EDITS:
        found = text.count(old)
        if found != count:
            sys.exit(f"change_topology: expected {count}x {old!r} in {src}, found {found}")
        text = text.replace(old, new)
    # The new service goes before the first [[database]] (after the services).
    marker = "\n[[database]]"
    if text.count(marker) < 1:
        sys.exit(f"change_topology: no [[database]] in {src}")
    at = text.index(marker)
    text = text[:at] + "\n" + ADDED_SERVICE.rstrip("\n") + "\n" + text[at:]
    tomllib.loads(text)
    with open(out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
