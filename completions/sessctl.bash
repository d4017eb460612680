# bash completion for sessctl(1)                          -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/sessctl, where
# bash-completion loads it on the first Tab after "sessctl"; or source it.
# Uses bash-completion's helpers when they are loaded, and works without.
#
# User and session ids come from the database named by --db on the line
# being completed (else $SESSCTL_DB, else sessions.db, as sessctl itself
# resolves it) through `sessctl __complete users PREFIX`, `__complete
# sessions [USER]` and `__complete fingerprints USER PREFIX`, which are
# read-only and print nothing on any error: users are found by prefix in
# the database, and sessions and fingerprints are those of the user on
# the line (logout-all USER --except, logout --user USER --device).

_sessctl_commands='count create enforce find help history list-user logout logout-all metrics migrate show'

# Options that take a value, global or of any command.
_sessctl_value_options=' --db -o --output --columns --now --color --time --device-type --ip --idle-for -n --limit --by --over --user --device --except --fingerprint --device-name --browser --max-sessions --idle-timeout --purge-after --batch-size --session --since --until --action --actor --reason --seen-since --seen-until --created-since --created-until --metrics-file '

_sessctl_global_options='--db -o --output --columns --no-header --now --color --time --full --no-pager -q --quiet -v --verbose -h --help -V --version'

# The options of command $1.
_sessctl_command_options()
{
    local write='--dry-run --actor --reason'
    case $1 in
        list-user) echo '-a --all --device-type --ip --idle-for -n --limit' ;;
        find) echo '--ip --fingerprint --device-type --browser --user --seen-since --seen-until --created-since --created-until --idle-for --active --inactive -a --all -n --limit' ;;
        count) echo '--by --over --since' ;;
        logout) echo "--user --device --latest --where --all-users -y --yes --batch-size --ip --fingerprint --device-type --browser --seen-since --seen-until --created-since --created-until --idle-for $write" ;;
        logout-all) echo "--except -y --yes $write" ;;
        create) echo "--user --fingerprint --device-name --device-type --browser --ip --max-sessions $write" ;;
        enforce) echo "--idle-timeout --max-sessions --purge-after --user --batch-size --metrics-file --full-pass $write" ;;
        metrics) echo '--max-sessions --idle-timeout' ;;
        history) echo '--session --since --until --actor --action -n --limit' ;;
        migrate) echo '--dry-run --check' ;;
    esac
}

# The columns --columns can name for command $1 (and migrate subcommand $2).
_sessctl_columns()
{
    local session='id user_id device_fingerprint device_name device_type browser ip_address created_at last_activity is_active'
    case $1 in
        logout) echo "change $session closed users batches interrupted" ;;
        logout-all | create) echo "change $session" ;;
        enforce) echo "change $session expired over_limit purged batches interrupted" ;;
        history) echo 'id created_at action session_id user_id actor reason evaluated_at email device_name ip_address device_type' ;;
        count) echo 'user_id active_sessions email username users users_with_sessions sessions active inactive device_type browser day created last_seen' ;;
        metrics) ;; # Prometheus text: no columns
        migrate) echo 'version name state applied_at' ;;
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
# (users PREFIX, sessions [USER], fingerprints USER PREFIX) that start
# with $cur, quoted for the command line.
_sessctl_db_candidates()
{
    local line cand q
    local -a args=()
    [[ -n $db ]] && args=(--db "$db")
    while IFS= read -r line; do
        cand=${line%%$'\t'*}
        [[ -z $cand || $cand != "$cur"* ]] && continue
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

_sessctl()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return
    else
        COMPREPLY=()
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # Without bash-completion, "--opt=value" and "a:b" are split.
        if [[ $cur == = ]]; then
            cur=
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${words[cword - 2]}
        fi
        [[ $cur == : || $prev == : ]] && return
    fi

    # Scan the words before the cursor: the command, its operands, --db.
    local bin cmd='' db='' user='' w
    local -a operands=()
    local -i i
    bin=$(_sessctl_dequote "${words[0]}")
    [[ $bin == */* && -x $bin ]] || bin=sessctl
    [[ -n ${SESSCTL_DB-} ]] && db=$SESSCTL_DB
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
            --db=*) db=$(_sessctl_dequote "${w#--db=}") ;;
            --db)
                ((i + 1 < cword)) || break
                [[ ${words[i + 1]} == = ]] && ((i++))
                ((i + 1 < cword)) && db=$(_sessctl_dequote "${words[i + 1]}")
                ((i++))
                ;;
            --user=*) user=$(_sessctl_dequote "${w#--user=}") ;;
            --) ;;
            --*=* | -o?*) ;;
            -*)
                if [[ $_sessctl_value_options == *" $w "* ]]; then
                    [[ ${words[i + 1]-} == = ]] && ((i++))
                    ((i++))
                    [[ $w == --user ]] && ((i < cword)) && user=$(_sessctl_dequote "${words[i]}")
                fi
                ;;
            =) ;;
            *)
                if [[ -z $cmd ]]; then
                    cmd=$w
                else
                    operands+=("$w")
                fi
                ;;
        esac
    done

    # The value of an option.
    case $prev in
        --db)
            _sessctl_complete_db
            return
            ;;
        -o | --output)
            _sessctl_add 'table json ndjson csv'
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
            _sessctl_add 'user device-type browser day'
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
        --except | --session)
            # logout-all USER --except, history USER --session: USER's
            _sessctl_db_candidates sessions "$(_sessctl_dequote "${operands[0]-}")"
            return
            ;;
        --device)
            [[ -n $user ]] && _sessctl_db_candidates fingerprints "$user" "$(_sessctl_dequote "$cur")"
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
        _sessctl_add "$_sessctl_global_options $(_sessctl_command_options "$cmd")"
        return
    fi

    case $cmd in
        '') _sessctl_add "$_sessctl_commands" ;;
        help) ((${#operands[@]} == 0)) && _sessctl_add "$_sessctl_commands" ;;
        migrate) ((${#operands[@]} == 0)) && _sessctl_add status ;;
        list-user | logout-all | count | history)
            ((${#operands[@]} == 0)) && _sessctl_db_candidates users "$(_sessctl_dequote "$cur")"
            ;;
        show) ((${#operands[@]} == 0)) && _sessctl_db_candidates sessions ;;
        logout) _sessctl_db_candidates sessions "$user" ;;
    esac
}

complete -F _sessctl sessctl

# ex: filetype=sh
