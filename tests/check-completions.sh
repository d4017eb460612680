#!/bin/bash
# Tests the shell completions in completions/ in the real shells:
#
#   tests/check-completions.sh PATH/TO/sessctl
#
# bash through bash-completion (COMP_WORDS, COMP_CWORD, COMP_LINE,
# COMP_POINT, then COMPREPLY), and once without it; fish through
# `complete -C`; zsh through compinit in a pseudo-terminal (zsh/zpty),
# pressing Tab on a line and capturing the matches. It builds a small
# SQLite database with `sessctl migrate` and sqlite3, so that user and
# session ids come from a real `sessctl __complete`. The options and
# commands expected are parsed from `sessctl --help` and `sessctl help
# COMMAND`, so the completions cannot drift from the binary.
#
# Prints one line per check and `N passed, N failed`; exits 1 on any
# failure.
set -u

bin=${1:?usage: tests/check-completions.sh PATH/TO/sessctl}
[ -x "$bin" ] || { echo "check-completions: '$bin' is not executable" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")/.." && pwd)
comp=$here/completions
bash_completion=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}

passed=0
failed=0
work=$(mktemp -d /tmp/sccomp.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

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

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s' "$out" | head -5 | tr '\n' ' ')"
	fi
}

# A database: two users (alice has two active sessions, one closed),
# an audit trail that names alice's closed session and bob's active one,
# and a PATH on which `sessctl` is the binary under test.
db=$work/sessions.db
mkdir -p "$work/bin"
ln -s "$bin" "$work/bin/sessctl"
export PATH=$work/bin:$PATH
unset SESSCTL_DB SESSCTL_NOW
if ! "$bin" --db "$db" -q migrate >"$work/migrate.log" 2>&1 ||
	! sqlite3 "$db" >"$work/sqlite.log" 2>&1 <<'EOF'
INSERT INTO users (id, email, username, role) VALUES
  (7, 'alice@example.com', 'alice', 'user'),
  (8, 'bob@example.com', 'bob', 'admin');
INSERT INTO sessions (id, user_id, device_fingerprint, device_name, device_type, browser, ip_address, last_activity, is_active) VALUES
  (101, 7, 'fp-a1', 'Chrome on Windows 10', 'web', 'Chrome', '203.0.113.7', datetime('now', '-1 hours'), 1),
  (102, 7, 'fp-a2', 'Safari on iPhone 15', 'mobile', 'Safari', '2001:db8::15', datetime('now', '-1 days'), 1),
  (103, 7, 'fp-a3', 'Edge on Windows 11', 'web', 'Edge', '198.51.100.4', datetime('now', '-60 days'), 0),
  (201, 8, 'fp-b1', 'Firefox on Debian', 'web', 'Firefox', '192.0.2.10', datetime('now', '-5 minutes'), 1);
INSERT INTO sessctl_audit (id, session_id, user_id, action, actor, created_at) VALUES
  (1, 103, 7, 'create', 'app', datetime('now', '-61 days')),
  (2, 201, 8, 'create', 'app', datetime('now', '-5 minutes')),
  (3, 103, 7, 'logout', 'alice', datetime('now', '-60 days'));
EOF
then
	echo "check-completions: cannot build the test database:" >&2
	cat "$work/migrate.log" "$work/sqlite.log" >&2
	exit 2
fi

# A database of 60,000 users (u1@example.com ... with usernames user1 ...),
# only the first 300 with sessions: users are completed by prefix in the
# database, not from the users with the most sessions.
big=$work/big.db
big_expected="u5999@example.com $(seq -f 'u%g@example.com' 59990 59999 | tr '\n' ' ')"
if ! "$bin" --db "$big" -q migrate >"$work/migrate.log" 2>&1 ||
	! sqlite3 "$big" >"$work/sqlite.log" 2>&1 <<'EOF'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
