#!/usr/bin/env python3
"""Where the client WASM's code goes (issue #11's budget): function body sizes by crate, or by
function with the hash dropped (generic instances summed), from a WASM that keeps its name
section. No dependencies beyond Python 3.

A named WASM of the release client (after `make release`):
    wasm-bindgen --target web --keep-debug --out-dir /tmp/bg \
        target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
    end2end/node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory \
        --enable-nontrapping-float-to-int /tmp/bg/frontend_bg.wasm -o /tmp/named.wasm
Then:
    python3 .ci/wasm-breakdown.py /tmp/bg/frontend_bg.wasm            # by crate, before wasm-opt
    python3 .ci/wasm-breakdown.py /tmp/bg/frontend_bg.wasm --by function --grep serde
Names after wasm-opt are less reliable (identical functions are merged under one name), so
the first form is the better guide to what a source change would remove.
"""
import argparse
import collections
import re


def leb(data, i):
    result = shift = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def functions(data):
    """(body size, name) of every function defined in the module."""
    i, imported, sizes, names = 8, 0, [], {}
    while i < len(data):
        section = data[i]
        size, i = leb(data, i + 1)
        end = i + size
        if section == 2:  # imports: functions imported come first in the index space
            n, j = leb(data, i)
            for _ in range(n):
                for _ in range(2):
                    length, j = leb(data, j)
                    j += length
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 2:
                    flags, j = leb(data, j)
                    _, j = leb(data, j)
                    if flags & 1:
                        _, j = leb(data, j)
                elif kind == 3:
                    j += 2
                elif kind == 4:
                    _, j = leb(data, j + 1)
        elif section == 10:  # code
            n, j = leb(data, i)
            for _ in range(n):
                length, k = leb(data, j)
                sizes.append(length + (k - j))
                j = k + length
        elif section == 0:  # custom: the name section's function names
            length, j = leb(data, i)
            if data[j:j + length] == b"name":
                j += length
                while j < end:
                    sub = data[j]
                    sub_size, j = leb(data, j + 1)
                    if sub == 1:
                        n, k = leb(data, j)
                        for _ in range(n):
                            index, k = leb(data, k)
                            length, k = leb(data, k)
                            names[index] = data[k:k + length].decode("utf8", "replace")
                            k += length
                    j += sub_size
        i = end
    return [(size, names.get(n + imported, "?")) for n, size in enumerate(sizes)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wasm")
    parser.add_argument("--by", choices=["crate", "function"], default="crate")
    parser.add_argument("--grep", help="only functions whose name matches this regex")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    found = functions(open(args.wasm, "rb").read())
    total = sum(size for size, _ in found)
    bytes_by, count = collections.Counter(), collections.Counter()
    for size, name in found:
        if args.grep and not re.search(args.grep, name):
            continue
        if args.by == "crate":
            m = re.match(r"<?(?:&(?:mut )?)?([A-Za-z_][A-Za-z0-9_]*)", name)
            key = m.group(1) if m else name[:20]
        else:
            key = re.sub(r"::h[0-9a-f]{16}$", "", name)
        bytes_by[key] += size
        count[key] += 1
    print(f"{len(found)} functions, {total} bytes of code")
    for key, size in bytes_by.most_common(args.top):
        print(f"{size:9d} {count[key]:5d}  {key[:200]}")


if __name__ == "__main__":
    main()
