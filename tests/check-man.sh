#!/bin/bash
# Checks man/sessctl.1 against itself and against the binary:
#
#   tests/check-man.sh [PATH/TO/sessctl]      (default: ./sessctl)
#
# - `mandoc -Tlint -Wwarning` prints nothing;
# - the sections a reader looks for are there;
# - every command that `sessctl --help` lists has its subsection under
#   COMMANDS and its synopsis under SYNOPSIS, and every option that
#   `sessctl help COMMAND` prints (long, and short where it has one) is in
#   that command's subsection; every global option is under GLOBAL OPTIONS;
# - the other way round, every subsection names a command and every option
#   it mentions is one the command or the global options have;
# - every exit status of src/error.h is under EXIT STATUS, and every
#   environment variable the code reads is under ENVIRONMENT.
#
# The checks read the page as mandoc renders it, so the help texts in
# cli/ and the page cannot drift apart. Prints one line per check and
# `N passed, N failed`; exits 1 on any failure.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$here/sessctl}
page=$here/man/sessctl.1

[ -x "$bin" ] || { echo "check-man: '$bin' is not executable: run make" >&2; exit 2; }
[ -f "$page" ] || { echo "check-man: no $page" >&2; exit 2; }
command -v mandoc >/dev/null || { echo "check-man: mandoc is not installed" >&2; exit 2; }

passed=0
failed=0
work=$(mktemp -d /tmp/scman.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

pass() {
	passed=$((passed + 1))
	printf 'ok   %s\n' "$1"
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
	[ -n "${2-}" ] && printf '     %s\n' "$2"
	return 0
}

# has FILE WORD: WORD occurs in FILE as a whole token (not inside a longer
# option or word).
has() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$(printf '%s' "$2" | sed 's/[.[\*^$+?(){}|]/\\&/g')([^A-Za-z0-9_-]|$)" "$1"
}

# --- lint -------------------------------------------------------------

lint=$(mandoc -Tlint -Wwarning "$page" 2>&1)
if [ -z "$lint" ]; then
	pass "mandoc -Tlint -Wwarning is clean"
else
	fail "mandoc -Tlint -Wwarning is clean" "$(printf '%s' "$lint" | head -5 | tr '\n' ' ')"
fi

# --- the page as a reader sees it ---------------------------------------
#
# Rendered wide (no line breaks inside words), overstrike removed. Section
# headings start at column 0, subsection headings at column 3.
if ! mandoc -Tascii -O width=400 "$page" >"$work/raw" 2>/dev/null; then
	fail "mandoc renders the page"
	echo "$passed passed, $failed failed"
	exit 1
fi
sed 's/.\x08//g' "$work/raw" >"$work/page"

# section NAME: the text of section NAME.
section() {
	awk -v name="$1" '
		/^[A-Z]/ { on = ($0 == name); next }
		on { print }
	' "$work/page"
}

# subsections: the titles of the subsections of COMMANDS, one a line.
section COMMANDS >"$work/commands"
awk '/^   [^ ]/ { sub(/^ +/, ""); print }' "$work/commands" >"$work/subsections"

# subsection_text CMD: the text of every subsection whose title starts with
# CMD as a word ("migrate" and "migrate status").
subsection_text() {
	awk -v cmd="$1" '
		/^   [^ ]/ { t = $0; sub(/^ +/, "", t); split(t, w, " "); on = (w[1] == cmd); next }
		on { print }
	' "$work/commands"
}

for s in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" "DATABASE URLS" OUTPUT \
	ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
	if grep -qx -- "$s" "$work/page"; then
		pass "section $s"
	else
		fail "section $s" "no such section"
	fi
done

# --- what the binary says ---------------------------------------------

"$bin" --help >"$work/help" 2>&1 || { fail "sessctl --help exits 0"; }
commands=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$work/help")
if [ -z "$commands" ]; then
	fail "sessctl --help lists commands" "no 'Commands:' block in its output"
	echo "$passed passed, $failed failed"
	exit 1