INSERT INTO users (id, email, username) SELECT i, 'u' || i || '@example.com', 'user' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO sessions (user_id, device_fingerprint, device_name) SELECT i, 'fp' || i, 'device' FROM n;
EOF
then
	echo "check-completions: cannot build the 60k-user database:" >&2
	cat "$work/migrate.log" "$work/sqlite.log" >&2
	exit 2
fi

# What the binary says: its commands and each command's long options.
commands=$("$bin" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
global_options=$("$bin" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
command_options() {
	"$bin" help "$1" | awk '/^Global options/ { exit } { print }' |
		grep -oE -- '(^|[^a-z-])--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*' | sort -u
}
# The long options `sessctl CMD --` offers: the command's and the global
# ones, but for those the command refuses (each checked below as such):
# metrics and plain migrate print no records (no --output, --columns or
# --no-header), and --check goes with migrate status only.
offered_options() {
	local refused=' ' o
	case $1 in
	metrics) refused=' --output --columns --no-header ' ;;
	migrate) refused=' --output --columns --no-header --check ' ;;
	esac
	for o in $(command_options "$1") $global_options; do
		[[ $refused == *" $o "* ]] || printf '%s\n' "$o"
	done
}

# --- the helper the completions call ---------------------------------

check "__complete users lists ids, emails and usernames" \
	bash -c '[ "$("$1" --db "$2" __complete users | cut -f1 | sort | tr "\n" " ")" = "7 8 alice alice@example.com bob bob@example.com " ]' _ "$bin" "$db"
check "__complete sessions lists active session ids" \
	bash -c '[ "$("$1" --db "$2" __complete sessions | cut -f1 | sort | tr "\n" " ")" = "101 102 201 " ]' _ "$bin" "$db"
check "__complete users PREFIX: users whose email, username or id starts with it" \
	bash -c '[ "$("$1" --db "$2" __complete users al | cut -f1 | sort | tr "\n" " ")" = "alice alice@example.com " ] &&
		[ "$("$1" --db "$2" __complete users 8 | cut -f1 | tr "\n" " ")" = "8 " ]' _ "$bin" "$db"
check "__complete sessions USER: that user's active sessions only" \
	bash -c '[ "$("$1" --db "$2" __complete sessions bob | cut -f1 | tr "\n" " ")" = "201 " ] &&
		[ "$("$1" --db "$2" __complete sessions 7 | cut -f1 | tr "\n" " ")" = "102 101 " ]' _ "$bin" "$db"
check "__complete fingerprints USER [PREFIX]: the user's active devices" \
	bash -c '[ "$("$1" --db "$2" __complete fingerprints alice | cut -f1 | tr "\n" " ")" = "fp-a1 fp-a2 " ] &&
		[ "$("$1" --db "$2" __complete fingerprints alice fp-a2 | cut -f1 | tr "\n" " ")" = "fp-a2 " ] &&
		[ -z "$("$1" --db "$2" __complete fingerprints nobody)" ]' _ "$bin" "$db"
check "__complete audited-sessions: the sessions the trail names, newest entry first" \
	bash -c '[ "$("$1" --db "$2" __complete audited-sessions | tr "\t\n" "| ")" = "103|user 7, logout 201|user 8, create " ] &&
		[ "$("$1" --db "$2" __complete audited-sessions alice | cut -f1 | tr "\n" " ")" = "103 " ] &&
		[ "$("$1" --db "$2" __complete audited-sessions 8 | cut -f1 | tr "\n" " ")" = "201 " ]' _ "$bin" "$db"
