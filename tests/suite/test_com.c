/* COM contract of every object: argument checks, out pointers written on
   every path (poisoned ones come back NULL on failure), QueryInterface
   rules and identity, reference counts, final Release() returning 0, and a
   counting allocator proving nothing is left. */
#include "../clr/clr_driver.h"

static void check_no_leak(const counting_allocator *a)
{
    CHECK_EQ(T_LOAD(&a->outstanding), 0);
    CHECK_EQ(T_LOAD(&a->bytes), 0);
}

TEST_CASE(test_manager_create_arguments, "com/manager_create_arguments")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m = (clrhost_task_manager *)POISON;

    CHECK_HR(clrhost_task_manager_create(NULL, NULL), E_POINTER);

    test_config(&cfg, &a);
    cfg.free_fn = NULL; /* an allocator without its free */
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_INVALIDARG);
    CHECK(m == NULL);

    test_config(&cfg, &a);
    a.fail_at = 1;
    m = (clrhost_task_manager *)POISON;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_OUTOFMEMORY);
    CHECK(m == NULL);

    a.fail_at = 0;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK(m != NULL);
    CHECK(clrhost_task_manager_iface(m) != NULL);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    check_no_leak(&a);

    m = (clrhost_task_manager *)POISON; /* NULL config: all defaults, malloc */
    CHECK_HR(clrhost_task_manager_create(NULL, &m), S_OK);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
}

TEST_CASE(test_manager_module_list_copied, "com/manager_module_list_copied")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    char name[32];
    const char *names[2];
    BOOL hooked = FALSE;
    IHostTaskManager *tm;
    strcpy(name, test_system_module());
    names[0] = name;
    names[1] = NULL;
    test_config(&cfg, &a);
    cfg.hook_modules = names;
    a.fail_at = 2; /* the manager itself succeeds, the copy of the names fails */
    m = (clrhost_task_manager *)POISON;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_OUTOFMEMORY);
    CHECK(m == NULL);
    check_no_leak(&a);
    a.fail_at = 0;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    memset(name, 'x', sizeof name - 1); /* the caller's strings may go away */
    tm = clrhost_task_manager_iface(m);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, test_system_function(), &hooked), S_OK);
    CHECK(hooked == TRUE);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    check_no_leak(&a);
}

TEST_CASE(test_manager_query_interface, "com/manager_query_interface")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    void *p;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    tm = clrhost_task_manager_iface(m);

    CHECK_HR(tm->lpVtbl->QueryInterface(tm, TEST_IID(test_IID_IHostTaskManager), NULL), E_POINTER);
    p = POISON;
    CHECK_HR(tm->lpVtbl->QueryInterface(tm, TEST_IID(test_IID_IHostTask), &p), E_NOINTERFACE);
    CHECK(p == NULL);
    p = POISON;
    CHECK_HR(tm->lpVtbl->QueryInterface(tm, TEST_IID(test_IID_IHostControl), &p), E_NOINTERFACE);
    CHECK(p == NULL);
    p = NULL;
    CHECK_HR(tm->lpVtbl->QueryInterface(tm, TEST_IID(test_IID_IUnknown), &p), S_OK);
    CHECK(p == (void *)tm); /* identity: IUnknown is the same pointer */
    CHECK_EQ(tm->lpVtbl->Release(tm), 1);
    p = NULL;
    CHECK_HR(tm->lpVtbl->QueryInterface(tm, TEST_IID(test_IID_IHostTaskManager), &p), S_OK);
    CHECK(p == (void *)tm);
    CHECK_EQ(tm->lpVtbl->AddRef(tm), 3);
    CHECK_EQ(tm->lpVtbl->Release(tm), 2);
    CHECK_EQ(tm->lpVtbl->Release(tm), 1);
    CHECK_EQ(clrhost_task_manager_addref(m), 2);
    CHECK_EQ(clrhost_task_manager_release(m), 1);
    CHECK_EQ(tm->lpVtbl->Release(tm), 0); /* the last reference, through COM */
    check_no_leak(&a);
}

