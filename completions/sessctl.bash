# bash completion for sessctl(1)                          -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/sessctl, where
# bash-completion loads it on the first Tab after "sessctl"; or source it.
# Uses bash-completion's helpers when they are loaded, and works without:
# then it rejoins the words readline split at ':' itself (--db
# sqlite:PATH), as bash-completion's _get_comp_words_by_ref -n : does.
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
# written in full.

_sessctl_commands='count create enforce find help history list-user logout logout-all metrics migrate show'

# Options that take a value, global or of any command.
_sessctl_value_options=' --db -o --output --columns --now --color --time --device-type --ip --idle-for -n --limit --by --over --user --device --except --fingerprint --device-name --browser --max-sessions --idle-timeout --purge-after --batch-size --session --since --until --action --actor --reason --seen-since --seen-until --created-since --created-until --metrics-file '

_sessctl_global_options='--db -o --output --columns --no-header --now --color --time --full --no-pager -q --quiet -v --verbose -h --help -V --version'

# The options of command $1 (its first operand $2; for logout, the options
# on the line are in $seen and the operands in $operands).
_sessctl_command_options()
{
    local write='--dry-run --actor --reason'
    case $1 in
        list-user) echo '-a --all --device-type --ip --idle-for -n --limit' ;;
        find) echo '--ip --fingerprint --device-type --browser --user --seen-since --seen-until --created-since --created-until --idle-for --active --inactive -a --all -n --limit' ;;
        count)
            # those of the form on the line, not there yet
            local form o
            form=$(_sessctl_count_form)
            for o in --by --over --since; do
                [[ $seen == *" $o "* ]] && continue
                case $form:$o in
                    totals:* | user:--by | user:--over | day:--by | day:--since) echo $o ;;
                    device-type:--by | browser:--by) echo $o ;;
                esac
            done
            ;;
        logout) echo "$(_sessctl_logout_options) $write" ;;
        logout-all) echo "--except -y --yes $write" ;;
        create) echo "--user --fingerprint --device-name --device-type --browser --ip --max-sessions $write" ;;
        enforce) echo "--idle-timeout --max-sessions --purge-after --user --batch-size --metrics-file --full-pass $write" ;;
        metrics) echo '--max-sessions --idle-timeout' ;;
        history) echo '--session --since --until --actor --action -n --limit' ;;
        migrate) [[ $2 == status ]] && echo --check || echo --dry-run ;;
    esac
}

# The long options getopt_long knows for command $1 (none: before the
# command), as " --a --b ": the global ones and all of the command's,
# whatever the line has (count's and logout's of every form, migrate's
# and migrate status's).
_sessctl_long_options()
{
    local seen=' ' by='' o list=' '
    local -a operands=()
    for o in $_sessctl_global_options $(_sessctl_command_options "$1") \
        $([[ $1 == migrate ]] && _sessctl_command_options migrate status); do
        [[ $o == --* && $list != *" $o "* ]] && list+="$o "
    done
    printf '%s' "$list"
}

# Word $1 (--NAME or --NAME=VALUE) with NAME written in full when it is
# shortened to a prefix of exactly one of the long options in $2 (as
# _sessctl_long_options prints them), as getopt_long takes it; else as
# it is: an ambiguous prefix names no option (getopt_long refuses it),
# and neither does a prefix of --all-users (the binary refuses it
# shortened: spelled_in_full in cli/options.c).
_sessctl_resolve()
{
    local name=${1%%=*} o found=''
    local -i n=0
    if [[ $1 == --?* && $2 != *" $name "* ]]; then
        for o in $2; do
            [[ $o == "$name"* ]] && found=$o && n+=1
        done
        if ((n == 1)) && [[ $found != --all-users ]]; then
            printf '%s' "$found${1#"$name"}"
            return
        fi
    fi
    printf '%s' "$1"
}

