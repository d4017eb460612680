# fish completion for sessctl(1).
#
# Installed as $(PREFIX)/share/fish/vendor_completions.d/sessctl.fish; fish
# loads it on the first Tab after "sessctl".
#
# User and session ids come from the database named by --db on the line
# being completed (else $SESSCTL_DB, else sessions.db, as sessctl itself
# resolves it) through `sessctl __complete users PREFIX`, `__complete
# sessions [USER]`, `__complete audited-sessions [USER]` and `__complete
# fingerprints USER PREFIX`, which are read-only and print nothing on any
# error: users are found by prefix in the database, and sessions and
# fingerprints are those of the user on the line (logout-all USER
# --except, logout --user USER --device); history [USER] --session offers
# the sessions the newest audit entries name, closed ones too.
#
# Options are offered as the binary takes them: not -o, --columns or
# --no-header for metrics and plain migrate (they print no records); for
# logout only what the form already on the line allows (ids, --user with
# --device or --latest, --where with filters, --all-users); for count
# the options, --by keys, columns and USER of its form (count USER; the
# totals; --by user with --over; --by day with --since; --by device-type
# or browser; and no USER when --columns names a column count USER has
# not, such as the totals' active). `show` offers the newest active
# sessions, as `logout` does; a closed session's id is typed (or found
# with history --session).
#
# The line is read as the binary's getopt_long reads it: a long option
# shortened to a prefix of exactly one of the global options and the
# command's (before the command, of the global ones only) is that option
# (--ov 1 is --over 1, --us=alice is --user=alice, and the word after a
# shortened option that takes a value is its value); an ambiguous prefix
# is no option, nor is a shortened --all-users, which the binary wants
# written in full. The options are those of the `complete` lines below.

# Options that take a value, global or of any command.
set -g __sessctl_value_options -o --output --columns --now --color --time --device-type --ip \
    --idle-for -n --limit --by --over --user --device --except --fingerprint --device-name \
    --browser --max-sessions --idle-timeout --purge-after --batch-size --session --since --until --action \
    --actor --reason --seen-since --seen-until --created-since --created-until --metrics-file

set -g __sessctl_commands count create enforce find help history list-user logout logout-all metrics migrate show

# Read again from the completions below when next needed.
set -e __sessctl_option_table

# The long options of the completions below (complete -c sessctl), one
# "COMMAND --option" a line, COMMAND empty for a global one: an option is
# of the commands its condition names, by name (__sessctl_using_command
# create enforce) or through the helper of a command's forms
# (__sessctl_logout_allows, __sessctl_count_allows,
# __sessctl_plain_migrate); one whose condition names none is global.
function __sessctl_option_table
    if not set -q __sessctl_option_table[1]
        for line in (complete -c sessctl)
            eval (string replace -r -- '^complete\b' __sessctl_option_table_add $line)
        end
    end
    printf '%s\n' $__sessctl_option_table
end

# Adds the long options of one `complete` line (its arguments) to
# __sessctl_option_table.
function __sessctl_option_table_add
    argparse -i 'l/long-option=+' 'n/condition=+' -- $argv 2>/dev/null; or return 0
    set -q _flag_long_option[1]; or return 0
    set -l words
    set -q _flag_condition[1]; and set words (string split -n ' ' -- (string replace -a ';' ' ' -- $_flag_condition))
    set -l cmds
    for w in $words
        switch $w
            case __sessctl_logout_allows
                set -a cmds logout
            case __sessctl_count_allows
                set -a cmds count
            case __sessctl_plain_migrate
                set -a cmds migrate
            case $__sessctl_commands
                set -a cmds $w
        end
    end
    set -q cmds[1]; or set cmds ''
    for c in $cmds
        for o in $_flag_long_option
            contains -- "$c --$o" $__sessctl_option_table; or set -ga __sessctl_option_table "$c --$o"
        end
    end
end

# The long options getopt_long knows for command $argv[1] (none: before
# the command): the global ones and the command's, one a line.
function __sessctl_long_options
    set -l cmd (string escape --style=regex -- "$argv[1]")
    string replace -rf -- "^(?:|$cmd) " '' (__sessctl_option_table)
end

