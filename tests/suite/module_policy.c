/* The module policy (hook_modules) against modules that come and go, many
   modules, and targets in none, natively (dlopen) and under Wine
   (LoadLibrary). Its modules are copies of tests/suite/module_policy_lib.c built
   by make test into the directory given as the only argument:
     fixed_a, fixed_b   linked at the same fixed image base (Windows), so
                        that B is loaded where A was
     mod_000 ... mod_099
   Ends with "N passed, N failed". */
#include "../clr/harness.h"

#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#define MODULE_EXT ".dll"
#else
#include <dlfcn.h>
#define MODULE_EXT ".so"
#endif

#define MANY 100

static const char *module_dir;

typedef struct module {
    void *handle;
    SIZE_T probe; /* module_probe's address: the target */
} module;

static module load(const char *name)
{
    char path[1024];
    module m;
    sprintf(path, "%s/%s%s", module_dir, name, MODULE_EXT);
#ifdef _WIN32
    m.handle = (void *)LoadLibraryA(path);
    m.probe = m.handle ? (SIZE_T)GetProcAddress((HMODULE)m.handle, "module_probe") : 0;
#else
    m.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    m.probe = m.handle ? (SIZE_T)dlsym(m.handle, "module_probe") : 0;
#endif
    if (!m.probe)
        fprintf(stderr, "could not load %s\n", path);
    CHECK(m.probe != 0);
    return m;
}

static void unload(module *m)
{
#ifdef _WIN32
    CHECK(FreeLibrary((HMODULE)m->handle));
#else
    CHECK_EQ(dlclose(m->handle), 0);
#endif
    m->handle = NULL;
}

static IHostTaskManager *policy_manager(const char *const *names, counting_allocator *a, clrhost_task_manager **m)
{
    clrhost_task_config cfg;
    test_config(&cfg, a);
    cfg.hook_modules = names;
    CHECK_HR(clrhost_task_manager_create(&cfg, m), S_OK);
    return clrhost_task_manager_iface(*m);
}

static BOOL ask(IHostTaskManager *tm, SIZE_T target)
{
    BOOL answer = 2;
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, target, &answer), S_OK);
    CHECK(answer == TRUE || answer == FALSE);
    return answer;
}

/* A listed module goes and an unlisted one comes, where it was: the
   answers follow what is loaded now. */
TEST_CASE(test_answers_follow_unload_and_load, "modules/answers_follow_unload_and_load")
{
    static const char *const names[] = {"fixed_a", NULL};
    counting_allocator a = {0};
    clrhost_task_manager *m;
    IHostTaskManager *tm = policy_manager(names, &a, &m);
    module ma = load("fixed_a"), mb;
    SIZE_T where_a = ma.probe;
    CHECK(ask(tm, where_a) == TRUE);
    CHECK(ask(tm, where_a) == TRUE); /* remembered */
    unload(&ma);
    mb = load("fixed_b");
    printf("     (fixed_b loaded %s fixed_a was)\n", mb.probe == where_a ? "where" : "elsewhere than");
    CHECK(ask(tm, where_a) == FALSE); /* fixed_b, or nothing, is there now */
    CHECK(ask(tm, mb.probe) == FALSE);
    unload(&mb);
    ma = load("fixed_a");
    CHECK(ask(tm, ma.probe) == TRUE); /* and back */
    unload(&ma);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* A hundred modules, the last one listed: every answer is right, and once
   each target has been asked about, asking again allocates nothing. */
TEST_CASE(test_a_hundred_modules, "modules/a_hundred_modules")
{
    static const char *const names[] = {"MOD_099", NULL}; /* any case, any extension */
    counting_allocator a = {0};
    clrhost_task_manager *m;
    IHostTaskManager *tm = policy_manager(names, &a, &m);
    static module mods[MANY];
    char name[16];
    long after_first = 0;
    int i, round;
    for (i = 0; i < MANY; ++i) {
        sprintf(name, "mod_%03d", i);
        mods[i] = load(name);
    }
    for (round = 0; round < 3; ++round) {
        for (i = 0; i < MANY; ++i)
            CHECK(ask(tm, mods[i].probe) == (i == MANY - 1 ? TRUE : FALSE));
        if (round == 0)
            after_first = T_LOAD(&a.allocations);
    }
    CHECK_EQ(T_LOAD(&a.allocations), after_first);
    for (i = 0; i < MANY; ++i)
        unload(&mods[i]);
    CHECK(ask(tm, mods[MANY - 1].probe) == FALSE); /* gone */
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* Targets in no module (delegate thunks, heap-allocated code): FALSE, and
   remembered like any other (a thousand of them: the table grows). */
TEST_CASE(test_targets_in_no_module, "modules/targets_in_no_module")
{
    static const char *const names[] = {"mod_000", NULL};
    counting_allocator a = {0};
    clrhost_task_manager *m;
    IHostTaskManager *tm = policy_manager(names, &a, &m);
    char *heap = (char *)malloc(16 * 1000);
    module listed = load("mod_000");
    long after_first = 0;
    int i, round;
    for (round = 0; round < 2; ++round) {
        for (i = 0; i < 1000; ++i)
            CHECK(ask(tm, (SIZE_T)(heap + 16 * i)) == FALSE);
        CHECK(ask(tm, listed.probe) == TRUE);
        CHECK(ask(tm, 0) == FALSE);
        if (round == 0)
            after_first = T_LOAD(&a.allocations);
    }
    CHECK_EQ(T_LOAD(&a.allocations), after_first); /* the second round found them all */
    unload(&listed);
    free(heap);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* Threads ask about listed and unlisted targets while another loads and
   unloads a module and the table grows under them (run under TSan). */
typedef struct asking {
    IHostTaskManager *tm;
    SIZE_T listed, unlisted;
    char *heap;
    long stop, wrong;
} asking;

static void asker(void *p)
{
    asking *s = (asking *)p;
    int i = 0;
    while (!T_LOAD(&s->stop)) {
        if (ask(s->tm, s->listed) != TRUE || ask(s->tm, s->unlisted) != FALSE ||
            ask(s->tm, (SIZE_T)(s->heap + 16 * (i++ % 4000))) != FALSE)
            T_INC(&s->wrong);
    }
}

TEST_CASE(test_asks_while_modules_change, "modules/asks_while_modules_change")
{
    static const char *const names[] = {"mod_001", NULL};
    counting_allocator a = {0};
    clrhost_task_manager *m;
    asking s;
    test_thread *t[3];
    module listed = load("mod_001"), unlisted = load("mod_002");
    int i;
    memset(&s, 0, sizeof s);
    s.tm = policy_manager(names, &a, &m);
    s.listed = listed.probe;
    s.unlisted = unlisted.probe;
    s.heap = (char *)malloc(16 * 4000);
    for (i = 0; i < 3; ++i)
        t[i] = test_thread_start(asker, &s);
    for (i = 0; i < 40; ++i) { /* the loader changes what is loaded meanwhile */
        module other = load("mod_003");
        test_sleep_ms(2);
        unload(&other);
    }
    T_STORE(&s.stop, 1);
    for (i = 0; i < 3; ++i)
        test_thread_join(t[i]);
    CHECK_EQ(T_LOAD(&s.wrong), 0);
    unload(&listed);
    unload(&unlisted);
    free(s.heap);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: module_policy DIRECTORY-OF-MODULES\n");
        return 2;
    }
    module_dir = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    return test_run_registered(0, NULL);
}
