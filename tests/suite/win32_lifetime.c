/* Where a thread's or the process's end meets the Windows loader (run under
   Wine; Windows only). Three checks, each against what a real host hits:

   detach   a DLL whose DLL_THREAD_DETACH enters the runtime
            (tests/suite/win32_detach_dll.c): the thread's exit callbacks have
            already run by then, so it must get no task, or its task would
            never end; a thread that had its task before still ends once.
   exit     a process whose main returns while adopted and created tasks
            are alive: it exits promptly and calls no ExitTask and no hook
            during shutdown (run as a child process, its output read back).
   unload   the implementation in a DLL (tests/suite/win32_impl_dll.c) that the
            host frees while threads it served still run: the module stays
            pinned, and their exit callbacks still find it (a child too: if
            it is not pinned, the child crashes).

   quantum  a DLL (tests/suite/win32_quantum_dll.c) that makes a manager
            with a quantum in its DllMain and releases it there, or in its
            DLL_PROCESS_DETACH at process exit: the release must not wait
            for a monitor thread that cannot run or is gone (children too:
            a release that waits hangs them, past their bound).

   Without arguments runs them all and ends with "N passed, N failed";
   `exit`, `unload`, `quantum_attach` and `quantum_exit` are the
   children's entry points. */
#define COBJMACROS
#include "../clr/harness.h"

#include <windows.h>
#include <stdlib.h>

#define THREADS 4

/* Unbuffered, so that a line written during ExitProcess is not lost. */
static void say(const char *text)
{
    DWORD written;
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text, (DWORD)strlen(text), &written, NULL);
}

/* ---- an ICLRTask that reports ExitTask ----------------------------------- */

static LONG exit_calls;

