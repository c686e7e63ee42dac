// Runs Scenarios.Run for each argument, as a host's ExecuteInDefaultAppDomain
// would; exits with the last non-zero result.
public static class Runner
{
    public static int Main(string[] args)
    {
        int result = 0;
        foreach (string scenario in args) {
            int r = ClrHostTask.Examples.Scenarios.Run(scenario);
            if (r != 0)
                result = r;
        }
        return result;
    }
}