TEST_CASE(test_manager_argument_checks, "com/manager_argument_checks")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostTask *task;
    ULONG guarantee;
    fake_clr_task_manager clr_tm;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    tm = clrhost_task_manager_iface(m);

    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, NULL), E_POINTER);
    CHECK_HR(tm->lpVtbl->CreateTask(tm, 0, NULL, NULL, NULL), E_POINTER);
    task = (IHostTask *)POISON;
    CHECK_HR(tm->lpVtbl->CreateTask(tm, 0, NULL, NULL, &task), E_POINTER);
    CHECK(task == NULL);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, 0x1234, NULL), E_POINTER);
    CHECK_HR(tm->lpVtbl->GetStackGuarantee(tm, NULL), E_POINTER);
    guarantee = 0xdeadbeef;
    CHECK_HR(tm->lpVtbl->GetStackGuarantee(tm, &guarantee), E_NOTIMPL);
    CHECK_EQ(guarantee, 0);
    CHECK_HR(tm->lpVtbl->SetStackGuarantee(tm, 65536), E_NOTIMPL);
    CHECK_HR(tm->lpVtbl->SetUILocale(tm, 0x0409), S_OK);
    CHECK_HR(tm->lpVtbl->BeginThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->BeginThreadAffinity(tm), S_OK); /* nested */
    CHECK_HR(tm->lpVtbl->EndThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EndThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->SwitchToTask(tm, 0), S_OK);
    /* No task on this thread: delay-abort has nothing to apply to. */
    CHECK_HR(tm->lpVtbl->BeginDelayAbort(tm), HOST_E_INVALIDOPERATION);

    /* SetCLRTaskManager keeps a reference, drops it on replacement and at
       destruction. */
    fake_clr_task_manager_init(&clr_tm);
    CHECK_HR(tm->lpVtbl->SetCLRTaskManager(tm, &clr_tm.iface), S_OK);
    CHECK_EQ(T_LOAD(&clr_tm.refs), 1);
    CHECK_HR(tm->lpVtbl->SetCLRTaskManager(tm, NULL), S_OK);
    CHECK_EQ(T_LOAD(&clr_tm.refs), 0);
    CHECK_HR(tm->lpVtbl->SetCLRTaskManager(tm, &clr_tm.iface), S_OK);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&clr_tm.refs), 0);
    check_no_leak(&a);
}

typedef struct task_com_ctx {
    clrhost_task_manager *m;
    fake_clr_task_manager clr_tm;
} task_com_ctx;

