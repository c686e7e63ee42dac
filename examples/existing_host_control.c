/* existing_host_control.c: a host that already has its own IHostControl
   (for its assembly manager, memory manager, AppDomainManager, ...) and
   puts clrhost_task.h's in front of it. The change to such a host is the
   three lines marked "the change" in main(): create the task manager,
   create our IHostControl with yours as `inner`, hand ours to the CLR.

   Ours answers IID_IHostTaskManager and forwards every other
   GetHostManager question, and SetAppDomainManager, to yours, which keeps
   doing what it did. The IHostControl below stands for yours: it has no
   managers (E_NOINTERFACE for all, which the CLR accepts) and records
   what it was asked, which this program prints at the end.

   Build (Windows):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. existing_host_control.c -o existing_host_control.exe
     MSVC:       cl /nologo /W4 /I.. existing_host_control.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

/* ---- the host's own IHostControl (stands for yours) ------------------- */

/* The managers the CLR asks for, in the order it asks (mscoree.idl). */
static const struct {
    GUID iid;
    const char *name;
} known_managers[] = {
    {{0x7bc698d1, 0xf9e3, 0x4460, {0x9c, 0xde, 0xd0, 0x42, 0x48, 0xe9, 0xfa, 0x25}}, "IHostMemoryManager"},
    {{0x997ff24c, 0x43b7, 0x4352, {0x86, 0x67, 0x0d, 0xc0, 0x4f, 0xaf, 0xd3, 0x54}}, "IHostTaskManager"},
    {{0x983d50e2, 0xcb15, 0x466b, {0x80, 0xfc, 0x84, 0x5d, 0xc6, 0xe8, 0xc5, 0xfd}}, "IHostThreadpoolManager"},
    {{0x8bde9d80, 0xec06, 0x41d6, {0x83, 0xe6, 0x22, 0x58, 0x0e, 0xff, 0xcc, 0x20}}, "IHostIoCompletionManager"},
    {{0x234330c7, 0x5f10, 0x4f20, {0x96, 0x15, 0x51, 0x22, 0xda, 0xb7, 0xa0, 0xac}}, "IHostSyncManager"},
    {{0x613dabd7, 0x62b2, 0x493e, {0x9e, 0x65, 0xc1, 0xe3, 0x2a, 0x1e, 0x0c, 0x5e}}, "IHostAssemblyManager"},
    {{0x5d4ec34e, 0xf248, 0x457b, {0xb6, 0x03, 0x25, 0x5f, 0xaa, 0xba, 0x0d, 0x21}}, "IHostGCManager"},
    {{0x75ad2468, 0xa349, 0x4d02, {0xa7, 0x64, 0x76, 0xa6, 0x8a, 0xee, 0x0c, 0x4f}}, "IHostSecurityManager"},
    {{0x7ae49844, 0xb1e3, 0x4683, {0xba, 0x7c, 0x1e, 0x82, 0x12, 0xea, 0x3b, 0x79}}, "IHostPolicyManager"},
};
#define KNOWN_MANAGERS (sizeof known_managers / sizeof known_managers[0])

static const GUID my_IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID my_IID_IHostControl = {0x02ca073c, 0x7079, 0x4860, {0x88, 0x0a, 0xc2, 0xf7, 0xa4, 0x49, 0xc9, 0x91}};

typedef struct my_host_control {
    IHostControl iface; /* first: the object's address is its IHostControl's */
    LONG refs;
    LONG asked[KNOWN_MANAGERS];
    LONG asked_unknown;
    LONG app_domain_managers;
} my_host_control;

static HRESULT STDMETHODCALLTYPE my_QueryInterface(IHostControl *self, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (!IsEqualGUID(riid, &my_IID_IUnknown) && !IsEqualGUID(riid, &my_IID_IHostControl)) {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = self;
    self->lpVtbl->AddRef(self);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE my_AddRef(IHostControl *self)
{
    return (ULONG)InterlockedIncrement(&((my_host_control *)self)->refs);
}

static ULONG STDMETHODCALLTYPE my_Release(IHostControl *self)
{
    return (ULONG)InterlockedDecrement(&((my_host_control *)self)->refs); /* static object: never freed */
}

static HRESULT STDMETHODCALLTYPE my_GetHostManager(IHostControl *self, REFIID riid, void **out)
{
    my_host_control *me = (my_host_control *)self;
    size_t i;
    if (!out)
        return E_POINTER;
    *out = NULL;
    for (i = 0; i < KNOWN_MANAGERS; ++i)
        if (IsEqualGUID(riid, &known_managers[i].iid)) {
            InterlockedIncrement(&me->asked[i]);
            return E_NOINTERFACE; /* your host would hand out its managers here */
        }
    InterlockedIncrement(&me->asked_unknown);
    return E_NOINTERFACE;
}

/* The AppDomainManager of a domain (Scenarios.cs's DomainManager for the
   default one), once the CLR made it. A host keeps it to talk to managed
   code; this one only counts. */
static HRESULT STDMETHODCALLTYPE my_SetAppDomainManager(IHostControl *self, DWORD app_domain, IUnknown *manager)
{
    (void)app_domain;
    if (!manager)
        return E_POINTER;
    InterlockedIncrement(&((my_host_control *)self)->app_domain_managers);
    return S_OK;
}

static CONST_VTBL IHostControlVtbl my_host_control_vtbl = {my_QueryInterface, my_AddRef, my_Release,
                                                           my_GetHostManager, my_SetAppDomainManager};

int main(void)
{
    static my_host_control mine;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    clrhost_task_manager_stats st;
    DWORD result = 0;
    HRESULT hr;
    size_t i;
    int failure;

    mine.iface.lpVtbl = &my_host_control_vtbl;
    mine.refs = 1;

    /* the change: three lines */
    hr = clrhost_task_manager_create(NULL, &tm);              /* defaults; see clrhost_task_config */
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, &mine.iface, &hc); /* ours in front of yours */
    if (FAILED(hr)) {
        example_fail("existing_host_control", "could not create the task manager", hr);
        return 1;
    }
    /* Hosts that keep their own IHostControl often do so for an
       AppDomainManager: the CLR hands it to SetAppDomainManager, which
       ours forwards to yours. */
    failure = example_clr_start_with_manager("existing_host_control", hc, /* was: ..., &mine.iface, ... */
                                             L"Scenarios", L"ClrHostTask.Examples.DomainManager", &host);
    if (!failure)
        failure = example_clr_run("existing_host_control", host, L"Scenarios.dll",
                                  L"ClrHostTask.Examples.Scenarios", L"Run", L"threads", &result);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */

    printf("Your IHostControl was asked for:\n");
    for (i = 0; i < KNOWN_MANAGERS; ++i)
        printf("  %-26s %ld time(s)\n", known_managers[i].name, (long)mine.asked[i]);
    printf("  %-26s %ld time(s)\nand got %ld SetAppDomainManager call(s).\n", "other interfaces",
           (long)mine.asked_unknown, (long)mine.app_domain_managers);
    clrhost_task_manager_get_stats(tm, &st);
    printf("The task manager (ours, so yours was never asked for it) ran %llu tasks.\n",
           (unsigned long long)(st.tasks_created + st.tasks_adopted));
    return 0;
}
