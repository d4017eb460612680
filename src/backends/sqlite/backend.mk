# The SQLite backend: info.c (URL forms) is linked into sessctl, the rest
# is the module sessctl-sqlite.so, loaded only for an SQLite URL, so that
# a PostgreSQL run does not map libsqlite3 and libm (about 0.5 MiB of its
# peak RSS). See HACKING.md.
BACKENDS += sqlite
sqlite_CORE := src/backends/sqlite/info.c
sqlite_MODULE := $(filter-out $(sqlite_CORE),$(wildcard src/backends/sqlite/*.c))
sqlite_PKGS := sqlite3
