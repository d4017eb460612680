/* The backend table, and loading a backend that is a module.
 *
 * A backend is linked in or, as both of sessctl's are, built as a module
 * that is loaded only when a URL of its own is used (libpq maps about
 * twenty libraries, ssl, krb5, ldap, ..., which would cost every SQLite
 * run 20 ms; libsqlite3 and libm would cost every PostgreSQL run about
 * 0.5 MiB of its peak RSS, over the 8 MiB SPEC allows). Like collectd
 * and PAM, the module is opened with RTLD_NOW | RTLD_LOCAL (fail at load,
 * not at the first call; nothing leaks between modules) and one symbol
 * is looked up, `sessctl_backend`, whose ABI version and size are checked
 * before anything else is used. The module is looked for in
 * $SESSCTL_BACKEND_DIR when set, then next to the sessctl binary (the
 * build tree), then in SESSCTL_MODULEDIR ($(PREFIX)/lib/sessctl).
 */
#include "backend.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SESSCTL_MODULEDIR
#define SESSCTL_MODULEDIR "/usr/local/lib/sessctl"
#endif

const struct sc_backend_info *const sc_backend_table[] = {
#define SC_BACKEND(name) &sc_##name##_info,
#include "backends/list.h"
#undef SC_BACKEND
	NULL,
};

#define NBACKENDS (sizeof(sc_backend_table) / sizeof(sc_backend_table[0]) - 1)

/* The directory of the running binary, or "" when unknown. */
static void exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
}

/* The directories a module is looked for in, in order; count in *n. */
static void search_path(char dirs[3][PATH_MAX], size_t *n)
{
	const char *env = getenv("SESSCTL_BACKEND_DIR");

	*n = 0;
	if (env && *env)
		snprintf(dirs[(*n)++], PATH_MAX, "%s", env);
	exe_dir(dirs[*n], PATH_MAX);
	if (dirs[*n][0])
		(*n)++;
	snprintf(dirs[(*n)++], PATH_MAX, "%s", SESSCTL_MODULEDIR);
}

static const struct sc_backend *check_module(const struct sc_backend_info *info, void *handle,
					     const char *path, struct sc_error *err)
{
	const struct sc_backend *be = dlsym(handle, "sessctl_backend");

	if (!be)
		sc_error_set(err, SC_UNAVAILABLE, "'%s' is not a sessctl backend module: reinstall sessctl",
			     path);
	else if (be->abi != SC_BACKEND_ABI || be->size != sizeof(*be) || strcmp(be->name, info->name) != 0)
		sc_error_set(err, SC_UNAVAILABLE,
			     "'%s' was built for another version of sessctl: reinstall sessctl", path);
	else
		return be;
	return NULL;
}

/* dlopen with info->load_env set for the constructors that run in it,
 * each setting only where the environment has none of its own. */
static void *open_module(const struct sc_backend_info *info, const char *path)
{
	char names[8][64];
	size_t set = 0;

	for (const char *const *e = info->load_env; e && *e && set < 8; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : 0;
		if (!len || len >= sizeof(names[0]))
			continue;
		memcpy(names[set], *e, len);
		names[set][len] = '\0';
		if (!getenv(names[set]) && setenv(names[set], eq + 1, 0) == 0)
			set++;
	}
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	while (set)
		unsetenv(names[--set]);
	return handle;
}

/* Loads info's module: the first file found on the search path. */
static const struct sc_backend *load_module(const struct sc_backend_info *info, char *where,
					    size_t where_len, struct sc_error *err)
{
	char dirs[3][PATH_MAX], path[PATH_MAX + 64];
	size_t n, used = 0;

	search_path(dirs, &n);
	where[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], info->module);
		used += (size_t)snprintf(where + used, used < where_len ? where_len - used : 0, "%s%s",
					 i ? ", " : "", dirs[i]);
		if (used >= where_len)
			used = where_len - 1;
		if (access(path, F_OK) < 0)
			continue;
		void *handle = open_module(info, path);
		if (!handle) {
			const char *why = dlerror();
			/* A library that could not be mapped (ulimit -v) is
			 * installed: "install libpq5" sent the user to a
			 * package they have. */
			if (why && (strstr(why, "failed to map segment") ||
				    strstr(why, "annot allocate memory")))
				sc_error_set(err, SC_SOFTWARE,
					     "cannot load %s support from '%s' (%s): out of memory: "
					     "raise the memory limit (ulimit -v)", info->name, path, why);
			else
				sc_error_set(err, SC_UNAVAILABLE,
					     "cannot load %s support from '%s' (%s): install %s",
					     info->name, path, why ? why : "unknown error",
					     info->needs ? info->needs : "sessctl again");
			return NULL;
		}
		const struct sc_backend *be = check_module(info, handle, path, err);
		if (!be)
			dlclose(handle);
		snprintf(where, where_len, "%s", path);
		return be;
	}
	sc_error_set(err, SC_UNAVAILABLE,
		     "%s support is not installed: '%s' is not in %s (install sessctl with 'make install', "
		     "or its %s module; or set SESSCTL_BACKEND_DIR to the directory that holds it)",
		     info->name, info->module, where, info->name);
	return NULL;
}

static size_t index_of(const struct sc_backend_info *info)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (sc_backend_table[i] == info)
			return i;
	return NBACKENDS;
}

const struct sc_backend *sc_backend_load(const struct sc_backend_info *info, struct sc_error *err)
{
	static const struct sc_backend *loaded[NBACKENDS + 1];
	char where[3 * PATH_MAX];
	size_t i;

	if (info->builtin)
		return info->builtin;
	i = index_of(info);
	if (!loaded[i])
		loaded[i] = load_module(info, where, sizeof(where), err);
	return loaded[i];
}

/* The path of info's module on the search path, or "" (where[] then
 * lists the directories searched). No dlopen: --version stays fast. */
static bool find_module(const struct sc_backend_info *info, char *path, size_t len)
{
	char dirs[3][PATH_MAX];
	size_t n;

	search_path(dirs, &n);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, len, "%s/%s", dirs[i], info->module);
		if (access(path, R_OK) == 0)
			return true;
	}
	path[0] = '\0';
	return false;
}

void sc_backends_each(sc_backend_cb cb, void *ctx)
{
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < NBACKENDS; i++) {
		const struct sc_backend_info *info = sc_backend_table[i];
		if (info->builtin)
			cb(info->name, true, "built in", ctx);
		else if (find_module(info, path, sizeof(path)))
			cb(info->name, true, path, ctx);
		else
			cb(info->name, false, "not installed", ctx);
	}
}
