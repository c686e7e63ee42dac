/* clr_start.h: how the example hosts start the .NET Framework CLR with an
   IHostControl and run managed code. Include it after clrhost_task.h (it
   needs <windows.h> and <mscoree.h>, which clrhost_task.h includes).

   It loads mscoree.dll at run time and declares the two metahost.h
   interfaces it uses itself: MinGW-w64 has neither metahost.h nor an
   import library for mscoree.dll, and loading at run time lets a host say
   plainly that there is no .NET Framework instead of failing to start.
   With MSVC and the Windows SDK you could include <metahost.h> and link
   mscoree.lib instead; these declarations use their own names, so they do
   not clash with it.

   Every failure prints one line, "<program>: <reason>", to stderr and
   gives the exit code to return:
     2  no usable .NET Framework 4 (no mscoree.dll, no v4.0.30319 runtime)
     3  the CLR refused the host control, or did not start
     4  the assembly, type or method was not found
     5  the managed code failed: it threw, the call could not be made, or
        it returned non-zero (the examples' convention for "a check
        failed") */
#ifndef EXAMPLE_CLR_START_H
#define EXAMPLE_CLR_START_H

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define EXAMPLE_CLR_VERSION L"v4.0.30319"
#define EXAMPLE_EXIT_NO_FRAMEWORK 2
#define EXAMPLE_EXIT_NOT_STARTED 3
#define EXAMPLE_EXIT_NOT_FOUND 4
#define EXAMPLE_EXIT_MANAGED_FAILED 5

/* GUIDs from metahost.h and mscoree.h (the same values are in Wine's
   include/metahost.idl and include/mscoree.idl). Defined here, with our
   own names, because MinGW-w64 declares the mscoree.h ones without
   defining them. */
static const GUID example_CLSID_CLRMetaHost =
    {0x9280188d, 0x0e8e, 0x4867, {0xb3, 0x0c, 0x7f, 0xa8, 0x38, 0x84, 0xe8, 0xde}};
static const GUID example_IID_ICLRMetaHost =
    {0xd332db9e, 0xb9b3, 0x4125, {0x82, 0x07, 0xa1, 0x48, 0x84, 0xf5, 0x32, 0x16}};
static const GUID example_IID_ICLRRuntimeInfo =
    {0xbd39d1d2, 0xba2f, 0x486a, {0x89, 0xb0, 0xb4, 0xb0, 0xcb, 0x46, 0x68, 0x91}};
static const GUID example_CLSID_CLRRuntimeHost =
    {0x90f1a06e, 0x7712, 0x4762, {0x86, 0xb5, 0x7a, 0x5e, 0xba, 0x6b, 0xdb, 0x02}};
static const GUID example_IID_ICLRRuntimeHost =
    {0x90f1a06c, 0x7712, 0x4762, {0x86, 0xb5, 0x7a, 0x5e, 0xba, 0x6b, 0xdb, 0x02}};

/* ICLRMetaHost and ICLRRuntimeInfo, slot for slot as metahost.idl
   declares them. Only GetRuntime, IsLoadable and GetInterface are called;
   the other slots keep their places. */
typedef struct example_ICLRMetaHost example_ICLRMetaHost;
typedef struct example_ICLRRuntimeInfo example_ICLRRuntimeInfo;

typedef struct example_ICLRMetaHostVtbl {
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(example_ICLRMetaHost *self, REFIID riid, void **out);
    ULONG(STDMETHODCALLTYPE *AddRef)(example_ICLRMetaHost *self);
    ULONG(STDMETHODCALLTYPE *Release)(example_ICLRMetaHost *self);
    HRESULT(STDMETHODCALLTYPE *GetRuntime)(example_ICLRMetaHost *self, LPCWSTR version, REFIID riid, void **out);
    void *GetVersionFromFile;
    void *EnumerateInstalledRuntimes;
    void *EnumerateLoadedRuntimes;
    void *RequestRuntimeLoadedNotification;
    void *QueryLegacyV2RuntimeBinding;
    void *ExitProcess;
} example_ICLRMetaHostVtbl;
struct example_ICLRMetaHost {
    const example_ICLRMetaHostVtbl *lpVtbl;
};

typedef struct example_ICLRRuntimeInfoVtbl {
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(example_ICLRRuntimeInfo *self, REFIID riid, void **out);
    ULONG(STDMETHODCALLTYPE *AddRef)(example_ICLRRuntimeInfo *self);
    ULONG(STDMETHODCALLTYPE *Release)(example_ICLRRuntimeInfo *self);
    void *GetVersionString;
    void *GetRuntimeDirectory;
    void *IsLoaded;
    void *LoadErrorString;
    void *LoadLibrary_;
    void *GetProcAddress_;
    HRESULT(STDMETHODCALLTYPE *GetInterface)(example_ICLRRuntimeInfo *self, REFCLSID clsid, REFIID riid,
                                              void **out);
    HRESULT(STDMETHODCALLTYPE *IsLoadable)(example_ICLRRuntimeInfo *self, BOOL *loadable);
    void *SetDefaultStartupFlags;
    void *GetDefaultStartupFlags;
    void *BindAsLegacyV2Runtime;
    void *IsStarted;
} example_ICLRRuntimeInfoVtbl;
struct example_ICLRRuntimeInfo {
    const example_ICLRRuntimeInfoVtbl *lpVtbl;
};

