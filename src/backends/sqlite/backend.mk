# The SQLite backend: linked into sessctl (libsqlite3 costs nothing at
# start-up). See HACKING.md.
BACKENDS += sqlite
sqlite_CORE := $(wildcard src/backends/sqlite/*.c)
sqlite_MODULE :=
sqlite_PKGS := sqlite3