static void task_com_body(void *p)
{
    task_com_ctx *c = (task_com_ctx *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(c->m);
    IHostTask *t1 = (IHostTask *)POISON, *t2 = (IHostTask *)POISON;
    void *q;
    int priority = 12345;
    clrhost_task *task;

    CHECK(clrhost_task_current(c->m) == NULL); /* looking does not adopt */
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &t1), S_OK);
    CHECK(t1 != NULL && t1 != (IHostTask *)POISON);
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &t2), S_OK);
    CHECK(t1 == t2); /* one task per thread */
    /* registry 1 + two GetCurrentTask references */
    CHECK_EQ(t1->lpVtbl->AddRef(t1), 4);
    CHECK_EQ(t1->lpVtbl->Release(t1), 3);
    CHECK_EQ(t2->lpVtbl->Release(t2), 2);

    task = clrhost_task_current(c->m);
    CHECK(task != NULL);
    CHECK(clrhost_task_iface(task) == t1);
    CHECK(clrhost_task_from_iface(t1) == task);
    CHECK(clrhost_task_from_iface((IHostTask *)(void *)&c->clr_tm.iface) == NULL);
    CHECK(clrhost_task_from_iface(NULL) == NULL);
    CHECK(clrhost_task_manager_of(task) == c->m);
    CHECK(clrhost_task_is_adopted(task) == TRUE);
    CHECK_EQ(clrhost_task_thread_id(task), test_thread_id());
    CHECK_EQ(clrhost_task_depth(task), 0);
    CHECK(clrhost_task_get_user(task) == NULL);
    clrhost_task_set_user(task, &priority);
    CHECK(clrhost_task_get_user(task) == &priority);

    CHECK_HR(t1->lpVtbl->QueryInterface(t1, TEST_IID(test_IID_IHostTask), NULL), E_POINTER);
    q = POISON;
    CHECK_HR(t1->lpVtbl->QueryInterface(t1, TEST_IID(test_IID_IHostTaskManager), &q), E_NOINTERFACE);
    CHECK(q == NULL);
    q = NULL;
    CHECK_HR(t1->lpVtbl->QueryInterface(t1, TEST_IID(test_IID_IUnknown), &q), S_OK);
    CHECK(q == (void *)t1);
    CHECK_EQ(((IUnknown *)q)->lpVtbl->Release((IUnknown *)q), 2);
    q = NULL;
    CHECK_HR(t1->lpVtbl->QueryInterface(t1, TEST_IID(test_IID_IHostTask), &q), S_OK);
    CHECK(q == (void *)t1);
    CHECK_EQ(t1->lpVtbl->Release(t1), 2);

    CHECK_HR(t1->lpVtbl->GetPriority(t1, NULL), E_POINTER);
    CHECK_HR(t1->lpVtbl->GetPriority(t1, &priority), S_OK);
    CHECK_EQ(priority, THREAD_PRIORITY_NORMAL);
    CHECK_HR(t1->lpVtbl->Start(t1), HOST_E_INVALIDOPERATION); /* an adopted thread runs already */
    CHECK_HR(t1->lpVtbl->SetCLRTask(t1, NULL), S_OK);
    CHECK_HR(t1->lpVtbl->Alert(t1), S_OK);

    /* Delay-abort on a thread with a task: the documented pairing. */
    CHECK_HR(tm->lpVtbl->BeginDelayAbort(tm), S_OK);
    CHECK_HR(tm->lpVtbl->BeginDelayAbort(tm), E_UNEXPECTED);
    CHECK_HR(tm->lpVtbl->EndDelayAbort(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EndDelayAbort(tm), E_UNEXPECTED);

    CHECK_EQ(t1->lpVtbl->Release(t1), 1); /* only the thread's own reference is left */
}

TEST_CASE(test_task_query_interface_and_references, "com/task_query_interface_and_references")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    task_com_ctx c;
    clrhost_task_manager_stats st;
    test_config(&cfg, &a);
    fake_clr_task_manager_init(&c.clr_tm);
    CHECK_HR(clrhost_task_manager_create(&cfg, &c.m), S_OK);
    test_run_on_thread(task_com_body, &c);
    CHECK_HR(clrhost_task_manager_get_stats(c.m, &st), S_OK);
    CHECK_EQ(st.tasks_adopted, 1);
    CHECK_EQ(st.tasks_ended, 1);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(clrhost_task_manager_release(c.m), 0);
    check_no_leak(&a);
}

TEST_CASE(test_host_control_create_and_query, "com/host_control_create_and_query")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostControl *hc = (IHostControl *)POISON;
    void *p;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);

    CHECK_HR(clrhost_task_host_control_create(m, NULL, NULL), E_POINTER);
    CHECK_HR(clrhost_task_host_control_create(NULL, NULL, &hc), E_POINTER);
    CHECK(hc == NULL);
    a.fail_at = a.calls + 1;
    hc = (IHostControl *)POISON;
    CHECK_HR(clrhost_task_host_control_create(m, NULL, &hc), E_OUTOFMEMORY);
    CHECK(hc == NULL);
    a.fail_at = 0;

    CHECK_HR(clrhost_task_host_control_create(m, NULL, &hc), S_OK);
    CHECK_HR(hc->lpVtbl->QueryInterface(hc, TEST_IID(test_IID_IHostControl), NULL), E_POINTER);
    p = POISON;
    CHECK_HR(hc->lpVtbl->QueryInterface(hc, TEST_IID(test_IID_IHostTaskManager), &p), E_NOINTERFACE);
    CHECK(p == NULL);
    p = NULL;
    CHECK_HR(hc->lpVtbl->QueryInterface(hc, TEST_IID(test_IID_IUnknown), &p), S_OK);
    CHECK(p == (void *)hc);
    CHECK_EQ(hc->lpVtbl->Release(hc), 1);
    p = NULL;
    CHECK_HR(hc->lpVtbl->QueryInterface(hc, TEST_IID(test_IID_IHostControl), &p), S_OK);
    CHECK(p == (void *)hc);
    CHECK_EQ(hc->lpVtbl->Release(hc), 1);

    /* The host control keeps the manager alive. */
    CHECK_EQ(clrhost_task_manager_release(m), 1);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    check_no_leak(&a);
}

