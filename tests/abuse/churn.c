/* Thread churn: N tasks created, started, joined and released through the
   CLR driver, and N foreign threads adopted and ended, eight at a time.
   Afterwards ExitTask has been called exactly once per task (each had its
   CLR task set), no task is live, the allocator is back where it started,
   and on Windows so is the process's handle count.
     churn [N]   (default 10000) */
#include "../clr/clr_driver.h"

#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
/* Handles, counted two ways: GetProcessHandleCount (Wine 8 answers 0, with
   success), and by asking GetHandleInformation about every handle value
   up to 0x40000, which Wine answers too. */
typedef struct handles {
    DWORD reported, probed;
} handles;

static handles count_handles(void)
{
    handles h;
    ULONG_PTR v;
    DWORD flags;
    h.reported = 0;
    GetProcessHandleCount(GetCurrentProcess(), &h.reported);
    h.probed = 0;
    for (v = 4; v < 0x40000; v += 4)
        if (GetHandleInformation((HANDLE)v, &flags))
            ++h.probed;
    return h;
}
#endif

#define BATCH 8

typedef struct foreign {
    clr_sim *clr;
    fake_clr_task *clr_thread;
} foreign;

static void quiet(void *p) { (void)p; }

static void foreign_thread(void *p)
{
    foreign *f = (foreign *)p;
    CHECK_HR(clr_thread_enter(f->clr, &f->clr_thread), S_OK);
    CHECK_HR(clr_pinvoke(f->clr, (SIZE_T)&quiet, quiet, NULL), S_OK);
}

static void created_body(void *p)
{
    clr_sim *clr = (clr_sim *)p;
    CHECK_HR(clr_pinvoke(clr, (SIZE_T)&quiet, quiet, NULL), S_OK);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000, done, exits = 0;
    counting_allocator a = {0};
    static const clr_host_probe probe = CLR_PROBE_OF_THIS_HEADER;
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostControl *hc;
    clr_sim clr;
    clrhost_task_manager_stats st;
    long baseline;
    unsigned long long t0 = test_now_ms();
#ifdef _WIN32
    handles handles_before, handles_after;
#endif
    test_harness_init();
    clr_probe = &probe; /* this program holds the implementation */
    test_config(&cfg, &a);
    cfg.flags = CLRHOST_TASK_HOOK_ALL_CALLS;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(m, NULL, &hc), S_OK);
    clr_init(&clr, CLR_X64);
    CHECK_HR(clr_set_host_control(&clr, hc), S_OK);
    baseline = T_LOAD(&a.outstanding);
#ifdef _WIN32
    handles_before = count_handles();
#endif
    for (done = 0; done < n; done += BATCH) {
        foreign f[BATCH];
        test_thread *t[BATCH];
        IHostTask *join[BATCH];
        fake_clr_task *created[BATCH];
        int i, k = n - done < BATCH ? (int)(n - done) : BATCH;
        for (i = 0; i < k; ++i) {
            f[i].clr = &clr;
            f[i].clr_thread = NULL;
            t[i] = test_thread_start(foreign_thread, &f[i]);
            CHECK_HR(clr_create_thread(&clr, CLR_THREAD_POOL, 0, created_body, &clr, &join[i], &created[i]), S_OK);
        }
        for (i = 0; i < k; ++i) {
            test_thread_join(t[i]);
            CHECK_HR(join[i]->lpVtbl->Join(join[i], INFINITE, WAIT_NOTINDEADLOCK), S_OK);
            CHECK_EQ(join[i]->lpVtbl->Release(join[i]), 0);
            CHECK_EQ(T_LOAD(&f[i].clr_thread->exit_calls), 1);
            CHECK_EQ(T_LOAD(&created[i]->exit_calls), 1);
            exits += T_LOAD(&f[i].clr_thread->exit_calls) + T_LOAD(&created[i]->exit_calls);
            fake_clr_task_free(f[i].clr_thread);
            fake_clr_task_free(created[i]);
        }
    }
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.tasks_created, n);
    CHECK_EQ(st.tasks_adopted, n);
    CHECK_EQ(st.tasks_ended, 2 * n);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(T_LOAD(&a.outstanding), baseline);
#ifdef _WIN32
    handles_after = count_handles();
    CHECK_EQ(handles_after.reported, handles_before.reported);
    CHECK_EQ(handles_after.probed, handles_before.probed);
#endif
    clr_shutdown(&clr);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
    printf("churn: %ld tasks created, started, joined and released; %ld foreign threads adopted and ended;\n"
           "       %ld ExitTask calls; allocator back to %ld blocks",
           n, n, exits, baseline);
#ifdef _WIN32
    printf(";\n       handles before/after: %lu/%lu by GetProcessHandleCount, %lu/%lu by probing",
           (unsigned long)handles_before.reported, (unsigned long)handles_after.reported,
           (unsigned long)handles_before.probed, (unsigned long)handles_after.probed);
#endif
    printf("; %.1f s\n", (double)(test_now_ms() - t0) / 1000.0);
    printf("%d passed, %d failed\n", test_failures() ? 0 : 1, test_failures() ? 1 : 0);
    return test_failures() ? 1 : 0;
}