# Whether command $1 (first operand $2) prints no records, so refuses -o
# (but -o table, the default), --columns and --no-header.
_sessctl_no_records()
{
    [[ $1 == metrics || ($1 == migrate && $2 != status) ]]
}

# count's form from the line: USER (an operand), the --by key (--over
# implies user, --since needs day), or totals (none of them yet). Uses
# $operands, $by and $seen.
_sessctl_count_form()
{
    if ((${#operands[@]})); then
        echo USER
    elif [[ -n $by ]]; then
        echo "$by"
    elif [[ $seen == *' --over '* ]]; then
        echo user
    elif [[ $seen == *' --since '* ]]; then
        echo day
    else
        echo totals
    fi
}

# logout's forms exclude each other (sessctl help logout): SESSION_ID...;
# --user USER with --device or --latest; --where with filters (--user
# among them, repeatable); --all-users. Prints the options still possible
# with what the line has: the options in $seen, the ids in $operands.
# Options that only need another one (a filter needs --where) stay.
_sessctl_logout_options()
{
    local filters='--ip --fingerprint --device-type --browser --seen-since --seen-until --created-since --created-until --idle-for'
    local f has_filter=false has_bulk=false
    for f in $filters; do
        [[ $seen == *" $f "* ]] && has_filter=true
    done
    for f in -y --yes --batch-size; do
        [[ $seen == *" $f "* ]] && has_bulk=true
    done
    if ((${#operands[@]})); then
        return # ids: the write options only
    elif [[ $seen == *' --device '* || $seen == *' --latest '* ]]; then
        [[ $seen == *' --user '* ]] || echo --user
    elif [[ $seen == *' --all-users '* ]]; then
        echo '-y --yes --batch-size'
    else
        echo "--user --where -y --yes --batch-size $filters"
        [[ $seen == *' --where '* || $has_filter == true || $has_bulk == true ]] ||
            echo '--device --latest'
        [[ $seen == *' --where '* || $has_filter == true || $seen == *' --user '* ]] ||
            echo --all-users
    fi
}

# Whether logout's SESSION_ID operands are still possible: no option of
# another form on the line.
_sessctl_logout_ids()
{
    local o
    for o in --user --device --latest --where --all-users -y --yes --batch-size \
        --ip --fingerprint --device-type --browser --seen-since --seen-until \
        --created-since --created-until --idle-for; do
        [[ $seen == *" $o "* ]] && return 1
    done
    return 0
}

# Whether every column the --columns on the line names ($columns) is one
# of count USER's, so that a USER operand can still come: the binary
# refuses count USER with another (count --columns active alice).
_sessctl_count_user_columns()
{
    local c user_columns
    local -a list operands=(USER)
    user_columns=" $(_sessctl_columns count) "
    IFS=, read -r -a list <<<"$columns"
    for c in "${list[@]}"; do
        # blanks around a name do not count, as for the binary
        c=${c#"${c%%[! ]*}"}
        c=${c%"${c##*[! ]}"}
        [[ $user_columns == *" $c "* ]] || return 1
    done
    return 0
}

# The columns --columns can name for command $1 (and migrate subcommand $2).
_sessctl_columns()
{
    local session='id user_id device_fingerprint device_name device_type browser ip_address created_at last_activity is_active'
    case $1 in
        logout) echo "change $session closed users batches interrupted locked" ;;
        logout-all | create) echo "change $session" ;;
        enforce) echo "change $session expired over_limit purged batches interrupted locked" ;;
        history) echo 'id created_at action session_id user_id actor reason evaluated_at email device_name ip_address device_type' ;;
        count)
            case $(_sessctl_count_form) in
                USER) echo 'user_id active_sessions' ;;
                totals) echo 'users users_with_sessions sessions active inactive' ;;
                user) echo 'user_id email username active_sessions' ;;
                device-type) echo 'device_type active inactive' ;;
                browser) echo 'browser active inactive' ;;
                day) echo 'day created last_seen' ;;
            esac
            ;;
        metrics) ;; # Prometheus text: no columns
        migrate) [[ $2 == status ]] && echo 'version name state applied_at' ;;
        find) echo "$session email username" ;;
        *) echo "$session" ;;
    esac
}

