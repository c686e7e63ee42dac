/* The module policy (hook_modules) against modules that come and go, many
   modules, and targets in none, natively (dlopen) and under Wine
   (LoadLibrary); and clrhost_task_describe_target against the modules a
   report may name: long export names, long file names, damaged export
   tables, modules unloaded while they are described. Its modules are
   built by make test (tests/suite/build_modules.sh) into the directory
   given as the only argument:
     fixed_a, fixed_b   linked at the same fixed image base (Windows), so
                        that B is loaded where A was
     mod_000 ... mod_099
                        copies of tests/suite/module_policy_lib.c
     names              tests/suite/module_names_lib.c
   Ends with "N passed, N failed". */
#include "../clr/harness.h"
#include "module_names.h"

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

/* Loads module `name` of the directory; probe is the address of its
   export `symbol`. */
static module load_export(const char *name, const char *symbol)
{
    char path[1024];
    module m;
    sprintf(path, "%s/%s%s", module_dir, name, MODULE_EXT);
#ifdef _WIN32
    m.handle = (void *)LoadLibraryA(path);
    m.probe = m.handle ? (SIZE_T)GetProcAddress((HMODULE)m.handle, symbol) : 0;
#else
    m.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    m.probe = m.handle ? (SIZE_T)dlsym(m.handle, symbol) : 0;
#endif
    if (!m.probe)
        fprintf(stderr, "could not load %s\n", path);
    CHECK(m.probe != 0);
    return m;
}

static module load(const char *name) { return load_export(name, "module_probe"); }

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

/* ---- names: clrhost_task_describe_target against modules ------------------ */

/* Checks one description: the name it makes in a buffer that holds it, its
   whole length, and the same name cut in a buffer that does not. */
static void check_described(SIZE_T target, const char *expected)
{
    char name[1024], small[16];
    size_t length = strlen(expected);
    CHECK_EQ(clrhost_task_describe_target(target, name, sizeof name), length);
    if (strcmp(name, expected) != 0)
        printf("     described as \"%s\",\n     expected \"%s\"\n", name, expected);
    CHECK(strcmp(name, expected) == 0);
    CHECK_EQ(clrhost_task_describe_target(target, small, sizeof small), length);
    CHECK(strncmp(small, expected, sizeof small - 1) == 0 && strlen(small) == sizeof small - 1);
}

/* A 305-character export, named whole, and its length returned whole as
   snprintf does, whatever the buffer. */
TEST_CASE(test_long_export_name, "names/long_export_name")
{
    char expected[512];
    module names = load_export("names", NAMES_LONG_EXPORT_STRING);
    CHECK_EQ(strlen(NAMES_LONG_EXPORT_STRING), NAMES_LONG_EXPORT_LENGTH);
    sprintf(expected, "names%s!%s", MODULE_EXT, NAMES_LONG_EXPORT_STRING);
    check_described(names.probe, expected);
    sprintf(expected, "names%s!%s+0x2", MODULE_EXT, NAMES_LONG_EXPORT_STRING);
    check_described(names.probe + 2, expected); /* inside it (it is 4 bytes long) */
    unload(&names);
}

/* A module loaded and unloaded over and over while another thread
   describes an address in it: each description is of the module or of
   an address in none, and never a fault (the names a loader gives out
   live only as long as the module). */
typedef struct unloading {
    SIZE_T target; /* the export's address while loaded, else 0 */
    long stop, described, in_module, in_none, wrong;
} unloading;

static void describer(void *p)
{
    unloading *u = (unloading *)p;
    char name[256], module_prefix[32];
    sprintf(module_prefix, "names%s!names_probe", MODULE_EXT);
    while (!T_LOAD(&u->stop)) {
        SIZE_T target = (SIZE_T)T_LOAD(&u->target);
        if (!target) {
            test_yield();
            continue;
        }
        (void)clrhost_task_describe_target(target, name, sizeof name);
        T_INC(&u->described);
        if (strcmp(name, module_prefix) == 0)
            T_INC(&u->in_module);
        else if (strncmp(name, "0x", 2) == 0)
            T_INC(&u->in_none);
        else {
            printf("     described as \"%s\"\n", name);
            T_INC(&u->wrong);
        }
    }
}

TEST_CASE(test_described_while_unloaded, "names/described_while_unloaded")
{
    unloading u;
    test_thread *t;
    int i;
    memset(&u, 0, sizeof u);
    t = test_thread_start(describer, &u);
    for (i = 0; i < 300; ++i) {
        module names = load_export("names", "names_probe");
        T_STORE(&u.target, names.probe);
        test_yield();
        T_STORE(&u.target, 0);
        unload(&names);
    }
    T_STORE(&u.stop, 1);
    test_thread_join(t);
    printf("     (%ld descriptions: %ld in the module, %ld in none)\n", T_LOAD(&u.described), T_LOAD(&u.in_module),
           T_LOAD(&u.in_none));
    CHECK_EQ(T_LOAD(&u.wrong), 0);
}

#ifdef _WIN32

/* names.dll's bytes, read whole; NULL if it cannot be. */
static BYTE *read_names_dll(long *size)
{
    char path[1024];
    BYTE *bytes;
    FILE *f;
    sprintf(path, "%s/names.dll", module_dir);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = (BYTE *)malloc((size_t)*size);
    if (bytes && fread(bytes, 1, (size_t)*size, f) != (size_t)*size) {
        free(bytes);
        bytes = NULL;
    }
    fclose(f);
    return bytes;
}

