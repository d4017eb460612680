#!/bin/bash
# Checks `make install` and `make uninstall` into a staging directory:
# every file lands where the system looks for it, and uninstall removes
# exactly those files.
#   tests/check-install.sh [SESSCTL]   (the binary is not used: make installs build/sessctl)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d /tmp/scinstall.XXXXXX)
trap 'rm -rf "$stage"' EXIT
passed=0
failed=0

check() { # description, command...
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

expected="usr/bin/sessctl
usr/lib/sessctl/sessctl-postgres.so
usr/lib/sessctl/sessctl-sqlite.so
usr/share/bash-completion/completions/sessctl
usr/share/fish/vendor_completions.d/sessctl.fish
usr/share/man/man1/sessctl.1
usr/share/zsh/vendor-completions/_sessctl"

make -s -C "$here" install DESTDIR="$stage" PREFIX=/usr >"$stage.log" 2>&1
check "make install DESTDIR=... PREFIX=/usr succeeds" test $? -eq 0
installed=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
check "install lays out exactly the binary, the two backend modules, man page and three completions" \
	test "$installed" = "$expected"
check "the installed binary runs" "$stage/usr/bin/sessctl" --version
check "the installed binary looks for its modules in PREFIX/lib/sessctl" \
	grep -q /usr/lib/sessctl "$stage/usr/bin/sessctl"
check "--version lists the installed modules (found through SESSCTL_BACKEND_DIR)" sh -c \
	"SESSCTL_BACKEND_DIR='$stage/usr/lib/sessctl' '$stage/usr/bin/sessctl' --version |
	 grep -qF 'backends: sqlite ($stage/usr/lib/sessctl/sessctl-sqlite.so), postgresql ($stage/usr/lib/sessctl/sessctl-postgres.so)'"
check "an SQLite database works with the installed modules" sh -c \
	"SESSCTL_BACKEND_DIR='$stage/usr/lib/sessctl' '$stage/usr/bin/sessctl' --db '$stage/t.db' -q migrate &&
	 SESSCTL_BACKEND_DIR='$stage/usr/lib/sessctl' '$stage/usr/bin/sessctl' --db '$stage/t.db' count -o csv --no-header |
	 grep -q '^0,0,'"
rm -f "$stage/t.db"
# Outside the stage the module is not where the binary looks (unless a
# real /usr/lib/sessctl holds one): a PostgreSQL URL then exits 69 and
# names the module.
if [ ! -e /usr/lib/sessctl/sessctl-postgres.so ]; then
	"$stage/usr/bin/sessctl" --db 'host=/nonexistent dbname=x' count >/dev/null 2>"$stage.err"
	rc=$?
	check "a missing module exits 69" test "$rc" -eq 69
	check "a missing module is named in one line" sh -c \
		"test \$(wc -l <'$stage.err') -eq 1 &&
		 grep -q \"^sessctl: postgresql support is not installed: 'sessctl-postgres.so' is not in \" '$stage.err'"
	rm -f "$stage.err"
fi
if [ ! -e /usr/lib/sessctl/sessctl-sqlite.so ]; then
	"$stage/usr/bin/sessctl" --db "$stage/none.db" count >/dev/null 2>"$stage.err"
	rc=$?
	check "a missing SQLite module exits 69" test "$rc" -eq 69
	check "a missing SQLite module is named in one line, and no file is created" sh -c \
		"test \$(wc -l <'$stage.err') -eq 1 && test ! -e '$stage/none.db' &&
		 grep -q \"^sessctl: sqlite support is not installed: 'sessctl-sqlite.so' is not in .*; or set SESSCTL_BACKEND_DIR to the directory that holds it)\$\" '$stage.err'"
	rm -f "$stage.err"
fi
# A module that cannot be loaded (its library missing, or the file
# damaged) says what to install: the SQLite one said "install (null)".
mkdir "$stage/broken"
echo garbage >"$stage/broken/sessctl-sqlite.so"
echo garbage >"$stage/broken/sessctl-postgres.so"
SESSCTL_BACKEND_DIR="$stage/broken" "$stage/usr/bin/sessctl" --db "$stage/none.db" count >/dev/null 2>"$stage.err"
rc=$?
check "an SQLite module that cannot be loaded exits 69 and says to install libsqlite3-0" sh -c \
	"test $rc -eq 69 && test \$(wc -l <'$stage.err') -eq 1 && test ! -e '$stage/none.db' &&
	 grep -q \"^sessctl: cannot load sqlite support from '$stage/broken/sessctl-sqlite.so' (.*): install libsqlite3-0\$\" '$stage.err'"
SESSCTL_BACKEND_DIR="$stage/broken" "$stage/usr/bin/sessctl" --db 'host=/nonexistent dbname=x' count >/dev/null 2>"$stage.err"
rc=$?
check "a PostgreSQL module that cannot be loaded exits 69 and says to install libpq5" sh -c \
	"test $rc -eq 69 && grep -q \"^sessctl: cannot load postgresql support from .*: install libpq5\$\" '$stage.err'"
rm -rf "$stage/broken" "$stage.err"
# A module whose libraries cannot be mapped for want of memory (ulimit -v)
# said "install libpq5", a package that is installed. (Not under ASan,
# whose shadow memory no such limit admits: the plain pass checks it.)
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "     (the memory limit case is not run under ASan: the plain make check runs it)"
else
	(ulimit -v 8000 && SESSCTL_BACKEND_DIR="$stage/usr/lib/sessctl" exec "$stage/usr/bin/sessctl" --db 'host=/nonexistent dbname=x' count) \
		>/dev/null 2>"$stage.err"
	rc=$?
	check "a PostgreSQL module that cannot be mapped (ulimit -v) exits 70 and says out of memory" sh -c \
		"test $rc -eq 70 && test \$(wc -l <'$stage.err') -eq 1 &&
		 grep -q \"^sessctl: cannot load postgresql support from .*: out of memory: raise the memory limit (ulimit -v)\$\" '$stage.err'"
	rm -f "$stage.err"
fi
check "the binary is executable and the rest is not" \
	test -x "$stage/usr/bin/sessctl" -a ! -x "$stage/usr/share/man/man1/sessctl.1" \
	-a ! -x "$stage/usr/lib/sessctl/sessctl-postgres.so" -a ! -x "$stage/usr/lib/sessctl/sessctl-sqlite.so"
check "the installed man page renders" sh -c "mandoc -Tutf8 '$stage/usr/share/man/man1/sessctl.1' >/dev/null"
check "the installed man page names the installed module directory, not the default's" sh -c \
	"grep -q '/usr/lib/sessctl/sessctl-sqlite.so' '$stage/usr/share/man/man1/sessctl.1' &&
	 ! grep -q '/usr/local/lib/sessctl' '$stage/usr/share/man/man1/sessctl.1'"

touch "$stage/usr/bin/other-tool"
make -s -C "$here" uninstall DESTDIR="$stage" PREFIX=/usr >>"$stage.log" 2>&1
check "make uninstall succeeds" test $? -eq 0
left=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
check "uninstall removes exactly what install put there" test "$left" = "usr/bin/other-tool"
rm -f "$stage.log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