typedef HRESULT(STDAPICALLTYPE *example_CLRCreateInstance_fn)(REFCLSID clsid, REFIID riid, void **out);

#ifndef EXAMPLE_CLR_START_DECLARATIONS_ONLY /* the stand-in mscoree.dll of the tests wants only the above */

/* The few HRESULTs a host meets here, by name (corerror.h, winerror.h). */
static const char *example_hresult_name(HRESULT hr)
{
    switch ((unsigned long)hr) {
    case 0x80131700UL: return "CLR_E_SHIM_RUNTIMELOAD: the runtime could not be loaded";
    case 0x80070002UL: return "COR_E_FILENOTFOUND: file not found";
    case 0x8007000BUL: return "COR_E_BADIMAGEFORMAT: not an assembly, or the wrong bitness";
    case 0x80131522UL: return "COR_E_TYPELOAD: type not found";
    case 0x80131513UL: return "COR_E_MISSINGMETHOD: no static int Method(string) of that name";
    case 0x80131022UL: return "HOST_E_INVALIDOPERATION";
    case 0x80070005UL: return "E_ACCESSDENIED";
    case 0x80004001UL: return "E_NOTIMPL";
    case 0x80004005UL: return "E_FAIL";
    default: return "see winerror.h and corerror.h";
    }
}

static void example_fail(const char *program, const char *what, HRESULT hr)
{
    fprintf(stderr, "%s: %s (0x%08lX, %s)\n", program, what, (unsigned long)hr, example_hresult_name(hr));
}

/* Loads the v4.0.30319 runtime, gives it `hc` (before Start, as the CLR
   requires), names the default domain's AppDomainManager when
   `manager_type` is not NULL (ICLRControl::SetAppDomainManagerType, also
   before Start; the CLR hands the manager it makes to
   IHostControl::SetAppDomainManager if it registers with the host) and
   starts the runtime on this thread. Returns 0 and *out, or an exit code
   after printing why. `program` prefixes the messages. */