TEST_CASE(test_host_control_get_host_manager, "com/host_control_get_host_manager")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostControl *hc, *bare;
    fake_host_control inner;
    void *p;
    test_config(&cfg, &a);
    fake_host_control_init(&inner);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(m, &inner.iface, &hc), S_OK);
    CHECK_EQ(T_LOAD(&inner.refs), 1);
    CHECK_HR(clrhost_task_host_control_create(m, NULL, &bare), S_OK);

    CHECK_HR(hc->lpVtbl->GetHostManager(hc, TEST_IID(test_IID_IHostTaskManager), NULL), E_POINTER);
    p = NULL;
    CHECK_HR(hc->lpVtbl->GetHostManager(hc, TEST_IID(test_IID_IHostTaskManager), &p), S_OK);
    CHECK(p == (void *)clrhost_task_manager_iface(m));
    CHECK_EQ(T_LOAD(&inner.get_host_manager_calls), 0); /* ours, never the inner's */
    CHECK_EQ(((IUnknown *)p)->lpVtbl->Release((IUnknown *)p), 3); /* creator + two host controls */

    p = NULL; /* forwarded: the inner control's memory manager */
    CHECK_HR(hc->lpVtbl->GetHostManager(hc, TEST_IID(test_IID_IHostMemoryManager), &p), S_OK);
    CHECK(p == (void *)&inner.memory_manager);
    CHECK_EQ(T_LOAD(&inner.memory_manager_refs), 1);
    ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
    p = POISON; /* forwarded, refused by the inner control */
    CHECK_HR(hc->lpVtbl->GetHostManager(hc, TEST_IID(test_IID_IHostSyncManager), &p), E_NOINTERFACE);
    CHECK(p == NULL);
    CHECK_EQ(T_LOAD(&inner.get_host_manager_calls), 2);

    p = POISON; /* no inner control: E_NOINTERFACE and NULL */
    CHECK_HR(bare->lpVtbl->GetHostManager(bare, TEST_IID(test_IID_IHostMemoryManager), &p), E_NOINTERFACE);
    CHECK(p == NULL);

    CHECK_HR(hc->lpVtbl->SetAppDomainManager(hc, 7, NULL), S_OK);
    CHECK_EQ(T_LOAD(&inner.set_app_domain_manager_calls), 1);
    CHECK_EQ(inner.last_app_domain, 7);
    CHECK_HR(bare->lpVtbl->SetAppDomainManager(bare, 7, NULL), S_OK);

    CHECK_EQ(bare->lpVtbl->Release(bare), 0);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    CHECK_EQ(T_LOAD(&inner.refs), 0);
    CHECK_EQ(T_LOAD(&inner.memory_manager_refs), 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    check_no_leak(&a);
}

static void count_task(void *ctx, clrhost_task *task)
{
    (void)task;
    ++*(int *)ctx;
}