# Removes one level of shell quoting from a word typed on the command line,
# without evaluating it (no command substitution, no variables), and
# expands a leading ~/.
_sessctl_dequote()
{
    local in=$1 out='' c q=''
    local -i i
    for ((i = 0; i < ${#in}; i++)); do
        c=${in:i:1}
        if [[ $q == "'" ]]; then
            [[ $c == "'" ]] && q= || out+=$c
        elif [[ $c == '\' ]]; then
            ((i++))
            out+=${in:i:1}
        elif [[ $q == '"' ]]; then
            [[ $c == '"' ]] && q= || out+=$c
        elif [[ $c == "'" || $c == '"' ]]; then
            q=$c
        else
            out+=$c
        fi
    done
    # shellcheck disable=SC2088 # a literal ~/, expanded here
    [[ $out == '~/'* ]] && out=$HOME/${out#'~/'}
    printf '%s' "$out"
}

# Adds to COMPREPLY the candidates of `sessctl __complete $1 $2...`
# (users PREFIX, sessions [USER], audited-sessions [USER], fingerprints
# USER PREFIX) that start with $cur and are not in $skip (" a b "),
# quoted for the command line.
_sessctl_db_candidates()
{
    local line cand q
    local -a args=()
    [[ -n $db ]] && args=(--db "$db")
    while IFS= read -r line; do
        cand=${line%%$'\t'*}
        [[ -z $cand || $cand != "$cur"* || ${skip-} == *" $cand "* ]] && continue
        if [[ $cand == *[!A-Za-z0-9@._+%,/=-]* ]]; then
            printf -v q '%q' "$cand"
            cand=$q
        fi
        COMPREPLY+=("$cand")
    done < <(PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-3} "$bin" "${args[@]}" __complete "$@" 2>/dev/null)
}

# Adds the words of $1 that start with $cur to COMPREPLY (no expansion).
_sessctl_add()
{
    local w
    for w in $1; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
    done
}

# --db: SQLite files (also after "sqlite:") and the URL schemes.
_sessctl_complete_db()
{
    local f path
    if [[ $cur == sqlite:* ]]; then
        path=${cur#sqlite:}
        path=$(_sessctl_dequote "$path")
        while IFS= read -r f; do
            [[ -d $f ]] && f+=/
            COMPREPLY+=("sqlite:$f")
        done < <(compgen -f -- "$path")
        for f in "${COMPREPLY[@]}"; do
            [[ $f == */ ]] && type compopt &>/dev/null && compopt -o nospace && break
        done
    else
        if declare -F _filedir >/dev/null; then
            _filedir
        else
            type compopt &>/dev/null && compopt -o filenames
            while IFS= read -r f; do
                COMPREPLY+=("$f")
            done < <(compgen -f -- "$cur")
        fi
        if [[ -n $cur ]]; then
            local s n=${#COMPREPLY[@]}
            for s in sqlite: postgresql:// postgres://; do
                [[ $s == "$cur"* ]] && COMPREPLY+=("$s")
            done
            ((${#COMPREPLY[@]} > n)) && type compopt &>/dev/null && compopt -o nospace
        fi
    fi
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
}

# Without bash-completion: sets words and cword from COMP_WORDS, where
# readline split at ':' ("sqlite:/tmp/a.db" is sqlite, :, /tmp/a.db),
# rejoining the words with no blank between them around a ':', as
# _get_comp_words_by_ref -n : does. "--opt=value" stays split.
_sessctl_rejoin_colons()
{
    local line=${COMP_LINE:0:COMP_POINT} rest w
    local -i i blank
    words=()
    cword=0
    for ((i = 0; i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        rest=${line#"${line%%[![:blank:]]*}"}
        blank=$((${#rest} != ${#line}))
        line=${rest#"$w"}
        if ((i > 0 && !blank)) && [[ $w == : || ${COMP_WORDS[i - 1]} == : ]]; then
            words[${#words[@]} - 1]+=$w
        else
            words+=("$w")
        fi
    done
    cword=$((${#words[@]} - 1))
}

_sessctl()
{
    local cur prev words cword split=false colons=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return
    else
        COMPREPLY=()
        _sessctl_rejoin_colons
        colons=true
        cur=${words[cword]}
        prev=${words[cword - 1]-}
        # Without bash-completion, "--opt=value" is split.
        if [[ $cur == = ]]; then
            cur=
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${words[cword - 2]}
        fi
        [[ $cur == : || $prev == : ]] && return
    fi
    _sessctl_complete
    # readline replaces only what follows the word's last ':'.
    if [[ $colons == true && $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local i colon_prefix=${cur%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$colon_prefix"}
        done
    fi
}

# Completes words[cword] (cur, after prev) into COMPREPLY.
_sessctl_complete()
{
    # Scan the words before the cursor: the command, its operands, --db,
    # and the options given (in $seen, as " --opt "), shortened ones
    # written in full as getopt_long takes them from $longopts (the
    # global options, and the command's once it is known).
    local bin cmd='' db='' user='' by='' columns='' w seen=' ' skip=' ' longopts
    local -a operands=()
    local -i i
    bin=$(_sessctl_dequote "${words[0]}")
    [[ $bin == */* && -x $bin ]] || bin=sessctl
    [[ -n ${SESSCTL_DB-} ]] && db=$SESSCTL_DB
    longopts=$(_sessctl_long_options '')
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        [[ $w == --?* && $longopts != *" ${w%%=*} "* ]] && w=$(_sessctl_resolve "$w" "$longopts")
        case $w in
            --db=*) db=$(_sessctl_dequote "${w#--db=}") ;;
            --db)
                ((i + 1 < cword)) || break
                [[ ${words[i + 1]} == = ]] && ((i++))
                ((i + 1 < cword)) && db=$(_sessctl_dequote "${words[i + 1]}")
                ((i++))
                ;;
            --user=*)
                user=$(_sessctl_dequote "${w#--user=}")
                seen+='--user '
                ;;
            --by=*)
                by=${w#--by=}
                seen+='--by '
                ;;
            --columns=*)
                columns=$(_sessctl_dequote "${w#--columns=}")
                seen+='--columns '
                ;;
            --) ;;
            --*=*) seen+="${w%%=*} " ;;
            -o?*) seen+='-o ' ;;
            -*)
                seen+="$w "
                if [[ $_sessctl_value_options == *" $w "* ]]; then
                    [[ ${words[i + 1]-} == = ]] && ((i++))
                    ((i++))
                    [[ $w == --user ]] && ((i < cword)) && user=$(_sessctl_dequote "${words[i]}")
                    [[ $w == --by ]] && ((i < cword)) && by=${words[i]}
                    [[ $w == --columns ]] && ((i < cword)) && columns=$(_sessctl_dequote "${words[i]}")
                fi
                ;;
            =) ;;
            *)
                if [[ -z $cmd ]]; then
                    cmd=$w
                    longopts=$(_sessctl_long_options "$cmd")
                else
                    operands+=("$w")
                fi
                ;;
        esac
    done

    # The value of an option, given in full or shortened.
    [[ $prev == --?* && $longopts != *" $prev "* ]] && prev=$(_sessctl_resolve "$prev" "$longopts")
    case $prev in
        --db)
            _sessctl_complete_db
            return
            ;;
        -o | --output)
            # -o table, the default, is all that metrics and migrate take
            if _sessctl_no_records "$cmd" "${operands[0]-}"; then
                _sessctl_add table
            else
                _sessctl_add 'table json ndjson csv'
            fi
            return
            ;;
        --color)
            _sessctl_add 'auto always never'
            return
            ;;
        --time)
            _sessctl_add 'relative utc local'
            return
            ;;
        --device-type)
            _sessctl_add 'web mobile'
            return
            ;;
        --action)
            _sessctl_add 'logout logout-all expire over-limit purge create'
            return
            ;;
        --by)
            # --over goes with --by user, --since with --by day
            if [[ $seen == *' --over '* ]]; then
                [[ $seen == *' --since '* ]] || _sessctl_add user
            elif [[ $seen == *' --since '* ]]; then
                _sessctl_add day
            else
                _sessctl_add 'user device-type browser day'
            fi
            return
            ;;
        --metrics-file)
            if declare -F _filedir >/dev/null; then
                _filedir
            else
                type compopt &>/dev/null && compopt -o filenames
                local f
                while IFS= read -r f; do
                    COMPREPLY+=("$f")
                done < <(compgen -f -- "$cur")
            fi
            return
            ;;
        --user)
            _sessctl_db_candidates users "$(_sessctl_dequote "$cur")"
            return
            ;;
        --except)
            # logout-all USER --except: USER's
            _sessctl_db_candidates sessions "$(_sessctl_dequote "${operands[0]-}")"
            return
            ;;
        --session)
            # history [USER] --session: the sessions with entries, of USER
            _sessctl_db_candidates audited-sessions "$(_sessctl_dequote "${operands[0]-}")"
            return
            ;;
        --device)
            # not with --where or --all-users: the device is a filter there
            [[ -n $user && $seen != *' --where '* && $seen != *' --all-users '* ]] &&
                _sessctl_db_candidates fingerprints "$user" "$(_sessctl_dequote "$cur")"
            return
            ;;
        --columns)
            # A comma-separated list: complete its last element.
            local done_part='' last=$cur c
            [[ $cur == *,* ]] && done_part=${cur%,*}, last=${cur##*,}
            for c in $(_sessctl_columns "$cmd" "${operands[0]-}"); do
                [[ $c == "$last"* && ",$done_part" != *",$c,"* ]] && COMPREPLY+=("$done_part$c")
            done
            type compopt &>/dev/null && compopt -o nospace
            return
            ;;
        --now | --ip | --idle-for | -n | --limit | --over | --fingerprint | \
            --device-name | --browser | --max-sessions | --idle-timeout | --purge-after | \
            --batch-size | --since | --until | --actor | --reason | --seen-since | --seen-until | \
            --created-since | --created-until)
            return
            ;;
    esac
    [[ $split == true ]] && return

    if [[ $cur == -* ]]; then
        local global=$_sessctl_global_options
        _sessctl_no_records "$cmd" "${operands[0]-}" &&
            global=${global/-o --output --columns --no-header /}
        _sessctl_add "$global $(_sessctl_command_options "$cmd" "${operands[0]-}")"
        return
    fi

    case $cmd in
        '') _sessctl_add "$_sessctl_commands" ;;
        help) ((${#operands[@]} == 0)) && _sessctl_add "$_sessctl_commands" ;;
        migrate) ((${#operands[@]} == 0)) && _sessctl_add status ;;
        list-user | logout-all | history)
            ((${#operands[@]} == 0)) && _sessctl_db_candidates users "$(_sessctl_dequote "$cur")"
            ;;
        count)
            # count USER: not with --by, --over or --since, nor with a
            # column of another form in --columns
            [[ $(_sessctl_count_form) == totals ]] && _sessctl_count_user_columns &&
                _sessctl_db_candidates users "$(_sessctl_dequote "$cur")"
            ;;
        show) ((${#operands[@]} == 0)) && _sessctl_db_candidates sessions ;;
        logout)
            # more ids, not those on the line already
            if _sessctl_logout_ids; then
                printf -v skip ' %s' "${operands[@]}" ' '
                _sessctl_db_candidates sessions
            fi
            ;;
    esac
}

complete -F _sessctl sessctl

# ex: filetype=sh
