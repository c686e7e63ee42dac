// Scenarios.cs: the managed side of the examples, a .NET Framework 4
// class library. The hosts run it with
//   ICLRRuntimeHost::ExecuteInDefaultAppDomain(path, "ClrHostTask.Examples.Scenarios", "Run", scenario)
// and each scenario makes the managed/native transitions the task manager
// sees: P/Invoke into kernel32 and into example_native.dll, callbacks from
// native code (reverse P/Invoke), the documentation's nesting, threads
// started and joined, Thread.Sleep and Thread.Join woken by
// Thread.Interrupt, CurrentUICulture set, an exception thrown across a
// reverse call.
//
// Build it (beside example_native.dll and the host):
//   Debian:   mcs -target:library -out:Scenarios.dll Scenarios.cs   (mono-mcs; targets
//             mscorlib 4.0.0.0, runtime v4.0.30319)
//   Windows:  %WINDIR%\Microsoft.NET\Framework64\v4.0.30319\csc.exe /nologo
//                 /target:library /out:Scenarios.dll Scenarios.cs
//
// Run returns 0 when every check of the scenario held, else the number of
// the first check that failed, and prints one line per scenario.
using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;

namespace ClrHostTask.Examples
{
    // The default domain's AppDomainManager for existing_host_control, which
    // names it with ICLRControl::SetAppDomainManagerType: it registers with
    // the host, so the CLR hands it to IHostControl::SetAppDomainManager.
    public sealed class DomainManager : AppDomainManager
    {
        public override void InitializeNewDomain(AppDomainSetup appDomainInfo)
        {
            InitializationFlags = AppDomainManagerInitializationOptions.RegisterWithHost;
        }
    }

    public static class Scenarios
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate int Callback(int value);

        [DllImport("example_native.dll", CallingConvention = CallingConvention.Cdecl)]
        static extern int example_add(int a, int b);

        [DllImport("example_native.dll", CallingConvention = CallingConvention.Cdecl)]
        static extern int example_call_back(Callback callback, int times);

        [DllImport("example_native.dll", CallingConvention = CallingConvention.Cdecl)]
        static extern void example_block_ms(uint ms);

        [DllImport("kernel32.dll")]
        static extern uint GetCurrentThreadId();

        // The calls each scenario makes; validate.c expects exactly these.
        public const int PInvokeCalls = 10;
        public const int ReverseCalls = 5;
        public const int Threads = 4;

        // The entry point ExecuteInDefaultAppDomain calls: static int (string).
        // The argument is a scenario name, "name:count" for churn, work, throttle and unload
        // (and "stuck:ms"), or "all" (every scenario that needs no count).
        public static int Run(string argument)
        {
            string name = argument ?? "all";
            int count = 0;
            int colon = name.IndexOf(':');
            if (colon >= 0) {
                count = int.Parse(name.Substring(colon + 1), CultureInfo.InvariantCulture);
                name = name.Substring(0, colon);
            }
            if (name == "all") {
                foreach (string each in new string[] { "pinvoke", "nested", "reverse", "exception",
                                                        "threads", "interrupt", "culture" }) {
                    int failed = Run(each);
                    if (failed != 0)
                        return failed;
                }
                return 0;
            }
            int result;
            switch (name) {
            case "pinvoke": result = PInvoke(); break;
            case "nested": result = Nested(); break;
            case "reverse": result = Reverse(); break;
            case "exception": result = ExceptionAcrossReverseCall(); break;
            case "threads": result = StartAndJoin(Threads); break;
            case "interrupt": result = Interrupt(); break;
            case "culture": result = Culture(); break;
            case "churn": result = Churn(count > 0 ? count : 1000); break;
            case "work": result = Work(count > 0 ? count : 3); break;
            case "throttle": result = Throttle(count > 0 ? count : 8); break;
            case "unload": result = Unload(count > 0 ? count : 4); break;
            case "schedstress": result = SchedulerStress(count > 0 ? count : 8); break;
            case "sandbox": result = Sandbox(); break;
            case "stuck": result = Stuck(count > 0 ? count : 3000); break;
            case "tasks": result = Tasks(); break;
            case "settle": result = Settle(); break;
            default:
                Console.WriteLine("managed: unknown scenario '{0}'", argument);
                return 100;
            }
            Console.WriteLine("managed: {0,-10} {1}", name, result == 0 ? "ok" : "FAILED check " + result);
            return result;
        }

        // Ten P/Invokes into our DLL and one into kernel32.
        static int PInvoke()
        {
            int sum = 0;
            for (int i = 0; i < PInvokeCalls; ++i)
                sum = example_add(sum, i);
            if (sum != PInvokeCalls * (PInvokeCalls - 1) / 2)
                return 1;
            if (GetCurrentThreadId() == 0)
                return 2;
            return 0;
        }

