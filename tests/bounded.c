/* bounded SECONDS PROGRAM [ARGUMENTS...]

   Runs PROGRAM with the rest of the command line, as typed, its output
   and input ours, and waits for it at most SECONDS. Then its exit code is
   ours; past the bound it is ended, with every process it started (a job
   object: validate.exe's scheduler child too), "bounded: ... did not end
   within N s" goes to stderr, and the exit code is 124 (as coreutils'
   timeout). 125 when PROGRAM could not be started or the arguments are
   wrong.

   For tests/run_win.cmd, so that a program that hangs on the real CLR (a
   deadlock) fails the Windows run instead of holding it until the
   workflow's own limit: cmd has no bounded wait. Built with cl, and with
   MinGW-w64 for the run under Wine (tests/run_examples.sh). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOUNDED_TIMED_OUT 124
#define BOUNDED_CANNOT_RUN 125

/* The command line past its first `count` arguments, as typed (the
   quoting of what follows is kept: PROGRAM gets it unchanged). An
   argument is a run of characters outside quotes up to white space. */
static const wchar_t *skip_arguments(const wchar_t *line, int count)
{
    while (count-- > 0) {
        int quoted = 0;
        while (*line == L' ' || *line == L'\t')
            ++line;
        for (; *line && (quoted || (*line != L' ' && *line != L'\t')); ++line)
            if (*line == L'"')
                quoted = !quoted;
    }
    while (*line == L' ' || *line == L'\t')
        ++line;
    return line;
}

int main(int argc, char **argv)
{
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
    HANDLE job;
    wchar_t *command;
    const wchar_t *rest;
    char *end;
    unsigned long seconds;
    DWORD code = BOUNDED_CANNOT_RUN;

    seconds = argc >= 3 ? strtoul(argv[1], &end, 10) : 0;
    if (argc < 3 || *end || seconds == 0 || seconds > 86400) {
        fprintf(stderr, "usage: bounded SECONDS PROGRAM [ARGUMENTS...] (SECONDS: 1 to 86400)\n");
        return BOUNDED_CANNOT_RUN;
    }
    rest = skip_arguments(GetCommandLineW(), 2);
    command = (wchar_t *)malloc((wcslen(rest) + 1) * sizeof *command); /* CreateProcessW writes to it */
    if (!command) {
        fprintf(stderr, "bounded: out of memory\n");
        return BOUNDED_CANNOT_RUN;
    }
    memcpy(command, rest, (wcslen(rest) + 1) * sizeof *command);

    /* Its processes are ended with the job when we end it, or if we die. A
       job that cannot be made or joined (an older Windows inside a job of
       its own) leaves only PROGRAM itself to end. */
    job = CreateJobObjectW(NULL, NULL);
    memset(&limits, 0, sizeof limits);
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (job && !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
        CloseHandle(job);
        job = NULL;
    }

    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    fflush(stdout);
    if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
        fprintf(stderr, "bounded: cannot run %ls (error %lu)\n", command, (unsigned long)GetLastError());
        free(command);
        if (job)
            CloseHandle(job);
        return BOUNDED_CANNOT_RUN;
    }
    if (job && !AssignProcessToJobObject(job, pi.hProcess)) {
        CloseHandle(job);
        job = NULL;
    }
    ResumeThread(pi.hThread);

    if (WaitForSingleObject(pi.hProcess, seconds * 1000u) == WAIT_TIMEOUT) {
        fprintf(stderr, "bounded: %ls did not end within %lu s: ended\n", command, seconds);
        if (!job || !TerminateJobObject(job, BOUNDED_TIMED_OUT))
            TerminateProcess(pi.hProcess, BOUNDED_TIMED_OUT);
        WaitForSingleObject(pi.hProcess, INFINITE);
        code = BOUNDED_TIMED_OUT;
    } else if (!GetExitCodeProcess(pi.hProcess, &code)) {
        code = BOUNDED_CANNOT_RUN;
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    if (job)
        CloseHandle(job);
    free(command);
    return (int)code;
}
