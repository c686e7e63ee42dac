/* A stand-in mscoree.dll, so that the example hosts run end to end under
   Wine (whose own mscoree.dll cannot load a task-hosting runtime). It
   exports CLRCreateInstance and gives out ICLRMetaHost, ICLRRuntimeInfo,
   ICLRRuntimeHost and ICLRControl; SetHostControl and Start go through
   the CLR driver (Start also makes the finalizer, starts the CLR's own
   background traffic and hands a named AppDomainManager to the host),
   and ExecuteInDefaultAppDomain plays the scenario its argument names
   (tests/clr/clr_scenarios.c) against the real example_native.dll, loaded the
   way the CLR loads a P/Invoke target. It is a test double, not a CLR:
   what it shows is that the examples drive the hosting API and read the
   results correctly, given a CLR that makes the calls the CLR 4.x source
   makes (tests/clr/clr_driver.h cites where).

   Put it beside the host's .exe and run with WINEDLLOVERRIDES=mscoree=n.
   Limits: one runtime per process, and ExecuteInDefaultAppDomain must be
   called on the thread that called Start (as the examples do). */
#include "clr_scenarios.h"

#define EXAMPLE_CLR_START_DECLARATIONS_ONLY
#include "../../examples/clr_start.h"

#include <stdlib.h>

static clr_sim clr;
static BOOL started;
static scenario_natives natives;

static const GUID fake_IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0, 0, 0, 0, 0, 0, 0x46}};

/* The three objects are static, so reference counts have nothing to free. */
static ULONG STDMETHODCALLTYPE static_AddRef(void *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE static_Release(void *self) { (void)self; return 1; }

static HRESULT query(void *self, REFIID riid, const GUID *own_iid, void **out)
{
    if (!out)
        return E_POINTER;
    if (!IsEqualGUID(riid, own_iid) && !IsEqualGUID(riid, &fake_IID_IUnknown)) {
        *out = NULL;
        return E_NOINTERFACE;
    }
    *out = self;
    return S_OK;
}

/* ---- ICLRControl and the default domain's AppDomainManager --------------------
   Hosts with an AppDomainManager name it before Start; the CLR makes it
   in the default domain and, when it registers with the host, hands it to
   IHostControl::SetAppDomainManager (domain 1) before managed code runs
   [DOC ICLRControl::SetAppDomainManagerType, IHostControl::
   SetAppDomainManager; the moment, right after start-up, is inferred].
   The stand-in knows the one manager Scenarios.dll has. */

static const GUID fake_IID_ICLRControl = {0x9065597e, 0xd1a1, 0x4fb2, {0xb6, 0xba, 0x7e, 0x1f, 0xce, 0x23, 0x0f, 0x61}};
static BOOL domain_manager_named;

static HRESULT STDMETHODCALLTYPE control_QueryInterface(ICLRControl *self, REFIID riid, void **out)
{
    return query(self, riid, &fake_IID_ICLRControl, out);
}
static ULONG STDMETHODCALLTYPE control_AddRef(ICLRControl *self) { return static_AddRef(self); }
static ULONG STDMETHODCALLTYPE control_Release(ICLRControl *self) { return static_Release(self); }

static HRESULT STDMETHODCALLTYPE control_GetCLRManager(ICLRControl *self, REFIID riid, void **out)
{
    (void)self;
    (void)riid;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (started) /* "do not allow user to obtain CLR managers" (vm/corhost.cpp CCLRControl::GetCLRManager) */
        return HOST_E_INVALIDOPERATION;
    return E_NOINTERFACE; /* the stand-in has none of the CLR's managers */
}

static HRESULT STDMETHODCALLTYPE control_SetAppDomainManagerType(ICLRControl *self, LPCWSTR assembly, LPCWSTR type)
{
    (void)self;
    if (!assembly || !type)
        return E_POINTER;
    if (started)
        return HOST_E_INVALIDOPERATION; /* the default domain exists already */
    if (wcscmp(assembly, L"Scenarios") != 0 || wcscmp(type, L"ClrHostTask.Examples.DomainManager") != 0)
        return (HRESULT)0x80131522L; /* COR_E_TYPELOAD: the stand-in makes no other manager */
    domain_manager_named = TRUE;
    return S_OK;
}

static CONST_VTBL ICLRControlVtbl control_vtbl = {control_QueryInterface, control_AddRef, control_Release,
                                                   control_GetCLRManager, control_SetAppDomainManagerType};
static ICLRControl clr_control = {&control_vtbl};

/* The DomainManager object as the host sees it: an IUnknown. */
static HRESULT STDMETHODCALLTYPE manager_QueryInterface(IUnknown *self, REFIID riid, void **out)
{
    return query(self, riid, &fake_IID_IUnknown, out);
}
static ULONG STDMETHODCALLTYPE manager_AddRef(IUnknown *self) { return static_AddRef(self); }
static ULONG STDMETHODCALLTYPE manager_Release(IUnknown *self) { return static_Release(self); }
static CONST_VTBL IUnknownVtbl manager_vtbl = {manager_QueryInterface, manager_AddRef, manager_Release};
static IUnknown domain_manager = {&manager_vtbl};

/* ---- ICLRRuntimeHost ------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE host_QueryInterface(ICLRRuntimeHost *self, REFIID riid, void **out)
{
    return query(self, riid, &example_IID_ICLRRuntimeHost, out);
}
static ULONG STDMETHODCALLTYPE host_AddRef(ICLRRuntimeHost *self) { return static_AddRef(self); }
static ULONG STDMETHODCALLTYPE host_Release(ICLRRuntimeHost *self) { return static_Release(self); }

static HRESULT STDMETHODCALLTYPE host_SetHostControl(ICLRRuntimeHost *self, IHostControl *hc)
{
    (void)self;
    if (!hc)
        return E_POINTER;
    if (started || clr.host_control)
        return HOST_E_INVALIDOPERATION; /* too late, or already given */
    clr_init(&clr, sizeof(void *) == 4 ? CLR_X86 : CLR_X64);
    return clr_set_host_control(&clr, hc);
}

