#!/bin/bash
# The bad-input corpus (issue 11 item 12): about 4,000 hostile command lines,
# environments and poisoned SQLite databases, generated at run time by
# tests/corpus/corpus.py from value pools and from what `sessctl help` lists
# (every command, every option), run against SESSCTL. Ends with a table of
# exit statuses and "N passed, N failed".
#
#   tests/check-corpus.sh SESSCTL            (make check runs it)
#   tests/corpus/corpus.py SESSCTL --list    the cases, one a line
#   tests/corpus/corpus.py SESSCTL --only 'db sessions.created_at'
#
# Each case must:
#   - exit with a status of SPEC section 5 (0 1 64 65 66 67 69 74 75 77 78):
#     never 70, a signal or a hang; input that is certainly a usage error
#     (a bad duration, number, timestamp, format, an unknown option) exits 64;
#   - print exactly one error line on stderr when it fails, none when it
#     succeeds. Lines starting "sessctl: " are counted, except warnings
#     ("sessctl: warning: ...", e.g. the password-in---db warning) and the
#     row notes of unreadable values ("sessctl: row N of TABLE has an
#     unreadable COLUMN ..."), each of which may appear once. A listing
#     that exits 65 because of unreadable values may let its row notes be
#     its whole report. Lines without the prefix are summaries ("closed 1
#     session"). With -v, the extra lines of -v are allowed;
#   - put no terminal-unsafe character (C0 but newline and tab, DEL, C1,
#     bidi controls, U+2028/U+2029) in a table or on stderr;
#   - keep JSON, NDJSON and CSV well-formed and strict UTF-8 whatever the
#     status (python3's json and csv modules), NDJSON with no line break a
#     Unicode line splitter would see inside a line;
#   - never show a password given in a URL;
#   - under ASan/UBSan (tests/run.sh sets ASAN_OPTIONS log_path): produce
#     no sanitizer report (each case logs to its own file; a report fails
#     the case and is copied to run.sh's log directory too).
# SESSCTL_CORPUS_JOBS sets the parallel runs (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: check-corpus.sh SESSCTL}
if ! command -v python3 >/dev/null; then
	echo "check-corpus.sh: python3 is missing: run 'make deps'" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
exec python3 "$here/corpus/corpus.py" "$bin"