# Word $argv[1] (--NAME or --NAME=VALUE) with NAME written in full when it
# is shortened to a prefix of exactly one of the long options
# $argv[2..-1], as getopt_long takes it; else as it is: an ambiguous
# prefix names no option (getopt_long refuses it), and neither does a
# prefix of --all-users (the binary refuses it shortened: spelled_in_full
# in cli/options.c).
function __sessctl_resolve
    set -l word $argv[1]
    set -l name (string split -m1 = -- $word)[1]
    set -e argv[1]
    if string match -q -- '--?*' $word; and not contains -- $name $argv
        set -l found (string match -r -- '^'(string escape --style=regex -- $name)'.*' $argv)
        if test (count $found) = 1; and test $found != --all-users
            set word $found(string replace -- $name '' $word)
        end
    end
    printf '%s\n' $word
end

# The tokens before the cursor (commandline -opc), with each long option
# shortened as getopt_long takes it written in full (--ov as --over,
# --us=alice as --user=alice): a prefix of exactly one of the global
# options and the command's (before the command, of the global ones
# only).
function __sessctl_tokens
    set -l tokens (commandline -opc)
    set -l opts (__sessctl_long_options)
    set -l cmd
    set -l value 0
    for i in (seq 2 (count $tokens))
        set -l t $tokens[$i]
        if test $value = 1
            set value 0
            continue
        end
        switch $t
            case '--?*'
                set t (__sessctl_resolve $t $opts)
                set tokens[$i] $t
                contains -- $t --db $__sessctl_value_options; and set value 1
            case '-*'
                contains -- $t $__sessctl_value_options; and set value 1
            case '*'
                if test -z "$cmd"
                    set cmd $t
                    set opts (__sessctl_long_options $cmd)
                end
        end
    end
    printf '%s\n' $tokens
end

# The value of option $argv[1] on the line before the cursor (--opt
# VALUE or --opt=VALUE, shortened or not; the last one given), or
# nothing.
function __sessctl_value_of
    set -l tokens (__sessctl_tokens)
    set -l value
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case "$argv[1]=*"
                set value (string replace -- "$argv[1]=" '' $tokens[$i])
            case $argv[1]
                set -l next (math $i + 1)
                set -q tokens[$next]; and set value $tokens[$next]
        end
    end
    set -q value[1]; and printf '%s\n' $value
end

# Prints, one a line: the binary, the --db value (may be empty), the
# command (may be empty), the --user value (may be empty), then the
# command's operands, from the tokens before the cursor.
function __sessctl_parse
    set -l tokens (__sessctl_tokens)
    set -l bin $tokens[1]
    if not string match -q -- '*/*' $bin; or not test -x "$bin"
        set bin sessctl
    end
    set -l db "$SESSCTL_DB"
    set -l cmd
    set -l operands
    set -l skip 0
    set -l want_db 0
    set -l user
    set -l want_user 0
    for t in $tokens[2..-1]
        if test $want_db = 1
            set db $t
            set want_db 0
            continue
        end
        if test $want_user = 1
            set user $t
            set want_user 0
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--db=*'
                set db (string replace -- '--db=' '' $t)
            case --db
                set want_db 1
            case '--user=*'
                set user (string replace -- '--user=' '' $t)
            case --user
                set want_user 1
            case '--*=*' '-o?*'
            case '-*'
                if contains -- $t $__sessctl_value_options
                    set skip 1
                end
            case '*'
                if test -z "$cmd"
                    set cmd $t
                else
                    set -a operands $t
                end
        end
    end
    string replace -r '^~/' "$HOME/" -- $bin
    string replace -r '^~/' "$HOME/" -- "$db"
    printf '%s\n' "$cmd" "$user" $operands
end

# True when no command has been given yet (and the word is not the value
# of a shortened option, such as --d's).
function __sessctl_needs_command
    set -l p (__sessctl_parse)
    test -z "$p[3]"; and not __sessctl_shortened_value
end

# True when the word being completed is the value of a shortened option
# (count --b, logout-all USER --exc), whose values fish, which knows the
# options in full only, would not complete.
function __sessctl_shortened_value
    set -l raw (commandline -opc)
    set -l tokens (__sessctl_tokens)
    set -q raw[2]; and test "$raw[-1]" != "$tokens[-1]"
    and contains -- $tokens[-1] --db $__sessctl_value_options
