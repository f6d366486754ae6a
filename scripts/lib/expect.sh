# The pass/fail harness of the checks in scripts/checks/ (source it):
#   expect_init NAME          once, before the first expectation
#   expect_pass LABEL CMD...  CMD must succeed; its output is shown only on failure
#   expect_fail LABEL PATTERN CMD...
#                             CMD must fail, and its output must match the
#                             extended regex PATTERN (so a broken fixture fails
#                             for the reason it was written for)
#   expect_note_fail TEXT     records a failure found some other way
#   expect_finish SUMMARY     exits 1 with a count when anything failed, else
#                             prints "NAME: N checks passed (SUMMARY)"
# Quiet on success; each failure is one "NAME: FAIL: ..." line on stderr with
# the command's output indented below it.

expect_init() {
    EXPECT_NAME="$1"
    EXPECT_FAILURES=0
    EXPECT_CHECKS=0
    EXPECT_OUT="$(mktemp)"
}

expect_note_fail() {
    echo "$EXPECT_NAME: FAIL: $*" >&2
    EXPECT_FAILURES=$((EXPECT_FAILURES + 1))
}

expect_show_output() { sed 's/^/    /' "$EXPECT_OUT" >&2; }

expect_pass() {
    local label="$1"; shift
    EXPECT_CHECKS=$((EXPECT_CHECKS + 1))
    if ! "$@" >"$EXPECT_OUT" 2>&1; then
        expect_note_fail "$label"
        expect_show_output
    fi
}

expect_fail() {
    local label="$1" pattern="$2"; shift 2
    EXPECT_CHECKS=$((EXPECT_CHECKS + 1))
    if "$@" >"$EXPECT_OUT" 2>&1; then
        expect_note_fail "broken fixture passed: $label"
        expect_show_output
    elif ! grep -Eq -- "$pattern" "$EXPECT_OUT"; then
        expect_note_fail "broken fixture failed, but not with /$pattern/: $label"
        expect_show_output
    fi
}

expect_finish() {
    rm -f "$EXPECT_OUT"
    if [ "$EXPECT_FAILURES" -gt 0 ]; then
        echo "$EXPECT_NAME: $EXPECT_FAILURES of $EXPECT_CHECKS checks failed" >&2
        exit 1
    fi
    echo "$EXPECT_NAME: $EXPECT_CHECKS checks passed ($*)"
}
