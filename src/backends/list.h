/* The backend table: one line per backend, in the order a --db value is
 * offered to them (the first that claims it with the highest score wins;
 * see struct sc_backend_info in backend.h). A backend NAME defines
 * `const struct sc_backend_info sc_NAME_info` in src/backends/NAME/.
 * Included by backend.h and registry.c with SC_BACKEND defined.
 */
SC_BACKEND(sqlite)
SC_BACKEND(postgres)