end

# The values of that shortened option: what the line with the option
# written in full completes.
function __sessctl_shortened_values
    complete -C (string join ' ' -- (string escape -- (__sessctl_tokens)) (commandline -ct))
end

# The word being completed when it is a shortened option that takes a
# value with the value in the same word (--us=al for --user=al), whose
# values fish would not complete either: the option in full (--user=al)
# on the second line.
function __sessctl_shortened_inline
    set -l word (commandline -ct)
    string match -qr -- '^--[^=]+=' $word; or return 1
    set -l p (__sessctl_parse)
    set -l full (__sessctl_resolve $word (__sessctl_long_options $p[3]))
    test "$full" != "$word"; or return 1
    contains -- (string split -m1 = -- $full)[1] --db $__sessctl_value_options; or return 1
    printf '%s\n' $word $full
end

# Its values: those of the option in full, written as on the line.
function __sessctl_shortened_inline_values
    set -l w (__sessctl_shortened_inline); or return 0
    set -l short (string split -m1 = -- $w[1])[1]
    set -l long (string split -m1 = -- $w[2])[1]
    for c in (complete -C (string join ' ' -- (string escape -- (__sessctl_tokens) $w[2])))
        string replace -- "$long=" "$short=" $c
    end
end

# True when the command is one of the arguments.
function __sessctl_using_command
    set -l p (__sessctl_parse)
    contains -- "$p[3]" $argv
end

# True when the word being completed is the value of the option before
# it (one fish does not offer here, such as metrics' -o).
function __sessctl_option_value
    set -l tokens (__sessctl_tokens)
    set -q tokens[2]; and contains -- $tokens[-1] $__sessctl_value_options
end

# True when the command is one of the arguments and has no operand yet.
function __sessctl_first_operand
    set -l p (__sessctl_parse)
    contains -- "$p[3]" $argv; and test (count $p) -le 4; and not __sessctl_option_value
end

# The options on the line before the cursor (--opt=value as --opt), but
# for the last one when it takes the value being completed.
function __sessctl_options
    set -l tokens (__sessctl_tokens)
    set -e tokens[1]
    if set -q tokens[1]; and contains -- $tokens[-1] $__sessctl_value_options
        set -e tokens[-1]
    end
    string match -r -- '^-[^=]*' $tokens
end

# True for migrate without its status subcommand.
function __sessctl_plain_migrate
    set -l p (__sessctl_parse)
    test "$p[3]" = migrate; and test "$p[5]" != status
end

# True when the command prints no records (metrics, plain migrate), so
# refuses -o (but -o table, the default), --columns and --no-header.
function __sessctl_no_records
    __sessctl_using_command metrics; or __sessctl_plain_migrate
end

# logout's forms exclude each other (sessctl help logout): SESSION_ID...;
# --user USER with --device or --latest; --where with filters (--user
# among them, repeatable); --all-users. True when options of kind
# $argv[1] (ids, user, device, where, all-users, filter, bulk) are still
# possible with what the line has; one that only needs another (a filter
# needs --where) stays.
function __sessctl_logout_allows
    set -l p (__sessctl_parse)
    test "$p[3]" = logout; or return 1
    test $argv[1] = ids; and __sessctl_option_value; and return 1
    set -l seen (__sessctl_options)
    set -l ids (count $p[5..-1])
    set -l single (count (string match -r -- '^--(device|latest)$' $seen))
    set -l filter (count (string match -r -- '^--(ip|fingerprint|device-type|browser|seen-since|seen-until|created-since|created-until|idle-for)$' $seen))
    set -l bulk (count (string match -r -- '^(-y|--yes|--batch-size)$' $seen))
    set -l user (count (string match -- --user $seen))
    set -l where (count (string match -- --where $seen))
    set -l all (count (string match -- --all-users $seen))
    test $ids = 0; or test $argv[1] = ids; or return 1
    switch $argv[1]
        case ids
            test (math $single + $filter + $bulk + $user + $where + $all) = 0
        case user
            test $all = 0; and test (math $single \* $user) = 0
        case device
            test (math $single + $filter + $bulk + $where + $all) = 0
        case where
            test (math $single + $where + $all) = 0
        case all-users
            test (math $single + $filter + $user + $where + $all) = 0
        case filter
            test (math $single + $all) = 0
        case bulk
            test $single = 0
    end