static int example_clr_start_with_manager(const char *program, IHostControl *hc, const wchar_t *manager_assembly,
                                          const wchar_t *manager_type, ICLRRuntimeHost **out)
{
    HMODULE mscoree;
    example_CLRCreateInstance_fn create_instance;
    example_ICLRMetaHost *meta = NULL;
    example_ICLRRuntimeInfo *info = NULL;
    ICLRRuntimeHost *host = NULL;
    BOOL loadable = TRUE;
    HRESULT hr;

    *out = NULL;
    mscoree = LoadLibraryW(L"mscoree.dll");
    if (!mscoree) {
        fprintf(stderr, "%s: no .NET Framework 4: mscoree.dll could not be loaded (error %lu)\n", program,
                (unsigned long)GetLastError());
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    /* FARPROC to its real type, by way of void (*)(void), which compilers
       accept without a cast-function-type warning. */
    create_instance = (example_CLRCreateInstance_fn)(void (*)(void))GetProcAddress(mscoree, "CLRCreateInstance");
    if (!create_instance) {
        fprintf(stderr, "%s: no .NET Framework 4: this mscoree.dll has no CLRCreateInstance\n", program);
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    hr = create_instance(&example_CLSID_CLRMetaHost, &example_IID_ICLRMetaHost, (void **)&meta);
    if (FAILED(hr) || !meta) {
        example_fail(program, "no .NET Framework 4: CLRCreateInstance(CLRMetaHost) failed", hr);
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    hr = meta->lpVtbl->GetRuntime(meta, EXAMPLE_CLR_VERSION, &example_IID_ICLRRuntimeInfo, (void **)&info);
    meta->lpVtbl->Release(meta);
    if (FAILED(hr) || !info) {
        example_fail(program, "no .NET Framework 4: runtime v4.0.30319 is not installed", hr);
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    /* IsLoadable is FALSE when a runtime already loaded in the process
       rules this one out; some mscoree.dll implementations (Wine's) do
       not answer it, which is no reason to stop. */
    if (SUCCEEDED(info->lpVtbl->IsLoadable(info, &loadable)) && !loadable) {
        fprintf(stderr, "%s: no .NET Framework 4 for this process: v4.0.30319 cannot be loaded "
                        "beside the runtime already loaded here\n", program);
        info->lpVtbl->Release(info);
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    hr = info->lpVtbl->GetInterface(info, &example_CLSID_CLRRuntimeHost, &example_IID_ICLRRuntimeHost,
                                    (void **)&host);
    info->lpVtbl->Release(info);
    if (FAILED(hr) || !host) {
        example_fail(program, "no .NET Framework 4: runtime v4.0.30319 could not be loaded", hr);
        return EXAMPLE_EXIT_NO_FRAMEWORK;
    }
    hr = host->lpVtbl->SetHostControl(host, hc);
    if (FAILED(hr)) {
        example_fail(program, "the CLR refused our IHostControl (SetHostControl; was the runtime "
                              "already started in this process?)", hr);
        host->lpVtbl->Release(host);
        return EXAMPLE_EXIT_NOT_STARTED;
    }
    if (manager_type) {
        ICLRControl *control = NULL;
        hr = host->lpVtbl->GetCLRControl(host, &control);
        if (SUCCEEDED(hr) && control) {
            hr = control->lpVtbl->SetAppDomainManagerType(control, manager_assembly, manager_type);
            control->lpVtbl->Release(control);
        } else if (SUCCEEDED(hr)) {
            hr = E_POINTER;
        }
        if (FAILED(hr)) {
            example_fail(program, "the CLR refused the AppDomainManager (ICLRControl::SetAppDomainManagerType)", hr);
            host->lpVtbl->Release(host);
            return EXAMPLE_EXIT_NOT_STARTED;
        }
    }
    hr = host->lpVtbl->Start(host);
    if (FAILED(hr)) {
        example_fail(program, "the CLR did not start (ICLRRuntimeHost::Start)", hr);
        host->lpVtbl->Release(host);
        return EXAMPLE_EXIT_NOT_STARTED;
    }
    *out = host;
    return 0;
}

/* The same, with the default AppDomainManager. */
#define example_clr_start(program, hc, out) example_clr_start_with_manager(program, hc, NULL, NULL, out)

/* `name` as given if it has a directory part, else the file of that name
   beside this program's .exe (where the examples' build puts the
   assemblies and example_native.dll). */
static void example_path_beside_exe(const wchar_t *name, wchar_t *path, size_t capacity)
{
    size_t dir = 0, length = 0, name_length = wcslen(name), i;
    if (!wcschr(name, L'\\') && !wcschr(name, L'/') && !wcschr(name, L':')) {
        length = GetModuleFileNameW(NULL, path, (DWORD)capacity);
        if (length >= capacity)
            length = 0; /* truncated: no usable directory */
        for (i = 0; i < length; ++i)
            if (path[i] == L'\\' || path[i] == L'/')
                dir = i + 1;
    }
    if (dir + name_length < capacity) {
        memcpy(path + dir, name, (name_length + 1) * sizeof *name);
    } else {
        path[0] = 0;
    }
}

/* Runs `static int method(string argument)` of `type` in `assembly`
   (resolved by example_path_beside_exe) in the default application
   domain, on this thread. Returns 0 when it ran and returned 0, else an
   exit code after printing why; *result is what the method returned. */
static int example_clr_run(const char *program, ICLRRuntimeHost *host, const wchar_t *assembly,
                           const wchar_t *type, const wchar_t *method, const wchar_t *argument,
                           DWORD *result)
{
    wchar_t path[MAX_PATH];
    HRESULT hr;
    example_path_beside_exe(assembly, path, MAX_PATH);
    if (!path[0]) {
        fprintf(stderr, "%s: assembly path too long: %ls\n", program, assembly);
        return EXAMPLE_EXIT_NOT_FOUND;
    }
    *result = 0;
    hr = host->lpVtbl->ExecuteInDefaultAppDomain(host, path, type, method, argument, result);
    if (SUCCEEDED(hr) && *result != 0) {
        fprintf(stderr, "%s: %ls.%ls(\"%ls\") returned %lu: a check in the managed code failed\n", program, type,
                method, argument, (unsigned long)*result);
        return EXAMPLE_EXIT_MANAGED_FAILED;
    }
    if (SUCCEEDED(hr))
        return 0;
    switch ((unsigned long)hr) {
    case 0x80070002UL:
    case 0x80070003UL:
    case 0x8007000BUL:
        fprintf(stderr, "%s: assembly not found or not loadable: %ls (0x%08lX, %s)\n", program, path,
                (unsigned long)hr, example_hresult_name(hr));
        return EXAMPLE_EXIT_NOT_FOUND;
    case 0x80131522UL:
    case 0x80131513UL:
        fprintf(stderr, "%s: %ls.%ls not found in %ls (0x%08lX, %s)\n", program, type, method, path,
                (unsigned long)hr, example_hresult_name(hr));
        return EXAMPLE_EXIT_NOT_FOUND;
    default:
        fprintf(stderr, "%s: %ls.%ls(\"%ls\") failed: it threw, or the call could not be made "
                        "(0x%08lX, %s)\n", program, type, method, argument, (unsigned long)hr,
                example_hresult_name(hr));
        return EXAMPLE_EXIT_MANAGED_FAILED;
    }
}

#endif /* EXAMPLE_CLR_START_DECLARATIONS_ONLY */
#endif