        // The documentation's example: managed calls native (LeaveRuntime),
        // native calls managed (ReverseEnterRuntime), managed calls native
        // (LeaveRuntime), that returns (EnterRuntime), managed returns
        // (ReverseLeaveRuntime), the first native call returns (EnterRuntime).
        static int Nested()
        {
            Callback addOne = delegate(int value) { return example_add(value, 1); };
            int result = example_call_back(addOne, 1);
            GC.KeepAlive(addOne);
            return result == 1 ? 0 : 1;
        }

        static int Reverse()
        {
            int calls = 0;
            Callback count = delegate(int value) { ++calls; return value; };
            int sum = example_call_back(count, ReverseCalls);
            GC.KeepAlive(count);
            if (calls != ReverseCalls)
                return 1;
            return sum == ReverseCalls * (ReverseCalls - 1) / 2 ? 0 : 2;
        }

        // The callback throws; the exception unwinds through the native
        // frame of example_call_back and is caught here.
        static int ExceptionAcrossReverseCall()
        {
            Callback thrower = delegate(int value) { throw new InvalidOperationException("from the callback"); };
            try {
                example_call_back(thrower, 1);
                return 1;
            } catch (InvalidOperationException) {
                return 0;
            } finally {
                GC.KeepAlive(thrower);
            }
        }

        static int StartAndJoin(int count)
        {
            Thread[] threads = new Thread[count];
            int[] results = new int[count];
            for (int i = 0; i < count; ++i) {
                int slot = i;
                threads[i] = new Thread(delegate() { results[slot] = example_add(slot, 1); });
                threads[i].Start();
            }
            for (int i = 0; i < count; ++i)
                threads[i].Join();
            for (int i = 0; i < count; ++i)
                if (results[i] != i + 1)
                    return 1;
            return 0;
        }

        // Thread.Interrupt must wake a thread in Thread.Sleep and a thread in
        // Thread.Join (the host's IHostTask::Alert, then HOST_E_INTERRUPTED).
        static int Interrupt()
        {
            bool sleeperWoken = false;
            Thread sleeper = new Thread(delegate() {
                try { Thread.Sleep(Timeout.Infinite); } catch (ThreadInterruptedException) { sleeperWoken = true; }
            });
            sleeper.Start();
            WaitUntilBlocked(sleeper);
            sleeper.Interrupt();
            if (!sleeper.Join(10000))
                return 1;
            if (!sleeperWoken)
                return 2;

            bool joinerWoken = false;
            Thread longSleeper = new Thread(delegate() {
                try { Thread.Sleep(30000); } catch (ThreadInterruptedException) { }
            });
            longSleeper.Start();
            Thread joiner = new Thread(delegate() {
                try { longSleeper.Join(); } catch (ThreadInterruptedException) { joinerWoken = true; }
            });
            joiner.SetApartmentState(ApartmentState.STA); // so that its Join pumps (WAIT_MSGPUMP)
            joiner.Start();
            WaitUntilBlocked(joiner);
            joiner.Interrupt();
            bool joinerEnded = joiner.Join(10000);
            longSleeper.Interrupt();
            longSleeper.Join();
            if (!joinerEnded)
                return 3;
            return joinerWoken ? 0 : 4;
        }

        // An interrupt that comes first is kept for the next wait, so this
        // only makes the test look at the case that matters most.
        static void WaitUntilBlocked(Thread t)
        {
            for (int i = 0; i < 1000 && (t.ThreadState & ThreadState.WaitSleepJoin) == 0; ++i)
                Thread.Sleep(1);
        }

        // A hosted CLR asks IHostTaskManager::SetUILocale; any answer but
        // S_OK makes this setter throw.
        static int Culture()
        {
            CultureInfo before = Thread.CurrentThread.CurrentUICulture;
            try {
                Thread.CurrentThread.CurrentUICulture = new CultureInfo("fr-FR");
                if (Thread.CurrentThread.CurrentUICulture.Name != "fr-FR")
                    return 2;
            } catch (ArgumentException) {
                return 1;
            } finally {
                Thread.CurrentThread.CurrentUICulture = before;
            }
            return 0;
        }

        // Short-lived threads, eight at a time.
        static int Churn(int count)
        {
            for (int done = 0; done < count; done += 8) {
                int result = StartAndJoin(Math.Min(8, count - done));
                if (result != 0)
                    return result;
            }
            return 0;
        }