end

# count's form from the line: USER (an operand), the --by key (--over
# implies user, --since needs day), or totals (none of them yet).
function __sessctl_count_form
    set -l p (__sessctl_parse)
    if set -q p[5]
        echo USER
        return
    end
    set -l by (__sessctl_value_of --by)
    set -l seen (__sessctl_options)
    if test -n "$by"
        echo $by
    else if contains -- --over $seen
        echo user
    else if contains -- --since $seen
        echo day
    else
        echo totals
    end
end

# True when count's option $argv[1] (by, over, since) goes with the form
# on the line and is not there yet.
function __sessctl_count_allows
    __sessctl_using_command count; or return 1
    contains -- --$argv[1] (__sessctl_options); and return 1
    set -l form (__sessctl_count_form)
    switch $argv[1]
        case by
            test $form != USER
        case over
            contains -- $form totals user
        case since
            contains -- $form totals day
    end
end

# The --by keys the line allows: --over goes with user, --since with day.
function __sessctl_count_keys
    set -l seen (__sessctl_options)
    set -l keys user device-type browser day
    set -l descs 'per user' 'per device type' 'per browser' 'per UTC day'
    set -l pick 1 2 3 4
    if contains -- --over $seen
        set pick 1
        contains -- --since $seen; and set pick
    else if contains -- --since $seen
        set pick 4
    end
    for i in $pick
        printf '%s\t%s\n' $keys[$i] $descs[$i]
    end
end

# Candidates "value<TAB>description" from the database: $argv[1] is
# users (by the prefix being typed), sessions (active: of the command's
# USER for logout-all; for logout not those on the line), audited-sessions
# (of history's USER) or fingerprints (of --user's sessions).
function __sessctl_candidates
    set -l p (__sessctl_parse)
    set -l word (string replace -r -- '^--[a-z-]+=' '' (commandline -ct))
    set -l args $argv[1]
    set -l skip
    switch $argv[1]
        case users
            set -a args "$word"
        case sessions
            if test "$p[3]" = logout-all
                set -a args "$p[5]"
            else if test "$p[3]" = logout
                set skip $p[5..-1]
            end
        case audited-sessions
            set -a args "$p[5]"
        case fingerprints
            test -n "$p[4]"; or return
            set -a args "$p[4]" "$word"
    end
    set -l dbopt
    if test -n "$p[2]"
        set dbopt --db $p[2]
    end
    set -l timeout 3
    if set -q PGCONNECT_TIMEOUT
        set timeout $PGCONNECT_TIMEOUT
    end
    for line in (env PGCONNECT_TIMEOUT=$timeout $p[1] $dbopt __complete $args 2>/dev/null)
        contains -- (string split -m1 \t -- $line)[1] $skip; or printf '%s\n' $line
    end
end

# The columns --columns can name for command $argv[1], one a line: for
# count those of its form $argv[2] (as __sessctl_count_form prints it),
# for migrate those of migrate status when $argv[2] is status.
function __sessctl_column_names
    set -l session id user_id device_fingerprint device_name device_type browser ip_address \
        created_at last_activity is_active
    set -l cols
    switch "$argv[1]"
        case logout
            set cols change $session closed users batches interrupted locked
        case logout-all create
            set cols change $session
        case enforce
            set cols change $session expired over_limit purged batches interrupted locked
        case history
            set cols id created_at action session_id user_id actor reason evaluated_at email \
                device_name ip_address device_type
        case count
            switch "$argv[2]"
                case USER
                    set cols user_id active_sessions
                case totals
                    set cols users users_with_sessions sessions active inactive
                case user
                    set cols user_id email username active_sessions
                case device-type
                    set cols device_type active inactive
                case browser
                    set cols browser active inactive
                case day
                    set cols day created last_seen
            end
        case metrics
            return
        case migrate
            test "$argv[2]" = status; or return
            set cols version name state applied_at
        case find
            set cols $session email username
        case '*'
            set cols $session
    end
    set -q cols[1]; and printf '%s\n' $cols
end

