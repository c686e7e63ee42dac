/* A module for the module policy's tests (tests/suite/module_policy.c) and
   benchmarks: one exported function, whose address is the target asked
   about. Built once and copied under many names: each copy is a module of
   its own. */
#ifdef _WIN32
#define MODULE_EXPORT __declspec(dllexport)
#else
#define MODULE_EXPORT __attribute__((visibility("default")))
#endif

MODULE_EXPORT int module_probe(int x);
int module_probe(int x) { return x + 1; }