check "the binary refuses what the completions leave out" \
	bash -c 'for a in "metrics -o json" "metrics --columns x" "metrics --no-header" "migrate -o json" \
		"migrate --columns version" "migrate --no-header" "migrate --check" "migrate status --dry-run" \
		"logout --where --user 7 --device fp-a1" "logout --where --ip 192.0.2.10 --latest" \
		"logout --all-users --user 7" "logout --user 7 --latest --ip 192.0.2.10" \
		"logout 101 --where --ip 192.0.2.10" "logout 101 --user 7" \
		"count alice --by user" "count alice --over 3" "count --over 3 --by day" \
		"count --since 30d --by user" "count --by browser --since 30d" "count --columns email" \
		"count --by user --columns users" "count alice --columns email"; do
		# --dry-run on the writes only: count and metrics have none, and
		# would refuse it whatever else the line holds.
		dry=; case $a in logout*) dry=--dry-run ;; esac
		# shellcheck disable=SC2086
		"$1" --db "$2" $a $dry >/dev/null 2>&1; [ $? = 64 ] || { echo "accepted: $a"; exit 1; }
	done' _ "$bin" "$db"
check "the binary reads shortened options as the completions do" \
	bash -c 'set -e
		"$1" --db "$2" count --ov 1 --by user >/dev/null
		"$1" --d "$2" list-user --li 1 alice >/dev/null
		"$1" --db "$2" count --colu=users,active >/dev/null
		for a in "count --ov 1 --by day" "count --si 30d --by user" "list-user --i 5 alice" \
			"logout --us 7 --dev fp-a1" "logout --all-u --dry-run" "history --act logout"; do
			# shellcheck disable=SC2086
			rc=0; "$1" --db "$2" $a >/dev/null 2>&1 || rc=$?
			[ $rc = 64 ] || { echo "not refused: $a"; exit 1; }
		done' _ "$bin" "$db"
check "the binary refuses count USER with a column of another form" \
	bash -c 'for a in "count --columns active alice" "count --columns user_id,users alice"; do
		# shellcheck disable=SC2086
		"$1" --db "$2" $a >/dev/null 2>&1; [ $? = 64 ] || { echo "accepted: $a"; exit 1; }
	done
	"$1" --db "$2" count --columns user_id,active_sessions alice >/dev/null' _ "$bin" "$db"
check "__complete is silent and exits 0 without a database" \
	bash -c 'out=$("$1" --db "$2/none.db" __complete users 2>&1); [ $? = 0 ] && [ -z "$out" ]' _ "$bin" "$work"

# --- syntax -----------------------------------------------------------

check "bash -n completions/sessctl.bash" bash -n "$comp/sessctl.bash"
check "zsh -n completions/_sessctl" zsh -n "$comp/_sessctl"
check "fish -n completions/sessctl.fish" fish --no-config -n "$comp/sessctl.fish"

# Each command's description in zsh and fish is its summary in --help.
while IFS= read -r line; do
	name=${line%% *}
	summary=$(printf '%s' "${line#"$name"}" | sed 's/^ *//')
	zsh_summary=${summary//\'/\'\\\'\'}
	check "zsh describes $name as --help does" \
		grep -qF -- "'$name:$zsh_summary'" "$comp/_sessctl"
	check "fish describes $name as --help does" \
		grep -qF -e "-a $name -d \"$summary\"" -e "-a $name -d '$summary'" "$comp/sessctl.fish"
done < <("$bin" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { sub(/^ +/, ""); print }')

# --- how each shell is driven -----------------------------------------
#
# Each driver takes a command line (the cursor at its end) and prints the
# candidates, one a line.

# bash: split the line into COMP_WORDS as readline does (at blanks, and
# around the COMP_WORDBREAKS characters = and :), then call the function
# registered with `complete -F sessctl`.
cat >"$work/bash-driver.sh" <<'EOF'
line=$1 mode=$2 comp=$3 bash_completion=$4
if [ "$mode" = bash-completion ]; then
	. "$bash_completion" || exit 3
	declare -F _init_completion >/dev/null || exit 3
fi
. "$comp/sessctl.bash" || exit 3
# compopt only works while readline runs a completion: record it instead.
compopt() { :; }
words=()
w=
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	case $c in
	' ') [ -n "$w" ] && words+=("$w"); w= ;;
	'=' | ':') [ -n "$w" ] && words+=("$w"); words+=("$c"); w= ;;
	*) w+=$c ;;
	esac