# --columns: the command's columns, after the part of the list already typed.
function __sessctl_columns
    set -l p (__sessctl_parse)
    set -l arg "$p[5]"
    test "$p[3]" = count; and set arg (__sessctl_count_form)
    set -l token (commandline -ct)
    set -l prefix (string match -r -- '^.*,' $token)
    for c in (__sessctl_column_names "$p[3]" "$arg")
        printf '%s%s\n' "$prefix" $c
    end
end

# True when every column the --columns on the line names is one of count
# USER's, so that a USER operand can still come: the binary refuses
# count USER with another (count --columns active alice).
function __sessctl_count_user_columns
    set -l columns (__sessctl_value_of --columns)
    set -q columns[1]; or return 0
    set -l user_columns (__sessctl_column_names count USER)
    for c in (string split -- , $columns)
        # blanks around a name do not count, as for the binary
        contains -- (string trim -c ' ' -- $c) $user_columns; or return 1
    end
end

# --db: SQLite files after "sqlite:", and the URL schemes.
function __sessctl_db_urls
    set -l token (commandline -ct)
    if string match -q -- 'sqlite:*' $token
        set -l path (string replace -- 'sqlite:' '' $token)
        for f in (__fish_complete_path $path)
            printf 'sqlite:%s\n' $f
        end
    else
        printf '%s\tURL scheme\n' sqlite: postgresql:// postgres://
    end
end

complete -c sessctl -f

# Commands.
complete -c sessctl -n __sessctl_needs_command -a count -d 'count sessions: of one user, in total, per user, device type, browser or day'
complete -c sessctl -n __sessctl_needs_command -a create -d 'register a session under the same-device and device-limit rules'
complete -c sessctl -n __sessctl_needs_command -a enforce -d 'the cron job: expire idle sessions, enforce the device limit, purge old rows'
complete -c sessctl -n __sessctl_needs_command -a find -d 'find sessions of every user by address, device, user or time'
complete -c sessctl -n __sessctl_needs_command -a help -d 'show help for sessctl or for one command'
complete -c sessctl -n __sessctl_needs_command -a history -d 'show the audit trail of changes, newest first'
complete -c sessctl -n __sessctl_needs_command -a list-user -d "list a user's sessions, most recent activity first"
complete -c sessctl -n __sessctl_needs_command -a logout -d "close sessions: by id, one device of a user, a user's current device, or by filters"
complete -c sessctl -n __sessctl_needs_command -a logout-all -d "close all of a user's active sessions, or all but one"
complete -c sessctl -n __sessctl_needs_command -a metrics -d 'the current state in Prometheus text format, for monitoring'
complete -c sessctl -n __sessctl_needs_command -a migrate -d "create or upgrade the schema; 'migrate status' shows applied and pending versions"
complete -c sessctl -n __sessctl_needs_command -a show -d 'show one session with every column, device fingerprint included'

# Global options, before or after the command.
complete -c sessctl -l db -r -F -a '(__sessctl_db_urls)' -d 'database: file, sqlite:PATH, postgresql://... or libpq keywords'
complete -c sessctl -n 'not __sessctl_no_records' -s o -l output -x -a 'table json ndjson csv' -d 'output format'
complete -c sessctl -n 'not __sessctl_no_records' -l columns -x -a '(__sessctl_columns)' -d 'show these columns, in this order'
complete -c sessctl -n 'not __sessctl_no_records' -l no-header -d 'no header row (table, csv)'
# -o table, the default, is all that metrics and plain migrate take.
complete -c sessctl -n '__sessctl_no_records; and string match -qr -- "^(-o|--output)\$" (__sessctl_tokens)[-1]' -a table
complete -c sessctl -l now -x -d 'evaluate time rules as of this UTC time'
complete -c sessctl -l color -x -a 'auto always never' -d 'when to colour tables'
complete -c sessctl -l time -x -a 'relative utc local' -d 'how tables show times'
complete -c sessctl -l full -d "never shorten or hide a table's columns"
complete -c sessctl -l no-pager -d 'do not page a listing on a terminal'
complete -c sessctl -s q -l quiet -d 'print nothing but results and errors'
complete -c sessctl -s v -l verbose -d 'say more'
complete -c sessctl -s h -l help -d 'show help'
complete -c sessctl -s V -l version -d 'show the version'