/* Where the image's rva is in its file; NULL if in no section's data. */
static BYTE *file_at(BYTE *file, IMAGE_NT_HEADERS *nt, DWORD rva)
{
    IMAGE_SECTION_HEADER *section = IMAGE_FIRST_SECTION(nt);
    WORD i;
    for (i = 0; i < nt->FileHeader.NumberOfSections; ++i, ++section)
        if (rva >= section->VirtualAddress && rva - section->VirtualAddress < section->SizeOfRawData)
            return file + section->PointerToRawData + (rva - section->VirtualAddress);
    return NULL;
}

/* Ways to damage an export table that the loader accepts (it reads a
   table only to resolve an import by it, which nothing does here). */
enum { BAD_DIRECTORY, BAD_NAMES, BAD_NAME_COUNT, BAD_ORDINALS, BAD_FUNCTIONS, BAD_FUNCTION_COUNT, BAD_NAME_TEXT,
       BAD_CASES };
static const char *const bad_case_names[BAD_CASES] = {
    "the directory out of the image", "AddressOfNames 0x7ff00000", "NumberOfNames 0x01000000",
    "AddressOfNameOrdinals 0x7ff00000", "AddressOfFunctions 0x7ff00000", "NumberOfFunctions 0x01000000",
    "every name's rva 0x7ff00000"};

static void damage(BYTE *file, int how)
{
    IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(file + ((IMAGE_DOS_HEADER *)file)->e_lfanew);
    IMAGE_DATA_DIRECTORY *dir = &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    IMAGE_EXPORT_DIRECTORY *exports = (IMAGE_EXPORT_DIRECTORY *)file_at(file, nt, dir->VirtualAddress);
    DWORD *names = (DWORD *)file_at(file, nt, exports->AddressOfNames), i;
    switch (how) {
    case BAD_DIRECTORY: dir->VirtualAddress = 0x7ff00000u; break;
    case BAD_NAMES: exports->AddressOfNames = 0x7ff00000u; break;
    case BAD_NAME_COUNT: exports->NumberOfNames = 0x01000000u; break;
    case BAD_ORDINALS: exports->AddressOfNameOrdinals = 0x7ff00000u; break;
    case BAD_FUNCTIONS: exports->AddressOfFunctions = 0x7ff00000u; break;
    case BAD_FUNCTION_COUNT: exports->NumberOfFunctions = 0x01000000u; break;
    default:
        for (i = 0; i < exports->NumberOfNames; ++i)
            names[i] = 0x7ff00000u;
    }
}

/* A module whose export table is damaged is named by its file and the
   offset from its base: never a fault, never a wrong export. */
TEST_CASE(test_damaged_export_tables, "names/damaged_export_tables")
{
    module names = load_export("names", "names_probe");
    SIZE_T probe_rva = names.probe - (SIZE_T)names.handle;
    char path[1024], file_name[64], expected[128];
    long size = 0;
    int how;
    BYTE *original = read_names_dll(&size), *copy = original ? (BYTE *)malloc((size_t)size) : NULL;
    CHECK(original && copy);
    check_described(names.probe, "names.dll!names_probe");
    unload(&names);
    for (how = 0; copy && how < BAD_CASES; ++how) {
        HMODULE h;
        FILE *f;
        memcpy(copy, original, (size_t)size);
        damage(copy, how);
        sprintf(file_name, "names_bad_%d.dll", how);
        sprintf(path, "%s/%s", module_dir, file_name);
        f = fopen(path, "wb");
        CHECK(f && fwrite(copy, 1, (size_t)size, f) == (size_t)size);
        if (f)
            fclose(f);
        h = LoadLibraryA(path);
        if (!h) {
            printf("     the loader refused %s (%s)\n", file_name, bad_case_names[how]);
            continue;
        }
        printf("     (%s: %s)\n", file_name, bad_case_names[how]);
        sprintf(expected, "%s+0x%llx", file_name, (unsigned long long)probe_rva);
        check_described((SIZE_T)h + probe_rva, expected);
        FreeLibrary(h);
        DeleteFileA(path);
    }
    free(copy);
    free(original);
}

/* A module whose file name is longer than 259 bytes in UTF-8 (90 CJK
   characters, 3 bytes each) is named, not taken for an address in none. */
TEST_CASE(test_long_file_name, "names/long_file_name")
{
    WCHAR wide[1024];
    char name[400], expected[512];
    int n = MultiByteToWideChar(CP_UTF8, 0, module_dir, -1, wide, 900), i;
    HMODULE h;
    WCHAR *file;
    WCHAR source[1024];
    CHECK(n > 0);
    MultiByteToWideChar(CP_UTF8, 0, module_dir, -1, source, 900);
    wcscat(source, L"/names.dll");
    wcscat(wide, L"/");
    file = wide + wcslen(wide);
    for (i = 0; i < 90; ++i)
        file[i] = (WCHAR)(0x4e00 + i); /* CJK unified ideographs */
    wcscpy(file + 90, L".dll");
    CHECK(WideCharToMultiByte(CP_UTF8, 0, file, -1, name, sizeof name, NULL, NULL) > 0);
    CHECK(strlen(name) == 90 * 3 + 4);
    CHECK(CopyFileW(source, wide, FALSE));
    h = LoadLibraryW(wide);
    CHECK(h != NULL);
    if (h) {
        sprintf(expected, "%s!names_probe", name);
        check_described((SIZE_T)GetProcAddress(h, "names_probe"), expected);
        FreeLibrary(h);
    }
    DeleteFileW(wide);
}

#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: module_policy DIRECTORY-OF-MODULES [TEST-NAME-PREFIX...]\n");
        return 2;
    }
    module_dir = argv[1];
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    return test_run_registered(argc - 2, argv + 2);
}