done
words+=("$w") # the word being completed, maybe empty
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
spec=$(complete -p sessctl 2>/dev/null) || exit 4
func=$(printf '%s\n' "$spec" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$func" ] || exit 4
COMPREPLY=()
"$func" sessctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF

complete_bash() {
	bash --norc --noprofile "$work/bash-driver.sh" "$1" bash-completion "$comp" "$bash_completion"
}

complete_bash_plain() {
	bash --norc --noprofile "$work/bash-driver.sh" "$1" plain "$comp" "$bash_completion"
}

complete_fish() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$comp/sessctl.fish" "$1" | cut -f1
}

# zsh: an interactive zsh -f in a pseudo-terminal, with compinit and
# fpath=(completions ...); Tab on the line; compadd records each match.
cat >"$work/zsh-setup.zsh" <<'EOF'
PROMPT= RPROMPT= PS2=
fpath=($ZT_COMPDIR $fpath)
autoload -Uz compinit && compinit -u -D
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' select-prompt ''
zstyle ':completion:*' menu no
bindkey '^M' undefined-key
bindkey '^J' undefined-key
bindkey '^I' complete-word
compadd() {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return $?
	fi
	local -a hits
	builtin compadd -A hits "$@"
	local ret=$? h
	for h in $hits; do print -r -- "MATCH:$h"; done
	return ret
}
_zt_begin() { print -r -- '<<BEGIN>>' }
_zt_end() { print -r -- '<<END>>'; exit }
compprefuncs=(_zt_begin)
comppostfuncs=(_zt_end)
print -r -- '<<READY>>'
EOF
cat >"$work/zsh-driver.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
zpty z env ZT_COMPDIR=$2 TERM=dumb zsh -f -i
zpty -w z "source ${(q)3}"
zpty -r z line '*<<READY>>*' || exit 3
zpty -w -n z "$1"$'\t'
zpty -r z out '*<<END>>*' || exit 4
zpty -d z
[[ $out == *'<<END>>'* ]] || exit 4
print -r -- "${out//$'\r'/}" | sed -n 's/^MATCH://p'
EOF

complete_zsh() {
	timeout 20 zsh -f "$work/zsh-driver.zsh" "$1" "$comp" "$work/zsh-setup.zsh"
}

# expect SHELL NAME LINE MODE WORDS...: completes LINE in SHELL and checks
# the candidates: MODE exact (the same set), has (at least these), none
# (no candidate at all; WORDS empty) or lacks (none of these).
expect() {
	local shell=$1 name=$2 line=$3 mode=$4 got missing='' extra='' w rc
	shift 4
	got=$("complete_$shell" "$line" 2>"$work/stderr")
	rc=$?
	if [ $rc != 0 ]; then
		fail "$shell: $name" "driver exited $rc: $(head -3 "$work/stderr" | tr '\n' ' ')"
		return
	fi
	if [ -s "$work/stderr" ]; then
		fail "$shell: $name" "stderr: $(head -3 "$work/stderr" | tr '\n' ' ')"
		return
	fi
	got=$(printf '%s\n' "$got" | sed 's/ *$//' | grep -v '^$' | sort -u)
	case $mode in
	exact | has)
		for w in "$@"; do
			printf '%s\n' "$got" | grep -qxF -- "$w" || missing+=" $w"
		done
		if [ "$mode" = exact ]; then
			while IFS= read -r w; do
				[ -z "$w" ] && continue
				printf '%s\n' "$@" | grep -qxF -- "$w" || extra+=" $w"
			done <<<"$got"
		fi
		;;
	lacks)
		for w in "$@"; do
			printf '%s\n' "$got" | grep -qxF -- "$w" && extra+=" $w"
		done
		;;
	none)
		[ -n "$got" ] && extra=" $(printf '%s' "$got" | tr '\n' ' ')"
		;;
	esac
	if [ -z "$missing$extra" ]; then
		pass "$shell: $name"
	else
		fail "$shell: $name '$line'" "${missing:+missing:$missing}${missing:+${extra:+; }}${extra:+unexpected:$extra}"
	fi
}