# Operands.
complete -c sessctl -n '__sessctl_first_operand help' -a "$__sessctl_commands"
complete -c sessctl -n '__sessctl_first_operand migrate' -a status -d 'show applied and pending versions'
complete -c sessctl -n '__sessctl_first_operand list-user logout-all history' -a '(__sessctl_candidates users)'
complete -c sessctl -n '__sessctl_first_operand count; and test (__sessctl_count_form) = totals; and __sessctl_count_user_columns' -a '(__sessctl_candidates users)'
complete -c sessctl -n '__sessctl_first_operand show' -a '(__sessctl_candidates sessions)'
complete -c sessctl -n '__sessctl_logout_allows ids' -a '(__sessctl_candidates sessions)'

# The value of a shortened option: as of the option in full.
complete -c sessctl -n __sessctl_shortened_value -a '(__sessctl_shortened_values)'
complete -c sessctl -n __sessctl_shortened_inline -a '(__sessctl_shortened_inline_values)'

# list-user
complete -c sessctl -n '__sessctl_using_command list-user' -s a -l all -d 'include closed sessions'
complete -c sessctl -n '__sessctl_using_command list-user' -l device-type -x -a 'web mobile' -d 'only web or mobile sessions'
complete -c sessctl -n '__sessctl_using_command list-user' -l ip -x -d 'only sessions from this address or network'
complete -c sessctl -n '__sessctl_using_command list-user' -l idle-for -x -d 'only sessions idle at least this long'
complete -c sessctl -n '__sessctl_using_command list-user history' -s n -l limit -x -d 'at most N rows'

# find
complete -c sessctl -n '__sessctl_using_command find' -l ip -x -d 'only sessions from this address or network'
complete -c sessctl -n '__sessctl_using_command find' -l fingerprint -x -d 'only sessions with this device fingerprint'
complete -c sessctl -n '__sessctl_using_command find' -l device-type -x -a 'web mobile' -d 'only web or mobile sessions'
complete -c sessctl -n '__sessctl_using_command find' -l browser -x -d 'only sessions of this browser (exact text)'
complete -c sessctl -n '__sessctl_using_command find' -l user -x -a '(__sessctl_candidates users)' -d "only this user's sessions (repeatable)"
complete -c sessctl -n '__sessctl_using_command find' -l seen-since -x -d 'only sessions last active at or after this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_using_command find' -l seen-until -x -d 'only sessions last active before this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_using_command find' -l created-since -x -d 'only sessions created at or after this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_using_command find' -l created-until -x -d 'only sessions created before this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_using_command find' -l idle-for -x -d 'only sessions idle at least this long'
complete -c sessctl -n '__sessctl_using_command find' -l active -d 'only active sessions (the default)'
complete -c sessctl -n '__sessctl_using_command find' -l inactive -d 'only closed sessions'
complete -c sessctl -n '__sessctl_using_command find' -s a -l all -d 'active and closed sessions'
complete -c sessctl -n '__sessctl_using_command find' -s n -l limit -x -d 'at most N sessions'

# count
complete -c sessctl -n '__sessctl_count_allows by' -l by -x -a '(__sessctl_count_keys)' -d 'one row per group'
complete -c sessctl -n '__sessctl_count_allows over' -l over -x -d 'only users with more than N active sessions'
complete -c sessctl -n '__sessctl_count_allows since' -l since -x -d 'with --by day: from the UTC day of this time (duration ago or UTC time)'

