#!/bin/bash
# Runs every example of README.md's guides on the demo database, as a new
# user would after `make demo` (issue 13 item 13): each one, on a fresh
# copy, exits 0 and prints something. Lines with a shell variable (the
# deploy step) or that are not sessctl commands are left out.
#
#   tests/check-readme.sh SESSCTL
set -u
bin=$(cd "$(dirname "${1:?usage: check-readme.sh SESSCTL}")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/screadme.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		passed=$((passed + 1))
	else
		echo "FAIL $what"
		failed=$((failed + 1))
	fi
}

SESSCTL=$bin "$here/demo/make-demo" "$work/demo.db" 2>/dev/null
check "demo/make-demo builds the demo database" test -s "$work/demo.db"

# Runs one example on a fresh copy of the demo database (with "same", on
# the copy the examples before it changed).
example() {
	local line=$1 same=${2-} out err rc
	[ -n "$same" ] || cp "$work/demo.db" "$work/copy.db"
	(cd "$work" && PATH="$(dirname "$bin"):$PATH" SESSCTL_DB="$work/copy.db" \
		eval "${line/#sessctl/$(basename "$bin")}") >"$work/out" 2>"$work/err" </dev/null
	rc=$?
	# An example that asks first (a bulk logout) is refused without a
	# terminal: it must say so, and with --yes, as a script gives it, work.
	if [ "$rc" -eq 64 ] && grep -q 'give --yes' "$work/err"; then
		[ -n "$same" ] || cp "$work/demo.db" "$work/copy.db"
		(cd "$work" && PATH="$(dirname "$bin"):$PATH" SESSCTL_DB="$work/copy.db" \
			eval "${line/#sessctl/$(basename "$bin")} --yes") >"$work/out" 2>"$work/err" </dev/null
		rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "     exit $rc: $(head -c 300 "$work/err")"
		return 1
	fi
	# Something meaningful: not nothing, not a table header alone, not [].
	if [ ! -s "$work/out" ] || { [ "$(wc -l <"$work/out")" -eq 1 ] &&
		grep -qE '^([A-Z_]+ *)+$|^\[\]$' "$work/out"; }; then
		echo "     printed nothing but: $(head -c 200 "$work/out")"
		return 1
	fi
}

examples=()
while IFS= read -r line; do
	line=${line#    }
	line=${line%%#*}
	line=${line%"${line##*[![:space:]]}"}
	case $line in
	*'$'* | '') continue ;;
	esac
	examples+=("$line")
done < <(sed -n '/^## Guides/,/^## Database URLs/p' "$here/README.md" | grep '^    sessctl ')
for line in "${examples[@]}"; do
	check "README: $line" example "$line"
done
check "README's guides have examples to run (${#examples[@]})" test "${#examples[@]}" -ge 10

# README says they also run one after the other, as a reader tries them.
in_order() {
	cp "$work/demo.db" "$work/copy.db"
	for line in "${examples[@]}"; do
		example "$line" same || { echo "     after the examples before it: $line"; return 1; }
	done
}
check "README's examples run one after the other, in order" in_order

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
