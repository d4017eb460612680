# The PostgreSQL backend: info.c (URL forms, redaction; no libpq) is linked
# into sessctl, the rest is the module sessctl-postgres.so, loaded only for
# a PostgreSQL URL. See HACKING.md.
BACKENDS += postgres
postgres_CORE := src/backends/postgres/info.c
postgres_MODULE := $(filter-out $(postgres_CORE),$(wildcard src/backends/postgres/*.c))
postgres_PKGS := libpq
