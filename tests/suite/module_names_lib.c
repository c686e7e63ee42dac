/* A module for the names tests of tests/suite/module_policy.c: the
   exports of module_names.h. */
#include "module_names.h"

#ifdef _WIN32
#define MODULE_EXPORT __declspec(dllexport)
#else
#define MODULE_EXPORT __attribute__((visibility("default")))
#endif

MODULE_EXPORT int names_probe(int x);
MODULE_EXPORT int NAMES_LONG_EXPORT(int x);

int names_probe(int x) { return x + 2; }
int NAMES_LONG_EXPORT(int x) { return x + 3; }