TEST_CASE(test_public_api_null_arguments, "com/public_api_null_arguments")
{
    clrhost_task_manager_stats st;
    clrhost_task_counters c;
    clrhost_task_manager *m;
    int n = 0;
    CHECK(clrhost_task_manager_iface(NULL) == NULL);
    CHECK_EQ(clrhost_task_manager_addref(NULL), 0);
    CHECK_EQ(clrhost_task_manager_release(NULL), 0);
    CHECK_HR(clrhost_task_manager_get_stats(NULL, &st), E_POINTER);
    CHECK_HR(clrhost_task_manager_foreach(NULL, count_task, &n), E_POINTER);
    CHECK(clrhost_task_current(NULL) == NULL);
    CHECK(clrhost_task_iface(NULL) == NULL);
    CHECK(clrhost_task_manager_of(NULL) == NULL);
    CHECK(clrhost_task_get_user(NULL) == NULL);
    clrhost_task_set_user(NULL, &n);
    CHECK_EQ(clrhost_task_thread_id(NULL), 0);
    CHECK_EQ(clrhost_task_depth(NULL), 0);
    CHECK(clrhost_task_is_adopted(NULL) == FALSE);
    CHECK(clrhost_task_in_native(NULL) == FALSE);
    memset(&c, 0xff, sizeof c);
    clrhost_task_get_counters(NULL, &c);
    CHECK_EQ(c.leave_runtime, 0);
    clrhost_task_get_counters(NULL, NULL);

    CHECK_HR(clrhost_task_manager_create(NULL, &m), S_OK);
    CHECK_HR(clrhost_task_manager_get_stats(m, NULL), E_POINTER);
    CHECK_HR(clrhost_task_manager_foreach(m, NULL, NULL), E_POINTER);
    CHECK_HR(clrhost_task_manager_foreach(m, count_task, &n), S_OK);
    CHECK_EQ(n, 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
}

/* Every allocation the common paths make, failed one at a time: each call
   reports E_OUTOFMEMORY with its out pointer NULL, nothing leaks, and the
   manager works for the calls after. */
typedef struct oom_ctx {
    clrhost_task_manager *m;
    counting_allocator *a;
    int adopted_ok;
} oom_ctx;

static DWORD WINAPI oom_task_start(LPVOID p)
{
    (void)p;
    return 0;
}

static void oom_body(void *p)
{
    oom_ctx *c = (oom_ctx *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(c->m);
    IHostTask *task = (IHostTask *)POISON;
    long n;
    HRESULT hr;
    for (n = 1;; ++n) { /* adoption */
        c->a->fail_at = c->a->calls + n;
        task = (IHostTask *)POISON;
        hr = tm->lpVtbl->GetCurrentTask(tm, &task);
        if (hr == S_OK)
            break;
        CHECK_HR(hr, E_OUTOFMEMORY);
        CHECK(task == NULL);
    }
    c->a->fail_at = 0;
    c->adopted_ok = task != NULL;
    if (task)
        task->lpVtbl->Release(task);
    for (n = 1;; ++n) { /* creation */
        c->a->fail_at = c->a->calls + n;
        task = (IHostTask *)POISON;
        hr = tm->lpVtbl->CreateTask(tm, 0, oom_task_start, NULL, &task);
        if (hr == S_OK)
            break;
        CHECK_HR(hr, E_OUTOFMEMORY);
        CHECK(task == NULL);
    }
    c->a->fail_at = 0;
    CHECK_HR(task->lpVtbl->Start(task), S_OK);
    CHECK_HR(task->lpVtbl->Join(task, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    task->lpVtbl->Release(task);
}

TEST_CASE(test_allocation_failures, "com/allocation_failures")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    oom_ctx c;
    clrhost_task_manager_stats st;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &c.m), S_OK);
    c.a = &a;
    c.adopted_ok = 0;
    test_run_on_thread(oom_body, &c);
    CHECK(c.adopted_ok);
    CHECK_HR(clrhost_task_manager_get_stats(c.m, &st), S_OK);
    CHECK_EQ(st.tasks_adopted, 1);
    CHECK_EQ(st.tasks_created, 1);
    CHECK_EQ(st.tasks_ended, 2);
    CHECK_EQ(clrhost_task_manager_release(c.m), 0);
    check_no_leak(&a);
}