        // For the throttle example and the kit's scheduler run: each thread
        // alternates about 20 ms of managed CPU work with a 20 ms native
        // call, five times, and collects once. The work is a loop of a
        // fixed length that calls nothing, measured once on the calling
        // thread before the others start. A loop that read a clock until
        // 20 ms had passed would not do: Stopwatch is a P/Invoke of
        // QueryPerformanceCounter, so each read would give the slot up and
        // wait for it again, and the loop would end on wall time, most of
        // it spent waiting for a slot rather than running.
        static int Throttle(int count)
        {
            long rounds = SpinRounds(20);
            Thread[] threads = new Thread[count];
            for (int i = 0; i < count; ++i) {
                threads[i] = new Thread(delegate() {
                    for (int j = 0; j < 5; ++j) {
                        Spin(rounds);
                        example_block_ms(20);
                        if (j == 2)
                            GC.Collect(); // a GC while the others hold or wait for slots
                    }
                });
                threads[i].Start();
            }
            for (int i = 0; i < count; ++i)
                threads[i].Join();
            return 0;
        }

        internal static volatile int spinResult; // read by nobody: keeps Spin's loop from being optimised away

        // Managed CPU work that calls nothing: rounds of arithmetic.
        static void Spin(long rounds)
        {
            int x = 1;
            for (long i = 0; i < rounds; ++i)
                x = unchecked(x * 31 + (int)i);
            spinResult = x;
        }

        // The rounds of Spin that take about ms milliseconds here: doubled
        // until a run takes 50 ms, then the fastest of three runs of that
        // length, so that a processor still speeding up is not measured.
        static long SpinRounds(int ms)
        {
            long rounds = 1 << 16;
            for (;;) {
                System.Diagnostics.Stopwatch run = System.Diagnostics.Stopwatch.StartNew();
                Spin(rounds);
                if (run.Elapsed.TotalMilliseconds >= 50)
                    break;
                rounds *= 2;
            }
            double fastest = double.MaxValue;
            for (int k = 0; k < 3; ++k) {
                System.Diagnostics.Stopwatch run = System.Diagnostics.Stopwatch.StartNew();
                Spin(rounds);
                fastest = Math.Min(fastest, run.Elapsed.TotalMilliseconds);
            }
            return Math.Max(1, (long)(rounds * ms / fastest));
        }

        // For the kit's scheduler run: AppDomain.Unload while the domain's
        // threads hold every slot spinning in managed code (a loop that
        // calls nothing: Environment.TickCount is an FCall, not a P/Invoke)
        // and the rest of them wait for a slot. The unload aborts them, a
        // spinner at a safe point of its loop, a waiter once it has its
        // slot; unaborted, each would spin for 20 s. The threads first wait
        // together on an event (a wait gives the slot up), so that all are
        // started before any spins: a Thread.Start returns only once its
        // thread has taken its first slot. Check 1: the unload took 10 s
        // or more.
        static int Unload(int count)
        {
            AppDomain domain = AppDomain.CreateDomain("unloaded");
            domain.SetData("count", count);
            domain.DoCallBack(StartDomainSpinners);
            Thread.Sleep(500); // the spinners hold the slots, the others queue
            System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
            AppDomain.Unload(domain);
            long took = clock.ElapsedMilliseconds;
            Console.WriteLine("managed: the unload took {0} ms", took);
            return took >= 10000 ? 1 : 0;
        }

        // In the domain to be unloaded: starts its threads, then lets them go.
        static void StartDomainSpinners()
        {
            int count = (int)AppDomain.CurrentDomain.GetData("count");
            ManualResetEvent go = new ManualResetEvent(false);
            for (int i = 0; i < count; ++i)
                new Thread(delegate() {
                    go.WaitOne();
                    int start = Environment.TickCount;
                    while (unchecked(Environment.TickCount - start) < 20000) {
                    }
                }).Start();
            go.Set();
        }

        // For the kit's scheduler run: what section 5 of the contract makes
        // risky for a scheduler, all at once. Threads collect (GC.Collect:
        // the GC suspends the others holding the thread-store lock) while
        // others start threads (Thread.Start: the new thread takes that
        // lock right after SetCLRTask) and are called back from native
        // code (a reverse call runs in cooperative mode). Each of count
        // threads runs 8 rounds of: a GC every third round, a short thread
        // started and joined, example_call_back with a callback that spins
        // about a millisecond, twice, and a 1 ms native call. Check 1: a
        // thread had not ended after 60 s (a deadlock).
        static int SchedulerStress(int count)
        {
            long rounds = SpinRounds(1);
            Thread[] threads = new Thread[count];
            for (int i = 0; i < count; ++i) {
                int index = i;
                threads[i] = new Thread(delegate() {
                    Callback spin = delegate(int value) { Spin(rounds); return value; };
                    for (int j = 0; j < 8; ++j) {
                        int round = j;
                        if ((round + index) % 3 == 0)
                            GC.Collect();
                        Thread child = new Thread(delegate() { example_add(index, round); });
                        child.Start();
                        child.Join();
                        example_call_back(spin, 2);
                        example_block_ms(1);
                    }
                });
                threads[i].Start();
            }
            for (int i = 0; i < count; ++i)
                if (!threads[i].Join(60000))
                    return 1;
            return 0;
        }

