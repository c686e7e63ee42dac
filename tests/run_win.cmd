@echo off
rem The Windows run, for .github/workflows/windows.yml or by hand: from the
rem repository's root, in a Visual Studio developer command prompt (x64 or
rem x86 Native Tools), with the .NET Framework 4.8 installed:
rem
rem     tests\run_win.cmd
rem
rem With cl /W4 /WX, as C and as C++: compile_check, CLRHOST_TASK_STATIC and
rem coexist against the .NET Framework SDK's own mscoree.h; the whole test suite;
rem every example, example_native.dll and Scenarios.dll (the framework's
rem csc.exe of the prompt's bitness); then the validation kit's run
rem (kit\run.cmd): validate.exe, its six negative controls and every
rem example against the real CLR, its report in build\win-ARCH\report.txt.
rem Every program runs under tests\bounded.c, which ends it (and what it
rem started) past its bound: a deadlock fails the run, it does not hold it.
rem Exits 1 at the first failure, after printing what failed.
rem Never run from the repository's own machine, which has no Windows: see
rem README.md.
setlocal EnableExtensions EnableDelayedExpansion
cd /d "%~dp0.."

set ARCH=%VSCMD_ARG_TGT_ARCH%
if "%ARCH%"=="" set ARCH=%Platform%
if /i "%ARCH%"=="x64" (
    set FRAMEWORK=%WINDIR%\Microsoft.NET\Framework64\v4.0.30319
) else if /i "%ARCH%"=="x86" (
    set FRAMEWORK=%WINDIR%\Microsoft.NET\Framework\v4.0.30319
) else (
    echo run_win: not in an x64 or x86 developer command prompt ^(VSCMD_ARG_TGT_ARCH is "%ARCH%"^)
    exit /b 1
)
set OUT=build\win-%ARCH%
if not exist "%OUT%" mkdir "%OUT%"

rem ---- the .NET Framework SDK's mscoree.h: on the include path, or NETFXSDKDir
set MSCOREE_DIR=
for %%d in ("%INCLUDE:;=" "%") do (
    if "!MSCOREE_DIR!"=="" if exist "%%~d\mscoree.h" set MSCOREE_DIR=%%~d
)
if "%MSCOREE_DIR%"=="" if not "%NETFXSDKDir%"=="" if exist "%NETFXSDKDir%Include\um\mscoree.h" set MSCOREE_DIR=%NETFXSDKDir%Include\um
if "%MSCOREE_DIR%"=="" (
    echo run_win: FAIL: mscoree.h not found. Searched every directory of INCLUDE:
    for %%d in ("%INCLUDE:;=" "%") do echo     %%~d
    echo   and NETFXSDKDir\Include\um ^(NETFXSDKDir is "%NETFXSDKDir%"^).
    echo   It comes with the .NET Framework SDK ^(NETFXSDK\4.8\Include\um^): Visual Studio's
    echo   ".NET Framework 4.8 SDK" component, or the .NET Framework 4.8 Developer Pack.
    exit /b 1
)
echo run_win: %ARCH%, mscoree.h from %MSCOREE_DIR%
set CL_FLAGS=/nologo /W4 /WX /I"%MSCOREE_DIR%"

rem ---- tests\bounded.c: every program below runs under it -----------------
rem Bounds, in seconds, each many times what the program takes: a check of
rem the header seconds, the suite under a minute (kit\run.cmd has the
rem kit's own).
if not exist "%OUT%\bounded" mkdir "%OUT%\bounded"
cl %CL_FLAGS% tests\bounded.c /Fo"%OUT%\bounded\\" /Fe"%OUT%\bounded.exe" || goto :failed_build
set BOUNDED=%CD%\%OUT%\bounded.exe
set BOUND_CHECK=300
set BOUND_SUITE=900

rem ---- the header: compile_check, STATIC, coexist, as C and as C++ --------
for %%l in (TC TP) do (
    call :build_run cc-%%l "/%%l tests\compile\compile_check.c" || exit /b 1
    rem CLRHOST_TASK_STATIC: the header itself turns off C4505, an unused
    rem function with internal linkage removed, for its private copy.
    call :build_run static-%%l "/%%l tests\compile\static_a.c tests\compile\static_b.c tests\compile\static_main.c" || exit /b 1
    for %%o in (1 2) do (
        call :build_run coexist-%%o-%%l "/%%l /DCOEXIST_SDK /DCOEXIST_ORDER=%%o tests\compile\coexist.c" || exit /b 1
    )
)

rem ---- the test suite: all C, then its implementation as C++ --------------
rem The tests use sprintf, which cl's C4996 would refuse at /W4.
set SUITE_FLAGS=/O2 /D_CRT_SECURE_NO_WARNINGS
set SUITE_TESTS=tests\clr\harness.c tests\clr\clr_driver.c tests\clr\clr_runtime.c tests\clr\clr_scenarios.c tests\suite\test_com.c tests\suite\test_driver.c tests\suite\test_threads.c tests\suite\test_reliability.c tests\suite\test_played_clr.c tests\suite\test_tasks.c tests\suite\test_profile.c tests\suite\test_scheduler.c tests\suite\test_unkind.c tests\suite\test_features.c tests\suite\main.c
call :build_run suite-c "%SUITE_FLAGS% /TC tests\suite\impl.c %SUITE_TESTS%" || exit /b 1
if not exist "%OUT%\suite-cpp" mkdir "%OUT%\suite-cpp"
cl %CL_FLAGS% %SUITE_FLAGS% /TP /c tests\suite\impl.c /Fo"%OUT%\suite-cpp\\" || goto :failed_build
cl %CL_FLAGS% %SUITE_FLAGS% /TC /c %SUITE_TESTS% /Fo"%OUT%\suite-cpp\\" || goto :failed_build
cl %CL_FLAGS% "%OUT%\suite-cpp\*.obj" /Fe"%OUT%\suite-cpp.exe" || goto :failed_build
"%BOUNDED%" %BOUND_SUITE% "%OUT%\suite-cpp.exe" || (echo run_win: FAIL: suite-cpp.exe & exit /b 1)

rem ---- the core alone: the scheduler, the profile and the live view left out
set LEAN_FLAGS=/DCLRHOST_TASK_NO_SCHEDULER /DCLRHOST_TASK_NO_PROFILE /DCLRHOST_TASK_NO_TASK_VIEW
set LEAN_TESTS=tests\clr\harness.c tests\clr\clr_driver.c tests\clr\clr_runtime.c tests\clr\clr_scenarios.c tests\suite\test_com.c tests\suite\test_driver.c tests\suite\test_threads.c tests\suite\test_reliability.c tests\suite\test_played_clr.c tests\suite\test_tasks.c tests\suite\test_profile.c tests\suite\test_features.c tests\suite\main.c
call :build_run suite-lean "%SUITE_FLAGS% %LEAN_FLAGS% /TC tests\suite\impl.c %LEAN_TESTS%" || exit /b 1

rem ---- the examples, built side by side ------------------------------------
set EX=%OUT%\examples
if not exist "%EX%" mkdir "%EX%"
for %%h in (host_hello native_time existing_host_control sandbox watchdog throttle) do (
    cl %CL_FLAGS% /I. examples\%%h.c /Fo"%EX%\\" /Fe"%EX%\%%h.exe" || goto :failed_build
)
cl %CL_FLAGS% /I. examples\validate\validate.c /Fo"%EX%\\" /Fe"%EX%\validate.exe" || goto :failed_build
for %%n in (1 2 3 4 5 6) do (
    cl %CL_FLAGS% /I. /DCLRHOST_TASK_NEGATIVE_CONTROL=%%n examples\validate\validate.c /Fo"%EX%\\" /Fe"%EX%\validate-control-%%n.exe" || goto :failed_build
)
cl %CL_FLAGS% /LD examples\native\example_native.c /Fo"%EX%\\" /Fe"%EX%\example_native.dll" || goto :failed_build
"%FRAMEWORK%\csc.exe" /nologo /warnaserror+ /target:library /out:"%EX%\Scenarios.dll" examples\managed\Scenarios.cs || goto :failed_build

rem ---- against the real CLR: the validation kit's own run -----------------
rem kit\run.cmd runs validate.exe, its negative controls and every example,
rem each under bounded.exe, and writes the report a kit user sends back.
copy /y "%BOUNDED%" "%EX%\bounded.exe" > nul || goto :failed_build
set REPORT=%CD%\%OUT%\report.txt
call kit\run.cmd "%CD%\%EX%" || (echo run_win: FAIL: a step of kit\run.cmd failed ^(%REPORT%^) & exit /b 1)
echo run_win: %ARCH%: all passed
exit /b 0

rem build_run NAME "CL ARGUMENTS": builds %OUT%\NAME.exe and runs it.
:build_run
if not exist "%OUT%\%~1" mkdir "%OUT%\%~1"
cl %CL_FLAGS% %~2 /Fo"%OUT%\%~1\\" /Fe"%OUT%\%~1.exe" || (echo run_win: FAIL: building %~1 & exit /b 1)
set BOUND=%BOUND_CHECK%
if "%~1"=="suite-c" set BOUND=%BOUND_SUITE%
"%BOUNDED%" %BOUND% "%OUT%\%~1.exe" || (echo run_win: FAIL: %~1.exe & exit /b 1)
exit /b 0

:failed_build
echo run_win: FAIL: a build failed ^(above^)
exit /b 1
