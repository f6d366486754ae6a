"""Instructions per request per layer from `callgrind_annotate --inclusive=no`.

Each function's self cost goes to the layer of the first crate named in its
symbol (generic code lands with the crate that instantiated it). Usage:
callgrind_layers.py SELF_COST_FILE REQUESTS
"""

import re
import sys

# layer -> crates (first match in a symbol wins, scanning left to right)
LAYERS = {
    "client to inventory (reqwest/hyper)": [
        "reqwest", "hyper_util", "hyper_rustls", "hyper", "h2", "tower", "tower_service",
        "tower_layer", "http_body_util", "http_body", "want", "try_lock", "futures_channel",
    ],
    "actix server (h1, service, app)": [
        "actix_http", "actix_web", "actix_server", "actix_service", "actix_codec",
        "actix_rt", "actix_utils", "local_channel", "local_waker",
    ],
    "routing (actix-router, regex)": [
        "actix_router", "regex_automata", "regex_syntax", "regex_lite", "regex", "aho_corasick",
        "memchr",
    ],
    "logging (tracing, JSON lines, writer)": [
        "tracing_subscriber", "tracing_appender", "tracing_core", "tracing", "sharded_slab",
        "crossbeam_channel", "crossbeam_utils", "serde_json", "nu_ansi_term", "time", "itoa",
        "ryu", "thread_local",
    ],
    "URL building/parsing": ["url", "idna", "form_urlencoded", "percent_encoding"],
    "metrics (prometheus)": ["prometheus", "fnv", "parking_lot", "parking_lot_core", "lock_api"],
    "proxy handler (gateway)": ["api_gateway_app"],
    "request telemetry (kit)": ["service_kit"],
    "request id (uuid, rng)": ["uuid", "getrandom", "rand", "rand_core", "rand_chacha"],
    "http types, bytes": ["http", "bytes", "httparse", "httpdate", "mime", "language_tags"],
    "tokio, mio": ["tokio", "mio", "futures_util", "futures_core", "futures_task", "pin_project"],
}
ALLOC = re.compile(r"\b(malloc|free|realloc|calloc|_int_malloc|_int_free|_int_realloc|"
                   r"malloc_consolidate|cfree|tcache|__libc_malloc|__libc_free|unlink_chunk|"
                   r"alloc::alloc|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_)")
MEM = re.compile(r"\b(__memcpy|__memmove|__memset|memcpy|memmove|memset|__memcmp|memcmp|__strlen|"
                 r"__memchr|__nss|bcmp)")

CRATE = re.compile(r"(?<![A-Za-z0-9_])([a-z][a-z0-9_]*)::")
CRATE_LAYER = {c: layer for layer, crates in LAYERS.items() for c in crates}


def layer_of(symbol: str) -> str:
    if ALLOC.search(symbol):
        return "allocator (malloc/free)"
    if MEM.search(symbol):
        return "memcpy/memset/memcmp"
    for m in CRATE.finditer(symbol):
        layer = CRATE_LAYER.get(m.group(1))
        if layer:
            return layer
    if "libc" in symbol or symbol.startswith("???:__") or "ld-linux" in symbol:
        return "libc, syscall stubs"
    return "other (std, core, alloc, unknown)"


def main() -> None:
    path, requests = sys.argv[1], int(sys.argv[2])
    totals: dict[str, int] = {}
    line_re = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$")
    grand = 0
    in_functions = False
    for line in open(path, encoding="utf-8", errors="replace"):
        if "file:function" in line:
            in_functions = True
            continue
        if in_functions and not line.strip():
            break  # the function list ends at the first blank line
        m = line_re.match(line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        sym = m.group(2)
        if "PROGRAM TOTALS" in sym:
            grand = ir
            continue
        if not in_functions:
            continue
        layer = layer_of(sym)
        totals[layer] = totals.get(layer, 0) + ir
    counted = sum(totals.values())
    if grand:
        totals["(below threshold)"] = max(grand - counted, 0)
    total = grand or counted
    print(f"{requests} requests, {total / max(requests, 1):,.0f} instructions per request")
    for layer, ir in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {layer:<42} {ir / max(requests, 1):>10,.0f}  {100 * ir / max(total, 1):5.1f} %")


if __name__ == "__main__":
    main()