        // For the profiler example: each thread spends about 100 ms in
        // native calls (example_block_ms) and 100 ms in the CLR's own
        // waits (WaitHandle.WaitOne on an event nobody sets).
        static int Work(int count)
        {
            Thread[] threads = new Thread[count];
            using (ManualResetEvent never = new ManualResetEvent(false)) {
                for (int i = 0; i < count; ++i) {
                    threads[i] = new Thread(delegate() {
                        for (int j = 0; j < 5; ++j) {
                            example_block_ms(20);
                            never.WaitOne(20);
                        }
                    });
                    threads[i].Start();
                }
                for (int i = 0; i < count; ++i)
                    threads[i].Join();
            }
            return 0;
        }

        // What ends a thread's life on the CLR: a collection of its Thread
        // object, then the finalizer's clean-up, which lets go of the
        // host's task. Three rounds, as a thread cleaned up in one round
        // may have its last references go in the next.
        static int Settle()
        {
            for (int i = 0; i < 3; ++i) {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            return 0;
        }

        // For the watchdog example: one thread blocked in a native call for
        // `ms` milliseconds, one spinning in managed code (no call out at
        // all) until it is aborted or 2 x ms pass. Which of the two ended
        // the spinner is printed, not checked: the watchdog decides.
        static int Stuck(int ms)
        {
            bool aborted = false;
            Thread blocked = new Thread(delegate() { example_block_ms((uint)ms); });
            Thread spinner = new Thread(delegate() {
                try {
                    DateTime until = DateTime.UtcNow.AddMilliseconds(2 * ms);
                    long spins = 0;
                    while (DateTime.UtcNow < until)
                        ++spins;
                } catch (ThreadAbortException) {
                    aborted = true;
                    Thread.ResetAbort();
                }
            });
            blocked.Start();
            spinner.Start();
            blocked.Join();
            spinner.Join();
            Console.WriteLine(aborted ? "managed: the spinner was aborted" : "managed: the spinner ran its time out");
            return 0;
        }

        // For the validation kit: what a host can learn of a task and do to
        // it. example_add is called from a new Thread, a thread-pool work
        // item and a finalizer (the kit notes the kind of each caller); a
        // thread blocks in example_block_ms before and after allocating
        // 4 MB (the kit reads its bytes allocated while it is blocked); a
        // thread sleeps in Thread.Sleep until the kit aborts it. Checks:
        // 1 the work item did not run, 2 the finalizer did not run, 3 the
        // sleeper was not aborted (it slept its 20 s out).
        static int Tasks()
        {
            Thread user = new Thread(delegate() { example_add(1, 2); });
            user.Start();
            user.Join();
            using (ManualResetEvent done = new ManualResetEvent(false)) {
                ThreadPool.QueueUserWorkItem(delegate { example_add(3, 4); done.Set(); });
                if (!done.WaitOne(20000))
                    return 1;
            }
            MakeFinalizable();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (!finalized)
                return 2;
            Thread allocator = new Thread(delegate() {
                example_block_ms(300);
                byte[] block = new byte[4 << 20];
                example_block_ms(300);
                GC.KeepAlive(block);
            });
            allocator.Start();
            allocator.Join();
            bool aborted = false;
            Thread sleeper = new Thread(delegate() {
                try {
                    Thread.Sleep(20000);
                } catch (ThreadAbortException) {
                    aborted = true;
                    Thread.ResetAbort();
                }
            });
            sleeper.Start();
            sleeper.Join();
            return aborted ? 0 : 3;
        }

        sealed class Finalizable
        {
            ~Finalizable()
            {
                example_add(5, 6);
                finalized = true;
            }
        }

        static volatile bool finalized;

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void MakeFinalizable()
        {
            new Finalizable();
        }

        // For the sandbox example, which denies calls into example_native.dll:
        // the call must fail with an exception and kernel32 must still work.
        static int Sandbox()
        {
            try {
                example_add(1, 2);
                Console.WriteLine("managed: example_add was allowed");
                return 1;
            } catch (Exception e) {
                Console.WriteLine("managed: example_add was denied: {0}: {1}", e.GetType().FullName, e.Message);
            }
            return GetCurrentThreadId() != 0 ? 0 : 2;
        }
    }
}
