using Xunit;

namespace TlbSim.Tests;

/// <summary>
/// A test that runs a program from outside .NET (GNU parallel, Slurm with munge, Chromium, perf). Where a
/// program is missing the test is skipped with a one-line reason naming the Debian package that provides it,
/// so that <c>dotnet test Sim.sln</c> passes on a machine with only the .NET SDK. Under
/// <c>TLBSIM_REQUIRE_EXTERNAL=1</c> (set by .ci/run after it installs the packages) nothing is skipped: the test
/// runs, and its own check of the program fails it with the same reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NeedsProgramsFactAttribute : FactAttribute
{
    /// <summary>The environment variable under which a missing program fails instead of skipping.</summary>
    public const string Require = "TLBSIM_REQUIRE_EXTERNAL";

    /// <summary>A test that needs every one of <paramref name="programs"/>, all from the Debian package(s) <paramref name="package"/>.</summary>
    public NeedsProgramsFactAttribute(string package, params string[] programs)
    {
        ArgumentNullException.ThrowIfNull(programs);
        if (Required)
            return;
        var missing = programs.Where(p => Find(p) is null).ToList();
        if (missing.Count > 0)
            Skip = $"needs {string.Join(", ", missing)}: apt-get install {package} (.ci/run installs it and sets {Require}=1, under which this test runs)";
    }

    /// <summary>The test must also run as root (a single-node Slurm's slurmd, perf's tracepoints); skipped otherwise, with the reason.</summary>
    public bool AsRoot
    {
        get => _asRoot;
        set
        {
            _asRoot = value;
            if (value && !Required && Skip is null && Environment.UserName != "root")
                Skip = "needs root (as .ci/run runs the tests on a fresh machine)";
        }
    }

    private bool _asRoot;

    /// <summary>Whether missing programs fail the tests that need them (<see cref="Require"/> is 1).</summary>
    public static bool Required => Environment.GetEnvironmentVariable(Require) == "1";

    /// <summary>The first <paramref name="program"/> on PATH (or in /usr/sbin and /sbin, where Debian puts daemons), if any.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"])
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>The first of <paramref name="programs"/> found, for a test that accepts any of several names.</summary>
    public static string? FindAny(params string[] programs) => programs.Select(Find).FirstOrDefault(p => p is not null);
}
