#!/usr/bin/env python3
"""norm.py FILE [KEY]: the JSON object on FILE's last line (or its field KEY)
without timing and identity fields and without the fields a newer run log
adds (owner, reason, progress, parent, tag), keys sorted, one per line, so
that two runs compare with cmp."""
import json
import sys

DROP = {"seconds", "train_seconds", "created", "updated", "code_version",
        "run", "id", "owner", "owner_alive", "reason", "reason_status",
        "units_done", "units_total", "parent", "tag"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in DROP}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o


o = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
if len(sys.argv) > 2:
    o = o[sys.argv[2]]
print(json.dumps(strip(o), sort_keys=True, indent=1))