# logout: only the options its form on the line still allows.
complete -c sessctl -n '__sessctl_using_command create enforce; or __sessctl_logout_allows user' -l user -x -a '(__sessctl_candidates users)' -d 'the user'
complete -c sessctl -n '__sessctl_logout_allows device' -l device -x -a '(__sessctl_candidates fingerprints)' -d 'the session of this device fingerprint'
complete -c sessctl -n '__sessctl_logout_allows device' -l latest -d 'the most recently active session'
complete -c sessctl -n '__sessctl_logout_allows where' -l where -d 'close the active sessions the filters select'
complete -c sessctl -n '__sessctl_logout_allows all-users' -l all-users -d 'close every active session of every user'
complete -c sessctl -n '__sessctl_logout_allows bulk' -s y -l yes -d 'do not ask (required without a terminal)'
complete -c sessctl -n '__sessctl_logout_allows bulk' -l batch-size -x -d 'sessions per transaction'
complete -c sessctl -n '__sessctl_logout_allows filter' -l ip -x -d 'only sessions from this address or network'
complete -c sessctl -n '__sessctl_logout_allows filter' -l fingerprint -x -d 'only sessions with this device fingerprint'
complete -c sessctl -n '__sessctl_logout_allows filter' -l device-type -x -a 'web mobile' -d 'only web or mobile sessions'
complete -c sessctl -n '__sessctl_logout_allows filter' -l browser -x -d 'only sessions of this browser (exact text)'
complete -c sessctl -n '__sessctl_logout_allows filter' -l seen-since -x -d 'only sessions last active at or after this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_logout_allows filter' -l seen-until -x -d 'only sessions last active before this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_logout_allows filter' -l created-since -x -d 'only sessions created at or after this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_logout_allows filter' -l created-until -x -d 'only sessions created before this (duration ago or UTC time)'
complete -c sessctl -n '__sessctl_logout_allows filter' -l idle-for -x -d 'only sessions idle at least this long'

# logout-all
complete -c sessctl -n '__sessctl_using_command logout-all' -l except -x -a '(__sessctl_candidates sessions)' -d 'keep this session'
complete -c sessctl -n '__sessctl_using_command logout-all' -s y -l yes -d 'do not ask (required without a terminal)'

# create
complete -c sessctl -n '__sessctl_using_command create' -l fingerprint -x -d 'the device fingerprint'
complete -c sessctl -n '__sessctl_using_command create' -l device-name -x -d 'the device name'
complete -c sessctl -n '__sessctl_using_command create' -l device-type -x -a 'web mobile' -d 'web or mobile'
complete -c sessctl -n '__sessctl_using_command create' -l browser -x -d 'the browser'
complete -c sessctl -n '__sessctl_using_command create' -l ip -x -d 'IPv4 or IPv6 address'
complete -c sessctl -n '__sessctl_using_command create enforce metrics' -l max-sessions -x -d 'the device limit'

# enforce
complete -c sessctl -n '__sessctl_using_command enforce' -l idle-timeout -x -d 'idle timeout (default: $SESSION_TIMEOUT_HOURS hours, else 720h)'
complete -c sessctl -n '__sessctl_using_command enforce' -l purge-after -x -d 'also delete inactive sessions idle longer than this'
complete -c sessctl -n '__sessctl_using_command enforce' -l batch-size -x -d 'sessions (or users) per transaction (default adaptive)'
complete -c sessctl -n '__sessctl_using_command enforce' -l metrics-file -r -F -d "write the run's results for a node_exporter textfile collector"
complete -c sessctl -n '__sessctl_using_command enforce' -l full-pass -d "rank every user and walk every row, whatever the last run recorded"

# metrics
complete -c sessctl -n '__sessctl_using_command metrics' -l idle-timeout -x -d 'idle timeout (default: $SESSION_TIMEOUT_HOURS hours, else 720h)'

# history
complete -c sessctl -n '__sessctl_using_command history' -l session -x -a '(__sessctl_candidates audited-sessions)' -d "only this session's entries"
complete -c sessctl -n '__sessctl_using_command history' -l since -x -d 'only entries at or after this (a duration ago or a date)'
complete -c sessctl -n '__sessctl_using_command history' -l until -x -d 'only entries before this (a duration ago or a date)'
complete -c sessctl -n '__sessctl_using_command history' -l actor -x -d 'only changes made by this actor'
complete -c sessctl -n '__sessctl_using_command history' -l action -x -a 'logout logout-all expire over-limit purge create' -d 'only this kind of change'

# Every command that changes data (migrate status changes none).
complete -c sessctl -n '__sessctl_using_command logout logout-all create enforce; or __sessctl_plain_migrate' -l dry-run -d 'print what would change; change nothing'
complete -c sessctl -n '__sessctl_using_command logout logout-all create enforce' -l actor -x -d 'who makes the change, for the audit trail'
complete -c sessctl -n '__sessctl_using_command logout logout-all create enforce' -l reason -x -d 'why, for the audit trail'

# migrate status
complete -c sessctl -n '__sessctl_using_command migrate; and not __sessctl_no_records' -l check -d 'exit 1 when any migration is pending'