# The same behaviour is expected of every shell.
for shell in bash fish zsh; do
	# shellcheck disable=SC2086
	expect $shell "command names" "sessctl " exact $commands
	expect $shell "command name prefix" "sessctl li" exact list-user
	expect $shell "command prefix with a global option first" "sessctl -o json logout-" exact logout-all
	expect $shell "option prefix of a command" "sessctl list-user --dev" exact --device-type
	expect $shell "global option prefix" "sessctl --no-h" exact --no-header
	expect $shell "-o values" "sessctl -o " exact table json ndjson csv
	expect $shell "--output values after the command" "sessctl count --output " exact table json ndjson csv
	expect $shell "--device-type values" "sessctl list-user --device-type " exact web mobile
	expect $shell "--device-type values of create" "sessctl create --device-type m" exact mobile
	expect $shell "--color values" "sessctl --color " exact auto always never
	expect $shell "--by values" "sessctl count --by " exact user device-type browser day
	expect $shell "migrate subcommand" "sessctl migrate " exact status
	# shellcheck disable=SC2086
	expect $shell "help COMMAND" "sessctl help " exact $commands
	expect $shell "users from --db" "sessctl --db $db list-user " exact 7 8 alice alice@example.com bob bob@example.com
	expect $shell "user prefix from --db" "sessctl --db $db list-user al" exact alice alice@example.com
	expect $shell "user from --db=URL after the command" "sessctl logout-all --db=$db ali" exact alice alice@example.com
	expect $shell "user from --db given as sqlite:PATH" "sessctl --db sqlite:$db count b" exact bob bob@example.com
	expect $shell "--user value" "sessctl --db $db logout --user bo" exact bob bob@example.com
	expect $shell "session ids for show" "sessctl --db $db show " exact 101 102 201
	expect $shell "session ids for logout" "sessctl --db $db logout 10" exact 101 102
	expect $shell "session ids for --except" "sessctl --db $db logout-all alice --except 1" exact 101 102
	expect $shell "session ids for --session" "sessctl history --db $db --session 2" exact 201
	expect $shell "--except offers the user's sessions only" "sessctl --db $db logout-all bob --except " exact 201
	expect $shell "--except of alice" "sessctl --db $db logout-all alice --except " exact 101 102
	expect $shell "--session of history USER" "sessctl --db $db history bob --session " exact 201
	expect $shell "--session: closed sessions with history too" "sessctl --db $db history --session " exact 103 201
	expect $shell "--session of history USER: that user's only" "sessctl --db $db history alice --session " exact 103
	expect $shell "logout offers no id already on the line" "sessctl --db $db logout 101 " exact 102 201
	expect $shell "logout IDS: no option of another form" "sessctl --db $db logout 101 -" lacks \
		--user --device --latest --where --all-users --yes --batch-size --ip
	expect $shell "logout IDS: the write options" "sessctl --db $db logout 101 --" has --dry-run --actor --reason
	expect $shell "logout --user: no ids" "sessctl --db $db logout --user alice " lacks 101 102 201
	expect $shell "logout --latest: no bulk option" "sessctl --db $db logout --user alice --latest -" lacks \
		--device --where --all-users --yes --batch-size --ip --idle-for
	expect $shell "logout --where: no --device or --latest" "sessctl --db $db logout --where --ip 192.0.2.10 -" lacks \
		--device --latest --all-users
	expect $shell "logout --where: its filters" "sessctl --db $db logout --where --ip 192.0.2.10 --" has \
		--user --fingerprint --idle-for --yes --batch-size
	expect $shell "logout --where --device offers no fingerprint" "sessctl --db $db logout --where --user alice --device " none
	expect $shell "logout --all-users: no filter" "sessctl --db $db logout --all-users -" lacks \
		--user --device --latest --where --ip --idle-for
	expect $shell "logout --all-users: --yes" "sessctl --db $db logout --all-users --" has --yes --batch-size --dry-run
	expect $shell "count USER: no --by, --over or --since" "sessctl --db $db count alice -" lacks --by --over --since
	expect $shell "count USER --columns: its two" "sessctl --db $db count alice --columns " exact user_id active_sessions
	expect $shell "count --by user: no USER" "sessctl --db $db count --by user " lacks 7 8 alice alice@example.com bob bob@example.com
	expect $shell "count --over: no USER" "sessctl --db $db count --over 1 " lacks 7 8 alice alice@example.com bob bob@example.com
	expect $shell "count --over: --by user only" "sessctl count --over 3 --by " exact user
	expect $shell "count --since: --by day only" "sessctl count --since 30d --by " exact day
	expect $shell "count --by device-type: no --over or --since" "sessctl count --by device-type -" lacks --over --since --by
	expect $shell "count --by day: --since, not --over" "sessctl count --by day --" has --since
	expect $shell "count --by day: not --over" "sessctl count --by day --" lacks --over
	expect $shell "count --by user: --over, not --since" "sessctl count --by user --" has --over
	expect $shell "count --by user: not --since" "sessctl count --by user --" lacks --since
	expect $shell "count --columns: the totals'" "sessctl count --columns " exact users users_with_sessions sessions active inactive
	expect $shell "count --over --columns: per user" "sessctl count --over 3 --columns " exact user_id email username active_sessions
	expect $shell "count --by browser --columns" "sessctl count --by browser --columns " exact browser active inactive
	expect $shell "count --by=day --columns" "sessctl count --by=day --columns " exact day created last_seen
	# A long option shortened as getopt_long takes it is that option.
	expect $shell "count --ov (--over): --by user only" "sessctl count --ov 3 --by " exact user
	expect $shell "count --ov=N (--over): --by user only" "sessctl count --ov=3 --by " exact user
	expect $shell "count --si (--since): --by day only" "sessctl count --si 30d --by " exact day
	expect $shell "count --ov (--over) --columns: per user" "sessctl count --ov 3 --columns " exact user_id email username active_sessions
	expect $shell "count --ov N (--over): N is no USER, --by still" "sessctl --db $db count --ov 1 --" has --by
	expect $shell "count --b=user (--by): not --since" "sessctl count --b=user --" lacks --since
	expect $shell "count --b (--by): its keys" "sessctl count --ov 3 --b " exact user
	expect $shell "logout-all USER --exc (--except): the user's sessions" "sessctl --db $db logout-all alice --exc " exact 101 102
	expect $shell "list-user --li N (--limit): N is no USER" "sessctl --db $db list-user --li 5 " exact 7 8 alice alice@example.com bob bob@example.com
	expect $shell "history --acti VALUE (--action): the USER still" "sessctl --db $db history --acti logout b" exact bob bob@example.com
	expect $shell "logout --us USER (--user) --device" "sessctl --db $db logout --us alice --device " exact fp-a1 fp-a2
	expect $shell "logout --us=USER (--user) --device" "sessctl --db $db logout --us=bob --device fp" exact fp-b1
	expect $shell "logout --us (--user): no ids" "sessctl --db $db logout --us alice " lacks 101 102 201
	expect $shell "logout --wh (--where): no --device or --latest" "sessctl --db $db logout --wh -" lacks \
		--device --latest --all-users
	expect $shell "a shortened global option before the command (--d)" "sessctl --d $db list-user al" exact alice alice@example.com
	expect $shell "an ambiguous prefix is no option (--i: --ip, --idle-for)" "sessctl --db $db list-user --i 5 " lacks \
		7 8 alice alice@example.com bob bob@example.com
	expect $shell "an ambiguous prefix is no option (--dev: --device, --device-type)" "sessctl --db $db logout --us alice --dev " lacks \
		fp-a1 fp-a2 web mobile
	expect $shell "a shortened --all-users is no option" "sessctl --db $db logout --user alice --all-u --device " exact fp-a1 fp-a2
	# A shortened option's value in the same word: fish offers the
	# whole word, bash and zsh the value (zsh then writes the option out).
	if [ $shell = fish ]; then pre_us=--us= pre_exc=--exc= pre_b=--b=; else pre_us= pre_exc= pre_b=; fi
	expect $shell "logout --user=PREFIX" "sessctl --db $db logout --user=al" exact \
		${pre_us:+--user=}alice ${pre_us:+--user=}alice@example.com
	expect $shell "logout --us=PREFIX (--user=)" "sessctl --db $db logout --us=al" exact \
		${pre_us}alice ${pre_us}alice@example.com
	case $shell in
	fish) file=--d=$work/sessions.db ;;
	zsh) file=sessions.db ;; # compadd receives a file's last part only
	*) file=$work/sessions.db ;;
	esac
	expect $shell "a shortened global option with its value (--d=PATH)" "sessctl --d=$work/sess" has "$file"
	expect $shell "logout-all USER --exc=PREFIX (--except=)" "sessctl --db $db logout-all alice --exc=1" exact \
		${pre_exc}101 ${pre_exc}102
	expect $shell "count --b=PREFIX (--by=)" "sessctl count --ov 3 --b=" exact ${pre_b}user
	expect $shell "an ambiguous prefix with a value is no option (--dev=: --device, --device-type)" \
		"sessctl --db $db logout --us alice --dev=fp" none
	# count USER has only the columns user_id and active_sessions.
	expect $shell "count --columns active: no USER" "sessctl --db $db count --columns active " lacks \
		7 8 alice alice@example.com bob bob@example.com
	expect $shell "count --colu=users,active (--columns): no USER" "sessctl --db $db count --colu=users,active " lacks \
		7 8 alice alice@example.com bob bob@example.com
	expect $shell "count --columns of count USER: USER" "sessctl --db $db count --columns user_id,active_sessions " has \
		7 8 alice alice@example.com bob bob@example.com
	expect $shell "migrate: no --check (migrate status's)" "sessctl migrate -" lacks --check
	expect $shell "migrate status: no --dry-run (plain migrate's)" "sessctl migrate status -" lacks --dry-run
	expect $shell "migrate status: --check and the record options" "sessctl migrate status --" has --check --output --columns --no-header
	for c in metrics migrate; do
		expect $shell "$c prints no records: no -o, --columns, --no-header" "sessctl $c -" lacks -o --output --columns --no-header
		expect $shell "$c -o: the default only" "sessctl $c -o " exact table
	done
	expect $shell "migrate status -o" "sessctl migrate status -o " exact table json ndjson csv
	expect $shell "migrate --columns: none (migrate status's)" "sessctl migrate --columns " none
	expect $shell "migrate status --columns" "sessctl migrate status --columns ver" exact version
	expect $shell "--device: fingerprints of --user" "sessctl --db $db logout --user alice --device " exact fp-a1 fp-a2
	expect $shell "--device after --user=USER, by prefix" "sessctl --db $db logout --user=bob --device fp" exact fp-b1
	expect $shell "--device without --user offers nothing" "sessctl --db $db logout --device " none
	expect $shell "users by prefix among 60k" "sessctl --db $big list-user u5999" exact $big_expected
	expect $shell "--user by prefix among 60k" "sessctl --db $big logout --user u5999" exact $big_expected
	expect $shell "nothing from a missing database" "sessctl --db $work/none.db list-user " none
	expect $shell "one USER only" "sessctl --db $db list-user alice " lacks 7 8 alice bob
	# zsh's compadd receives a file's or list element's last part only.
	if [ $shell = zsh ]; then file=sessions.db column=device_fingerprint; else
		file=$work/sessions.db column=id,device_fingerprint
	fi
	expect $shell "--db completes files" "sessctl --db $work/sess" has "$file"
	expect $shell "--columns" "sessctl list-user --columns id,device_f" exact "$column"
	if [ $shell = zsh ]; then column=locked; else column=batches,locked; fi
	expect $shell "enforce --columns: the summary's" "sessctl enforce --columns batches,lo" exact "$column"
	expect $shell "logout --columns: the summary's" "sessctl logout --columns batches,lo" exact "$column"
	expect $shell "no hidden command" "sessctl __" none
	for c in $commands; do
		[ "$c" = help ] && continue
		# shellcheck disable=SC2046
		expect $shell "every option of $c" "sessctl $c --" has $(offered_options "$c")
	done