fi
# Global options: "  -o, --output FORMAT" lines after "Global options".
awk '/^Global options/ { on = 1; next } on && /^$/ { exit } on { print }' "$work/help" >"$work/global-help"
global_long=$(grep -oE -- '^ +(-[A-Za-z], )?--[a-z][a-z-]*' "$work/global-help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
global_short=$(grep -oE -- '^ +-[A-Za-z],' "$work/global-help" | grep -oE -- '-[A-Za-z]' | sort -u)

section "GLOBAL OPTIONS" >"$work/global"
missing=
for o in $global_long $global_short; do
	has "$work/global" "$o" || missing+=" $o"
done
if [ -z "$missing" ]; then
	pass "GLOBAL OPTIONS documents every global option ($(echo $global_long $global_short | wc -w))"
else
	fail "GLOBAL OPTIONS documents every global option" "missing:$missing"
fi

section SYNOPSIS >"$work/synopsis"
for c in $commands; do
	# The command's own help, without the global options' block.
	"$bin" help "$c" 2>&1 | awk '/^Global options/ { exit } { print }' >"$work/help-$c"
	long=$(grep -oE -- '(^|[^A-Za-z0-9_-])--[a-z][a-z-]*' "$work/help-$c" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	short=$(grep -oE -- '^ +-[A-Za-z], --' "$work/help-$c" | grep -oE -- '-[A-Za-z],' | tr -d , | sort -u)
	own=
	for o in $long; do
		printf '%s\n' $global_long | grep -qxF -- "$o" || own+=" $o"
	done
	printf '%s\n' $own >"$work/own-$c"

	subsection_text "$c" >"$work/man-$c"
	if [ -s "$work/man-$c" ]; then
		pass "COMMANDS has a subsection for $c"
	else
		fail "COMMANDS has a subsection for $c" "no subsection titled '$c'"
		continue
	fi
	if grep -qE -- "^ +sessctl $c( |$)" "$work/synopsis"; then
		pass "SYNOPSIS shows $c"
	else
		fail "SYNOPSIS shows $c" "no line 'sessctl $c ...'"
	fi

	missing=
	for o in $own $short; do
		has "$work/man-$c" "$o" || missing+=" $o"
	done
	if [ -z "$missing" ]; then
		pass "$c: every option of 'sessctl help $c' is documented ($(echo $own $short | wc -w))"
	else
		fail "$c: every option of 'sessctl help $c' is documented" "missing in its subsection:$missing"
	fi

	# The other way round: options the page mentions that sessctl does not have.
	extra=
	for o in $(grep -oE -- '(^|[^A-Za-z0-9_-])--[a-z][a-z-]*' "$work/man-$c" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qxF -- "$o" "$work/own-$c" && continue
		printf '%s\n' $global_long | grep -qxF -- "$o" && continue
		extra+=" $o"
	done
	if [ -z "$extra" ]; then
		pass "$c: the page mentions no option that 'sessctl help $c' lacks"
	else
		fail "$c: the page mentions no option that 'sessctl help $c' lacks" "unknown:$extra"
	fi
done

# Every subsection of COMMANDS is a command.
unknown=
while IFS= read -r t; do
	printf '%s\n' $commands | grep -qxF -- "${t%% *}" || unknown+=" '$t'"
done <"$work/subsections"
if [ -z "$unknown" ]; then
	pass "every subsection of COMMANDS is a command of sessctl"
else
	fail "every subsection of COMMANDS is a command of sessctl" "unknown:$unknown"
fi

# The hidden completion helper stays out of the page.
if grep -q -- '__complete' "$work/page"; then
	fail "the hidden __complete command is not documented" "found '__complete'"
else
	pass "the hidden __complete command is not documented"
fi

# --- exit statuses and environment, from the code ------------------------

section "EXIT STATUS" >"$work/exit"
if [ -f "$here/src/error.h" ]; then
	statuses=$(sed -n 's/^[[:space:]]*SC_[A-Z_]* = \([0-9][0-9]*\),.*/\1/p' "$here/src/error.h")
	# SIGTERM's status is named in a comment there.
	grep -q 'SIGTERM gives 143' "$here/src/error.h" && statuses+=" 143"
	missing=
	for n in $statuses; do
		grep -qE "^ +$n( |$)" "$work/exit" || missing+=" $n"
	done
	if [ -n "$statuses" ] && [ -z "$missing" ]; then
		pass "EXIT STATUS lists every status of src/error.h ($(echo $statuses | wc -w))"
	else
		fail "EXIT STATUS lists every status of src/error.h" "missing:${missing:- (none parsed)}"
	fi
fi

section ENVIRONMENT >"$work/env"
vars=$(cat "$here"/cli/*.c "$here"/src/*.c 2>/dev/null |
	grep -oE '(getenv|sc_env_positive)\("[A-Z_]+"' | grep -oE '[A-Z_]{2,}' | sort -u)
missing=
for v in $vars; do
	has "$work/env" "$v" || missing+=" $v"
done
for v in SESSCTL_DB SESSCTL_NOW MAX_SESSIONS_PER_USER SESSION_TIMEOUT_HOURS SUDO_USER PGHOST \
	PGPORT PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSSLMODE PGCONNECT_TIMEOUT NO_COLOR COLUMNS; do
	has "$work/env" "$v" || missing+=" $v"
done
if [ -z "$missing" ]; then
	pass "ENVIRONMENT lists every variable the code reads ($(echo $vars | wc -w) read by cli/ and src/)"
else
	fail "ENVIRONMENT lists every variable the code reads" "missing:$missing"
fi

# The footer names sessctl and its version, not "BSD" (an empty .Os).
version=$("$bin" --version | sed -n '1s/^sessctl //p')
footer=$(MANWIDTH=80 mandoc -Tascii "$page" | sed "s/.\x08//g" | tail -n 1)
if printf '%s' "$footer" | grep -q "sessctl $version" && ! printf '%s' "$footer" | grep -q BSD; then
	pass "the footer names sessctl $version"
else
	fail "the footer names sessctl $version" "footer: $footer"
fi
header=$(MANWIDTH=80 mandoc -Tascii "$page" | sed "s/.\x08//g" | head -n 1)
if ! printf '%s' "$header" | grep -q "BSD"; then
	pass "the header is not the BSD General Commands Manual"
else
	fail "the header is not the BSD General Commands Manual" "header: $header"
fi
# Debian's man renders with groff (1.22), whose mdoc says "BSD" unless
# told otherwise (scripts/install-deps installs groff-base).
header=$(groff -mdoc -Tascii -P-cbou "$page" 2>/dev/null | head -n 1)
if printf '%s' "$header" | grep -q "SESSCTL(1) .*General Commands Manual" &&
	! printf '%s' "$header" | grep -q "BSD"; then
	pass "groff's header is not the BSD General Commands Manual either"
else
	fail "groff's header is not the BSD General Commands Manual either" "header: $header"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