static HRESULT STDMETHODCALLTYPE rt_QueryInterface(ICLRTask *This, REFIID riid, void **ppv) { (void)This; (void)riid; *ppv = NULL; return E_NOINTERFACE; }
static ULONG STDMETHODCALLTYPE rt_AddRef(ICLRTask *This) { (void)This; return 2; }
static ULONG STDMETHODCALLTYPE rt_Release(ICLRTask *This) { (void)This; return 1; }
static HRESULT STDMETHODCALLTYPE rt_SwitchIn(ICLRTask *This, HANDLE h) { (void)This; (void)h; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_NoArgs(ICLRTask *This) { (void)This; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_GetMemStats(ICLRTask *This, COR_GC_THREAD_STATS *s) { (void)This; (void)s; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_Reset(ICLRTask *This, BOOL full) { (void)This; (void)full; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_ExitTask(ICLRTask *This)
{
    (void)This;
    InterlockedIncrement(&exit_calls);
    say("ExitTask\n");
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE rt_Bool(ICLRTask *This, BOOL *b) { (void)This; (void)b; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_LocksHeld(ICLRTask *This, SIZE_T *n) { (void)This; (void)n; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE rt_SetTaskIdentifier(ICLRTask *This, TASKID id) { (void)This; (void)id; return E_NOTIMPL; }
static ICLRTaskVtbl reporting_vtbl = {
    rt_QueryInterface, rt_AddRef, rt_Release, rt_SwitchIn, rt_NoArgs, rt_GetMemStats, rt_Reset,
    rt_ExitTask, rt_NoArgs, rt_NoArgs, rt_Bool, rt_NoArgs, rt_LocksHeld, rt_SetTaskIdentifier};
static ICLRTask reporting_clr_task = {&reporting_vtbl};

/* What the CLR does on a thread that enters the runtime: GetCurrentTask,
   SetCLRTask. Returns the task (not AddRef'd), or NULL if refused. */
static IHostTask *enter_runtime(IHostTaskManager *tm)
{
    IHostTask *task = NULL;
    if (tm->lpVtbl->GetCurrentTask(tm, &task) != S_OK || !task)
        return NULL;
    task->lpVtbl->SetCLRTask(task, &reporting_clr_task);
    task->lpVtbl->Release(task);
    return task;
}

/* ---- detach ------------------------------------------------------------------ */

typedef void (*detach_hook_fn)(void);
static IHostTaskManager *detach_tm;
static LONG detach_asks, detach_tasks;

static void on_thread_detach(void)
{
    IHostTask *task = (IHostTask *)(size_t)0xdeadbeef;
    if (detach_tm->lpVtbl->GetCurrentTask(detach_tm, &task) == S_OK) {
        InterlockedIncrement(&detach_asks);
        if (task) {
            InterlockedIncrement(&detach_tasks);
            task->lpVtbl->SetCLRTask(task, &reporting_clr_task);
            task->lpVtbl->Release(task);
        }
    }
}

static DWORD WINAPI plain_thread(LPVOID p) { (void)p; return 0; }

static DWORD WINAPI hosted_thread(LPVOID p)
{
    return enter_runtime((IHostTaskManager *)p) ? 0 : 1;
}

static void run_thread(LPTHREAD_START_ROUTINE fn, void *arg)
{
    HANDLE h = CreateThread(NULL, 0, fn, arg, 0, NULL);
    CHECK(h != NULL);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
}

TEST_CASE(test_detach, "win32/thread_first_seen_at_dll_thread_detach")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    clrhost_task_manager_stats st;
    HMODULE dll = LoadLibraryW(L"win32_detach_dll.dll");
    void (*set_hook)(detach_hook_fn);
    CHECK(dll != NULL);
    if (!dll)
        return;
    set_hook = (void (*)(detach_hook_fn))(void (*)(void))GetProcAddress(dll, "detach_hook_set");
    CHECK(set_hook != NULL);
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    detach_tm = clrhost_task_manager_iface(m);
    set_hook(on_thread_detach);
    exit_calls = 0;
    run_thread(plain_thread, NULL); /* first asks from its DLL_THREAD_DETACH */
    CHECK_EQ(detach_asks, 1);
    CHECK_EQ(detach_tasks, 0); /* refused: its exit callback has already run */
    run_thread(hosted_thread, detach_tm); /* had its task before */
    CHECK_EQ(detach_asks, 2);
    CHECK_EQ(detach_tasks, 0); /* an ending thread gets no new task */
    CHECK_EQ(exit_calls, 1);   /* the hosted one's, once */
    set_hook(NULL);
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.tasks_adopted, 1);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(a.outstanding, 0);
    FreeLibrary(dll);
}

/* ---- exit (child) -------------------------------------------------------------- */

static HANDLE parked_ready;

static void on_task_end(void *user, clrhost_task *task)
{
    (void)user;
    (void)task;
    say("task_end\n");
}

static DWORD WINAPI parked_created(LPVOID p)
{
    IHostTaskManager *tm = (IHostTaskManager *)p;
    if (enter_runtime(tm))
        ReleaseSemaphore(parked_ready, 1, NULL);
    Sleep(INFINITE);
    return 0;
}

static DWORD WINAPI parked_foreign(LPVOID p) { return parked_created(p); }

static int child_exit(void)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostTask *created = NULL;
    HANDLE foreign;
    memset(&cfg, 0, sizeof cfg);
    cfg.hooks.task_end = on_task_end;
    if (clrhost_task_manager_create(&cfg, &m) != S_OK)
        return 3;
    tm = clrhost_task_manager_iface(m);
    parked_ready = CreateSemaphoreW(NULL, 0, 2, NULL);
    if (!enter_runtime(tm)) /* the main thread, as ICLRRuntimeHost::Start's */
        return 4;
    if (tm->lpVtbl->CreateTask(tm, 0, parked_created, tm, &created) != S_OK ||
        created->lpVtbl->Start(created) != S_OK)
        return 5;
    foreign = CreateThread(NULL, 0, parked_foreign, tm, 0, NULL);
    if (!foreign)
        return 6;
    WaitForSingleObject(parked_ready, INFINITE);
    WaitForSingleObject(parked_ready, INFINITE);
    say("main returns\n");
    return 0; /* the CRT calls ExitProcess, with three live tasks */
}

/* ---- unload (child) ------------------------------------------------------------- */

typedef HRESULT (*create_fn)(const clrhost_task_config *, clrhost_task_manager **);
typedef IHostTaskManager *(*iface_fn)(clrhost_task_manager *);
static HANDLE go;

static DWORD WINAPI served_thread(LPVOID p)
{
    if (enter_runtime((IHostTaskManager *)p))
        ReleaseSemaphore(parked_ready, 1, NULL);
    WaitForSingleObject(go, INFINITE);
    return 0; /* the exit callback is in the freed DLL's code */
}

static int child_unload(void)
{
    HMODULE dll = LoadLibraryW(L"win32_impl_dll.dll");
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    HANDLE threads[THREADS];
    char line[64];
    create_fn create;
    iface_fn iface;
    int i;
    if (!dll)
        return 3;
    create = (create_fn)(void (*)(void))GetProcAddress(dll, "clrhost_task_manager_create");
    iface = (iface_fn)(void (*)(void))GetProcAddress(dll, "clrhost_task_manager_iface");
    if (!create || !iface || create(NULL, &m) != S_OK)
        return 4;
    tm = iface(m);
    parked_ready = CreateSemaphoreW(NULL, 0, THREADS, NULL);
    go = CreateEventW(NULL, TRUE, FALSE, NULL);
    for (i = 0; i < THREADS; ++i)
        threads[i] = CreateThread(NULL, 0, served_thread, tm, 0, NULL);
    for (i = 0; i < THREADS; ++i)
        WaitForSingleObject(parked_ready, INFINITE);
    FreeLibrary(dll); /* as a host frees its modules at exit */
    if (GetModuleHandleW(L"win32_impl_dll.dll") != dll)
        say("the implementation's DLL was unloaded\n");
    SetEvent(go);
    WaitForMultipleObjects(THREADS, threads, TRUE, INFINITE);
    sprintf(line, "ExitTask %ld of %d\n", (long)exit_calls, THREADS);
    say(line);
    return exit_calls == THREADS ? 0 : 1;
}

/* ---- a manager with a quantum, released in a DllMain ---------------------------- */

static int child_quantum(const WCHAR *mode)
{
    HMODULE dll;
    SetEnvironmentVariableW(L"WIN32_QUANTUM_DLL", mode);
    dll = LoadLibraryW(L"win32_quantum_dll.dll");
    if (!dll)
        return 3;
    say("loaded\n");
    Sleep(100); /* with `exit`: the monitor thread has most likely run by now */
    say("main returns\n");
    return 0;
}

/* ---- the parent: runs a child, reads what it wrote ----------------------------- */

/* Runs this program with `mode`; *exit_code and its output (up to cap - 1
   bytes) come back. Returns 0 if it did not end within 30 s (times the
   slow-machine factor). */
static int run_child(const char *mode, DWORD *exit_code, char *out, DWORD cap)
{
    WCHAR self[MAX_PATH], command[MAX_PATH + 32];
    SECURITY_ATTRIBUTES sa;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE read_end, write_end;
    DWORD got, total = 0;
    int ended;
    GetModuleFileNameW(NULL, self, MAX_PATH);
    swprintf(command, sizeof command / sizeof command[0], L"\"%ls\" %hs", self, mode);
    memset(&sa, 0, sizeof sa);
    sa.nLength = sizeof sa;
    sa.bInheritHandle = TRUE;
    if (!CreatePipe(&read_end, &write_end, &sa, 0))
        return 0;
    SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = write_end;
    si.hStdError = write_end;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        CloseHandle(read_end);
        CloseHandle(write_end);
        return 0;
    }
    CloseHandle(write_end);
    ended = WaitForSingleObject(pi.hProcess, 30000u * test_slow()) == WAIT_OBJECT_0;
    if (!ended)
        TerminateProcess(pi.hProcess, 99);
    while (total + 1 < cap && ReadFile(read_end, out + total, cap - 1 - total, &got, NULL) && got)
        total += got;
    out[total] = 0;
    GetExitCodeProcess(pi.hProcess, exit_code);
    CloseHandle(read_end);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return ended;
}

TEST_CASE(test_exit_with_live_tasks, "win32/process_exits_with_live_tasks")
{
    char out[4096];
    DWORD code = 0;
    const char *after;
    CHECK(run_child("exit", &code, out, sizeof out)); /* promptly */
    CHECK_EQ(code, 0);
    after = strstr(out, "main returns");
    CHECK(after != NULL);
    CHECK(strstr(out, "ExitTask") == NULL); /* none, and none inside ExitProcess */
    CHECK(strstr(out, "task_end") == NULL);
    if (!after || strstr(out, "ExitTask") || strstr(out, "task_end"))
        printf("     child said:\n%s", out);
}

TEST_CASE(test_unload_with_threads_alive, "win32/implementation_dll_freed_while_threads_run")
{
    char out[4096];
    DWORD code = 0;
    CHECK(run_child("unload", &code, out, sizeof out));
    CHECK_EQ(code, 0);
    CHECK(strstr(out, "ExitTask 4 of 4") != NULL);
    CHECK(strstr(out, "unloaded") == NULL); /* pinned */
    if (code != 0 || !strstr(out, "ExitTask 4 of 4"))
        printf("     child exited with 0x%08lX and said:\n%s", (unsigned long)code, out);
}

static void check_quantum_child(const char *mode)
{
    char out[4096];
    DWORD code = 0;
    CHECK(run_child(mode, &code, out, sizeof out));
    CHECK_EQ(code, 0);
    CHECK(strstr(out, "main returns") != NULL);
    if (code != 0 || !strstr(out, "main returns"))
        printf("     child exited with 0x%08lX and said:\n%s", (unsigned long)code, out);
}

TEST_CASE(test_quantum_released_in_attach, "win32/quantum_manager_released_in_dllmain")
{
    check_quantum_child("quantum_attach");
}

TEST_CASE(test_quantum_released_at_exit, "win32/quantum_manager_released_at_process_exit")
{
    check_quantum_child("quantum_exit");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return child_exit();
    if (argc > 1 && strcmp(argv[1], "unload") == 0)
        return child_unload();
    if (argc > 1 && strcmp(argv[1], "quantum_attach") == 0)
        return child_quantum(L"attach");
    if (argc > 1 && strcmp(argv[1], "quantum_exit") == 0)
        return child_quantum(L"exit");
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    return test_run_registered(0, NULL);
}