done

# $SESSCTL_DB: an environment variable, not a word of the line.
for shell in bash fish zsh; do
	got=$(SESSCTL_DB=$db "complete_$shell" "sessctl list-user al" 2>/dev/null | sed 's/ *$//' | sort -u | tr '\n' ' ')
	if [ "$got" = "alice alice@example.com " ]; then
		pass "$shell: users from \$SESSCTL_DB"
	else
		fail "$shell: users from \$SESSCTL_DB" "got: $got"
	fi
done

# bash without bash-completion: the fallback path.
expect bash_plain "command name prefix" "sessctl li" exact list-user
expect bash_plain "option prefix of a command" "sessctl enforce --purge" exact --purge-after
expect bash_plain "-o values" "sessctl -o " exact table json ndjson csv
expect bash_plain "--device-type values" "sessctl list-user --device-type " exact web mobile
expect bash_plain "users from --db" "sessctl --db $db list-user al" exact alice alice@example.com
expect bash_plain "users from --db=URL" "sessctl --db=$db list-user al" exact alice alice@example.com
expect bash_plain "--output=VALUE" "sessctl --output=j" exact json
# readline splits "sqlite:PATH" at ':' and replaces what follows it.
expect bash_plain "user from --db given as sqlite:PATH" "sessctl --db sqlite:$db count b" exact bob bob@example.com
expect bash_plain "--db sqlite:PATH completes files" "sessctl --db sqlite:$work/sess" exact "$work/sessions.db"
expect bash_plain "--db=sqlite:PATH" "sessctl --db=sqlite:$db history --session " exact 103 201
expect bash_plain "--session: closed sessions with history too" "sessctl --db $db history alice --session " exact 103
expect bash_plain "metrics prints no records" "sessctl metrics --" lacks --output --columns --no-header
expect bash_plain "logout offers no id already on the line" "sessctl --db $db logout 102 " exact 101 201
expect bash_plain "count --ov=N (--over): --by user only" "sessctl count --ov=3 --by " exact user
expect bash_plain "list-user --li N (--limit): N is no USER" "sessctl --db $db list-user --li 5 al" exact alice alice@example.com
expect bash_plain "logout --us=USER (--user) --device" "sessctl --db $db logout --us=bob --device fp" exact fp-b1
expect bash_plain "count --columns=active: no USER" "sessctl --db $db count --columns=active " lacks \
	7 8 alice alice@example.com bob bob@example.com

# bash: the binary named on the line is asked, even when not on PATH.
PATH=/usr/bin:/bin expect bash "the binary named on the line answers" "$bin --db $db show 2" exact 201
# bash: --output=VALUE as one word (bash-completion joins it).
expect bash "--output=VALUE" "sessctl --output=nd" exact ndjson
expect bash "--db sqlite:PATH completes files" "sessctl --db sqlite:$work/sess" exact "$work/sessions.db"

# zsh: the function loads with compinit.
check "zsh: compinit defines _sessctl for sessctl" \
	zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -D && (( $+functions[_sessctl] )) && [[ $_comps[sessctl] == _sessctl ]]' _ "$comp"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
