#!/usr/bin/env python3
"""Reads `terraform validate -json` and `checkov -o json` output for 20-terraform.sh.

  report.py validate NAME OUT.json [--expect SUMMARY~TEXT ...]
      Without --expect: exit 0 when the configuration is valid (warnings are
      counted, not fatal), else print every diagnostic and exit 1.
      With --expect: the configuration must be invalid with exactly as many
      errors as expectations, each error matching one expectation (summary
      equal, TEXT found in the detail); exit 0 when it does.
  report.py checkov NAME OUT.json
      exit 0 when checkov scanned resources with 0 failed checks and 0 parsing
      errors; 1 on failed checks; 2 on parsing errors (checkov itself exits 0
      for those); 3 when the output is missing or scanned nothing.

The one-line summary goes to stdout; details of problems to stderr, and, when
$TF_FINDINGS names a file, as Markdown appended to it.
"""
import json
import os
import sys


def _finding(lines):
    path = os.environ.get("TF_FINDINGS")
    if path:
        with open(path, "a") as f:
            f.write("\n".join(lines) + "\n\n")


def _where(d):
    r = d.get("range") or {}
    if not r:
        return ""
    return f"{r.get('filename', '?')}:{r.get('start', {}).get('line', '?')}"


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return e


def validate(name, path, expects):
    doc = _load(path)
    if isinstance(doc, Exception):
        print(f"{name}: terraform validate gave no JSON ({doc})", file=sys.stderr)
        return 1
    diags = doc.get("diagnostics", [])
    errors = [d for d in diags if d.get("severity") == "error"]
    warnings = [d for d in diags if d.get("severity") == "warning"]

    def fmt(d):
        addr = f" [{d['address']}]" if d.get("address") else ""
        detail = " ".join((d.get("detail") or "").split())
        return f"{d.get('severity')}: {_where(d)}{addr}: {d.get('summary')}: {detail}"

    if expects:
        missing = []
        unmatched = list(errors)
        for exp in expects:
            summary, _, text = exp.partition("~")
            hit = next((e for e in unmatched if e.get("summary") == summary and text in (e.get("detail") or "")), None)
            if hit is None:
                missing.append(exp)
            else:
                unmatched.remove(hit)
        if doc.get("valid") or missing or unmatched:
            print(f"{name}: expected exactly {len(expects)} errors {expects}", file=sys.stderr)
            for exp in missing:
                print(f"  missing: {exp}", file=sys.stderr)
            for e in unmatched:
                print(f"  unexpected: {fmt(e)}", file=sys.stderr)
            return 1
        print(f"{name}: validate failed as expected with {len(errors)} errors: "
              + "; ".join(f"{e['summary']} ({_where(e)})" for e in errors))
        return 0

    if doc.get("valid") and not errors:
        print(f"validate Success ({len(warnings)} warnings)")
        return 0
    print(f"{name}: terraform validate: {len(errors)} errors, {len(warnings)} warnings", file=sys.stderr)
    for d in diags:
        print(f"  {fmt(d)}", file=sys.stderr)
    _finding([f"### {name}: terraform validate: {len(errors)} errors, {len(warnings)} warnings", ""]
             + [f"- {fmt(d)}" for d in diags])
    return 1


def checkov(name, path):
    doc = _load(path)
    if isinstance(doc, Exception):
        print(f"{name}: checkov gave no JSON ({doc})", file=sys.stderr)
        return 3
    reports = doc if isinstance(doc, list) else [doc]
    total = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    failed, parse_errors, skipped = [], [], []
    for rep in reports:
        s = rep.get("summary", rep)
        for k in total:
            total[k] += int(s.get(k, 0) or 0)
        res = rep.get("results", {})
        failed += res.get("failed_checks", [])
        skipped += res.get("skipped_checks", [])
        parse_errors += res.get("parsing_errors", [])
    line = (f"checkov passed={total['passed']} failed={total['failed']} skipped={total['skipped']} "
            f"parsing_errors={total['parsing_errors']}")
    print(line)
    if total["parsing_errors"] or parse_errors:
        print(f"{name}: checkov could not parse {total['parsing_errors']} file(s) "
              "(checkov exits 0 for these):", file=sys.stderr)
        for p in parse_errors:
            print(f"  {p}", file=sys.stderr)
        _finding([f"### {name}: checkov parsing errors: {total['parsing_errors']}", ""]
                 + [f"- {p}" for p in parse_errors])
        return 2
    if total["failed"] or failed:
        lines = []
        for c in sorted(failed, key=lambda c: (c.get("file_path", ""), c.get("check_id", ""))):
            rng = c.get("file_line_range") or ["?"]
            lines.append(f"{c.get('check_id')} {c.get('resource')} ({c.get('file_path')}:{rng[0]}): "
                         f"{c.get('check_name')}")
        print(f"{name}: checkov: {total['failed']} failed checks:", file=sys.stderr)
        for ln in lines:
            print(f"  {ln}", file=sys.stderr)
        _finding([f"### {name}: checkov: {total['failed']} failed checks", ""] + [f"- {ln}" for ln in lines])
        return 1
    if total["resource_count"] == 0 and total["passed"] == 0:
        print(f"{name}: checkov scanned no resources", file=sys.stderr)
        return 3
    bad_skips = [c for c in skipped if not (c.get("check_result", {}).get("suppress_comment") or "").strip()
                 or (c.get("check_result", {}).get("suppress_comment") or "").strip().lower() in ("no comment provided",)]
    if bad_skips:
        print(f"{name}: checkov skips without a reason (use #checkov:skip=ID:reason):", file=sys.stderr)
        for c in bad_skips:
            print(f"  {c.get('check_id')} {c.get('resource')} ({c.get('file_path')})", file=sys.stderr)
        _finding([f"### {name}: checkov skips without a reason", ""]
                 + [f"- {c.get('check_id')} {c.get('resource')} ({c.get('file_path')})" for c in bad_skips])
        return 1
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "validate":
        expects = []
        rest = argv[4:]
        while rest:
            if rest[0] != "--expect" or len(rest) < 2:
                raise SystemExit(__doc__)
            expects.append(rest[1])
            rest = rest[2:]
        return validate(argv[2], argv[3], expects)
    if len(argv) == 4 and argv[1] == "checkov":
        return checkov(argv[2], argv[3])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
