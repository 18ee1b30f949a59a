#!/usr/bin/env python3
"""Checks Cargo.lock against a local copy of the RustSec advisory database (its `crates/`
directory), for machines where `cargo audit` cannot be installed or cannot fetch the database.
Usage: .ci/audit-offline.py PATH/TO/advisory-db [Cargo.lock]. Exit 1 if a vulnerability applies;
unmaintained/unsound notices are listed as warnings, like cargo audit does."""
import re
import sys
import tomllib
from pathlib import Path


def version(text):
    parts = re.split(r"[.+-]", text.strip())
    nums = []
    for p in parts[:3]:
        nums.append(int(p) if p.isdigit() else 0)
    while len(nums) < 3:
        nums.append(0)
    pre = "-" in text.split("+")[0]
    return (nums[0], nums[1], nums[2], 0 if pre else 1)


def matches(req, v):
    """A comma-separated requirement like ">= 1.2, < 2" (RustSec uses these operators)."""
    for clause in req.split(","):
        clause = clause.strip()
        m = re.match(r"(>=|<=|>|<|=|\^|~)?\s*(.+)", clause)
        op, bound = m.group(1) or "^", version(m.group(2))
        if op == ">=" and not v >= bound: return False
        if op == ">" and not v > bound: return False
        if op == "<=" and not v <= bound: return False
        if op == "<" and not v < bound: return False
        if op == "=" and not v[:3] == bound[:3]: return False
        if op == "^":
            major = bound[0] if bound[0] else (bound[1] if bound[1] else bound[2])
            upper = (bound[0] + 1, 0, 0, 0) if bound[0] else ((0, bound[1] + 1, 0, 0) if bound[1] else (0, 0, bound[2] + 1, 0))
            if not (bound <= v < upper): return False
        if op == "~" and not (bound <= v < (bound[0], bound[1] + 1, 0, 0)): return False
    return True


def main():
    db = Path(sys.argv[1]) / "crates"
    lock = tomllib.loads(Path(sys.argv[2] if len(sys.argv) > 2 else "Cargo.lock").read_text())
    config = Path(".cargo/audit.toml")
    ignored = set(tomllib.loads(config.read_text()).get("advisories", {}).get("ignore", [])) if config.exists() else set()
    found, warned = 0, 0
    for pkg in lock["package"]:
        if "source" not in pkg or "registry" not in pkg["source"]:
            continue
        folder = db / pkg["name"]
        if not folder.is_dir():
            continue
        v = version(pkg["version"])
        for adv in sorted(folder.glob("*.md")):
            front = adv.read_text().split("```toml", 1)[1].split("```", 1)[0]
            meta = tomllib.loads(front)
            a, vers = meta["advisory"], meta.get("versions", {})
            if a.get("withdrawn"):
                continue
            if a["id"] in ignored:
                print(f"ignored ({config}): {a['id']} {pkg['name']} {pkg['version']}")
                continue
            safe = any(matches(r, v) for r in vers.get("patched", []) + vers.get("unaffected", []))
            if safe:
                continue
            kind = a.get("informational")
            line = f"{a['id']} {pkg['name']} {pkg['version']}: {a.get('title', '') or adv.read_text().split('# ', 1)[1].splitlines()[0]}"
            if kind:
                warned += 1
                print(f"warning ({kind}): {line}")
            else:
                found += 1
                print(f"VULNERABLE: {line} (patched: {', '.join(vers.get('patched', [])) or 'none'})")
    print(f"{len(lock['package'])} packages checked: {found} vulnerabilities, {warned} warnings")
    sys.exit(1 if found else 0)


main()