static HRESULT STDMETHODCALLTYPE host_Start(ICLRRuntimeHost *self)
{
    HRESULT hr;
    (void)self;
    if (started)
        return S_FALSE; /* already started */
    if (!clr.host_control)
        clr_init(&clr, sizeof(void *) == 4 ? CLR_X86 : CLR_X64);
    hr = clr_start(&clr);
    if (FAILED(hr))
        return hr;
    started = TRUE;
    /* The CLR makes its finalizer thread during start-up, and from then on
       its own threads make calls of their own. */
    hr = clr_finalizer_start(&clr);
    if (hr == S_OK)
        hr = clr_traffic_start(&clr);
    if (hr == S_OK && domain_manager_named && clr.host_control) /* the result is not the CLR's concern */
        (void)clr.host_control->lpVtbl->SetAppDomainManager(clr.host_control, 1, &domain_manager);
    return hr;
}

static HRESULT STDMETHODCALLTYPE host_Stop(ICLRRuntimeHost *self) { (void)self; return S_OK; }

static HRESULT STDMETHODCALLTYPE host_GetCLRControl(ICLRRuntimeHost *self, ICLRControl **out)
{
    (void)self;
    if (!out)
        return E_POINTER;
    *out = &clr_control;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE host_UnloadAppDomain(ICLRRuntimeHost *self, DWORD id, BOOL wait)
{
    (void)self;
    (void)id;
    (void)wait;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE host_ExecuteInAppDomain(ICLRRuntimeHost *self, DWORD id,
                                                         FExecuteInAppDomainCallback fn, void *cookie)
{
    (void)self;
    (void)id;
    (void)fn;
    (void)cookie;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE host_GetCurrentAppDomainId(ICLRRuntimeHost *self, DWORD *id)
{
    (void)self;
    if (!id)
        return E_POINTER;
    *id = 1;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE host_ExecuteApplication(ICLRRuntimeHost *self, LPCWSTR name, DWORD manifests,
                                                         LPCWSTR *manifest_paths, DWORD activation_data,
                                                         LPCWSTR *activation_paths, int *result)
{
    (void)self;
    (void)name;
    (void)manifests;
    (void)manifest_paths;
    (void)activation_data;
    (void)activation_paths;
    (void)result;
    return E_NOTIMPL;
}

/* P/Invoke targets are resolved as the CLR resolves them: LoadLibrary and
   GetProcAddress. FALSE when the DLL or an export is missing. */
static BOOL resolve_natives(void)
{
    HMODULE dll = LoadLibraryW(L"example_native.dll");
    HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
    if (!dll || !kernel32)
        return FALSE;
    natives.add = (int (*)(int, int))(void (*)(void))GetProcAddress(dll, "example_add");
    natives.call_back = (int (*)(scenario_callback, int))(void (*)(void))GetProcAddress(dll, "example_call_back");
    natives.block_ms = (void (*)(unsigned))(void (*)(void))GetProcAddress(dll, "example_block_ms");
    natives.current_thread_id = (DWORD(WINAPI *)(void))(void (*)(void))GetProcAddress(kernel32, "GetCurrentThreadId");
    return natives.add && natives.call_back && natives.block_ms && natives.current_thread_id;
}

static HRESULT STDMETHODCALLTYPE host_ExecuteInDefaultAppDomain(ICLRRuntimeHost *self, LPCWSTR assembly, LPCWSTR type,
                                                                LPCWSTR method, LPCWSTR argument, DWORD *result)
{
    char narrow[64];
    (void)self;
    if (!assembly || !type || !method || !result)
        return E_POINTER;
    if (!started)
        return HOST_E_INVALIDOPERATION;
    if (GetFileAttributesW(assembly) == INVALID_FILE_ATTRIBUTES)
        return (HRESULT)0x80070002L; /* COR_E_FILENOTFOUND */
    if (wcscmp(type, L"ClrHostTask.Examples.Scenarios") != 0)
        return (HRESULT)0x80131522L; /* COR_E_TYPELOAD */
    if (wcscmp(method, L"Run") != 0)
        return (HRESULT)0x80131513L; /* COR_E_MISSINGMETHOD */
    if (!resolve_natives())
        return (HRESULT)0x80131524L; /* COR_E_DLLNOTFOUND: DllNotFoundException, unhandled */
    if (!WideCharToMultiByte(CP_ACP, 0, argument ? argument : L"all", -1, narrow, sizeof narrow, NULL, NULL))
        return E_INVALIDARG;
    *result = (DWORD)clr_play(&clr, &natives, narrow);
    return S_OK;
}

static CONST_VTBL ICLRRuntimeHostVtbl host_vtbl = {
    host_QueryInterface, host_AddRef, host_Release, host_Start, host_Stop, host_SetHostControl,
    host_GetCLRControl, host_UnloadAppDomain, host_ExecuteInAppDomain, host_GetCurrentAppDomainId,
    host_ExecuteApplication, host_ExecuteInDefaultAppDomain};
static ICLRRuntimeHost runtime_host = {&host_vtbl};

/* ---- ICLRRuntimeInfo --------------------------------------------------------- */

static HRESULT STDMETHODCALLTYPE info_QueryInterface(example_ICLRRuntimeInfo *self, REFIID riid, void **out)
{
    return query(self, riid, &example_IID_ICLRRuntimeInfo, out);
}
static ULONG STDMETHODCALLTYPE info_AddRef(example_ICLRRuntimeInfo *self) { return static_AddRef(self); }
static ULONG STDMETHODCALLTYPE info_Release(example_ICLRRuntimeInfo *self) { return static_Release(self); }

static HRESULT STDMETHODCALLTYPE info_GetInterface(example_ICLRRuntimeInfo *self, REFCLSID clsid, REFIID riid,
                                                   void **out)
{
    (void)self;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!IsEqualGUID(clsid, &example_CLSID_CLRRuntimeHost))
        return CLASS_E_CLASSNOTAVAILABLE;
    return query(&runtime_host, riid, &example_IID_ICLRRuntimeHost, out);
}

static HRESULT STDMETHODCALLTYPE info_IsLoadable(example_ICLRRuntimeInfo *self, BOOL *loadable)
{
    (void)self;
    if (!loadable)
        return E_POINTER;
    *loadable = TRUE;
    return S_OK;
}

static const example_ICLRRuntimeInfoVtbl info_vtbl = {info_QueryInterface, info_AddRef, info_Release, NULL, NULL, NULL,
                                                      NULL, NULL, NULL, info_GetInterface, info_IsLoadable, NULL,
                                                      NULL, NULL, NULL};
static example_ICLRRuntimeInfo runtime_info = {&info_vtbl};

/* ---- ICLRMetaHost and the export ---------------------------------------------- */

static HRESULT STDMETHODCALLTYPE meta_QueryInterface(example_ICLRMetaHost *self, REFIID riid, void **out)
{
    return query(self, riid, &example_IID_ICLRMetaHost, out);
}
static ULONG STDMETHODCALLTYPE meta_AddRef(example_ICLRMetaHost *self) { return static_AddRef(self); }
static ULONG STDMETHODCALLTYPE meta_Release(example_ICLRMetaHost *self) { return static_Release(self); }

static HRESULT STDMETHODCALLTYPE meta_GetRuntime(example_ICLRMetaHost *self, LPCWSTR version, REFIID riid, void **out)
{
    (void)self;
    if (!version || !out)
        return E_POINTER;
    *out = NULL;
    if (wcscmp(version, EXAMPLE_CLR_VERSION) != 0)
        return (HRESULT)0x80131700L; /* CLR_E_SHIM_RUNTIMELOAD */
    return query(&runtime_info, riid, &example_IID_ICLRRuntimeInfo, out);
}

static const example_ICLRMetaHostVtbl meta_vtbl = {meta_QueryInterface, meta_AddRef, meta_Release, meta_GetRuntime,
                                                   NULL, NULL, NULL, NULL, NULL, NULL};
static example_ICLRMetaHost meta_host = {&meta_vtbl};

__declspec(dllexport) HRESULT STDAPICALLTYPE CLRCreateInstance(REFCLSID clsid, REFIID riid, void **out)
{
    static LONG initialised;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (InterlockedExchange(&initialised, 1) == 0)
        test_harness_init();
    if (!IsEqualGUID(clsid, &example_CLSID_CLRMetaHost))
        return CLASS_E_CLASSNOTAVAILABLE;
    return query(&meta_host, riid, &example_IID_ICLRMetaHost, out);
}
