# Reads a PostgreSQL server log written with log_statement = 'all' and
# log_line_prefix = '%a|' and prints, for the application named APP (-v
# app=NAME), one line per statement it sent:
#
#   SQL<TAB>PARAMETERS
#
# with the SQL's lines joined by spaces (runs of blanks squeezed) and the
# parameters as the server logged them ("$1 = '74', $2 = 'f'"), or empty.
# The server writes a multi-line statement with a tab before each
# continuation line, and the parameters of a parameterised statement on a
# DETAIL line right after it.

function flush() {
	if (have) {
		gsub(/[ \t]+/, " ", sql)
		sub(/^ /, "", sql)
		sub(/ $/, "", sql)
		print sql "\t" params
	}
	have = 0
	sql = ""
	params = ""
}

BEGIN {
	prefix = app "|"
	mine = 0
}

# A continuation line of the current entry.
/^\t/ {
	if (mine && have && !in_detail)
		sql = sql " " substr($0, 2)
	next
}

{
	mine = 0
	in_detail = 0
	if (substr($0, 1, length(prefix)) != prefix)
		next
	mine = 1
	rest = substr($0, length(prefix) + 1)
	if (rest ~ /^LOG:  statement: /) {
		flush()
		have = 1
		sql = substr(rest, length("LOG:  statement: ") + 1)
	} else if (rest ~ /^LOG:  execute [^:]*: /) {
		flush()
		have = 1
		sub(/^LOG:  execute [^:]*: /, "", rest)
		sql = rest
	} else if (rest ~ /^DETAIL:  parameters: /) {
		in_detail = 1
		params = substr(rest, length("DETAIL:  parameters: ") + 1)
	} else {
		flush()
	}
}

END {
	flush()
}
