@echo off
rem The validation kit's run: every program of the kit against the .NET
rem Framework installed on this machine, each under bounded.exe, which ends
rem it (and what it started) past its bound, so that a deadlock on the real
rem CLR is a failure in minutes, not a hang. Writes report.txt beside this
rem file: this machine's Windows, processor and .NET Framework, every
rem program's output, a PASS or FAIL line per step, and what to send back.
rem
rem     run.cmd              the x64 and x86 directories (x86 only on a
rem                          32-bit Windows)
rem     run.cmd DIR...       those directories: each holds validate.exe, its
rem                          six negative controls, the examples,
rem                          example_native.dll, Scenarios.dll and
rem                          bounded.exe, of one bitness
rem
rem Exits 0 when every step passed. tests\run_win.cmd runs it on its own
rem builds; make test runs it under Wine on the kit's x64 directory
rem against a stand-in for the CLR (tests/clr/fake_mscoree.c).
setlocal EnableExtensions EnableDelayedExpansion
set HERE=%~dp0
if "%REPORT%"=="" set REPORT=%HERE%report.txt
set PASSED=0
set FAILED=0
rem Bounds, in seconds, each many times what the program takes: validate.exe
rem a few minutes (its scheduler child gets 180 s before it is called a
rem deadlock), an example or a negative control under a minute.
set BOUND_VALIDATE=1200
set BOUND_EXAMPLE=300

> "%REPORT%" echo clrhost_task.h validation kit: report
>> "%REPORT%" echo date: %DATE% %TIME%
for /f "delims=" %%v in ('ver') do >> "%REPORT%" echo windows: %%v
>> "%REPORT%" echo processor: %PROCESSOR_IDENTIFIER%, %NUMBER_OF_PROCESSORS% logical processors, %PROCESSOR_ARCHITECTURE% %PROCESSOR_ARCHITEW6432%
>> "%REPORT%" echo .NET Framework 4 (Release 528040 or more is 4.8, 533320 or more 4.8.1):
reg query "HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full" /v Release >> "%REPORT%" 2>&1
reg query "HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full" /v Version >> "%REPORT%" 2>&1

if not "%~1"=="" goto given_dirs
if /i not "%PROCESSOR_ARCHITECTURE%%PROCESSOR_ARCHITEW6432%"=="x86" call :run_dir "%HERE%x64"
call :run_dir "%HERE%x86"
goto summary
:given_dirs
for %%d in (%*) do call :run_dir "%%~d"
:summary

>> "%REPORT%" echo.
>> "%REPORT%" echo ==== %PASSED% steps passed, %FAILED% failed
type "%REPORT%"
echo.
echo The report is %REPORT%.
>> "%REPORT%" echo Send back this file, report.txt, as it is: it says what the real CLR did with the header.
echo Send back that file, report.txt, as it is: it says what the real CLR did with the header.
if not "%FAILED%"=="0" exit /b 1
exit /b 0

rem ---- one directory: every program of one bitness ---------------------------
:run_dir
set DIR=%~1
>> "%REPORT%" echo.
>> "%REPORT%" echo ==== %DIR%
if not exist "%DIR%\bounded.exe" (
    >> "%REPORT%" echo RESULT %DIR%: FAIL: no bounded.exe there ^(not a directory of the kit^)
    set /a FAILED+=1
    exit /b 0
)
pushd "%DIR%"
call :step validate %BOUND_VALIDATE% validate.exe
call :expect_absent validate "FAIL" "it reported a FAIL"
for %%n in (1 2 3 4 5 6) do (
    call :step control-%%n %BOUND_EXAMPLE% validate-control-%%n.exe 16
    call :expect control-%%n "reported: caught" "it did not say it was caught"
)
for %%h in (host_hello native_time existing_host_control sandbox throttle) do call :step %%h %BOUND_EXAMPLE% %%h.exe
call :expect throttle "slots busy on average (at most 2)" "it printed no slot figures"
rem The watchdog: the blocked thread named, the spinner aborted.
call :step watchdog %BOUND_EXAMPLE% watchdog.exe 4000 1500
call :expect watchdog "example_block_ms" "it did not name the blocked call"
call :expect watchdog "managed: the spinner was aborted" "its abort did not reach the spinner"
popd
exit /b 0

rem step NAME BOUND PROGRAM ARGUMENTS...: runs it, its output into NAME.txt
rem and the report; PASS if it exits 0.
:step
set NAME=%~1
set BOUND=%~2
shift
shift
set ARGS=
:step_args
if "%~1"=="" goto step_run
set ARGS=%ARGS% %1
shift
goto step_args
:step_run
bounded.exe %BOUND% %ARGS% > "%NAME%.txt" 2>&1
set RC=%ERRORLEVEL%
>> "%REPORT%" echo.
>> "%REPORT%" echo ---- %DIR% %NAME%:%ARGS% ^(exit %RC%^)
type "%NAME%.txt" >> "%REPORT%"
set WHY=
if not "%RC%"=="0" set WHY=exit %RC%
rem Every program prints: an empty output is one that never ran.
for %%f in ("%NAME%.txt") do if %%~zf==0 set WHY=it printed nothing: it never ran
if "%WHY%"=="" (
    >> "%REPORT%" echo RESULT %DIR% %NAME%: PASS
    set /a PASSED+=1
) else (
    >> "%REPORT%" echo RESULT %DIR% %NAME%: FAIL: !WHY!
    set /a FAILED+=1
)
exit /b 0

rem expect NAME TEXT WHY: NAME.txt holds TEXT, else a FAIL saying WHY.
:expect
findstr /c:%2 "%~1.txt" > nul && exit /b 0
>> "%REPORT%" echo RESULT %DIR% %~1: FAIL: %~3
set /a FAILED+=1
exit /b 0

rem expect_absent NAME TEXT WHY: no line of NAME.txt starts with TEXT.
:expect_absent
findstr /b /c:%2 "%~1.txt" > nul || exit /b 0
>> "%REPORT%" echo RESULT %DIR% %~1: FAIL: %~3
set /a FAILED+=1
exit /b 0
