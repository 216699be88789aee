using System.Diagnostics;
using System.Globalization;
using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;

namespace TlbSim.Bench;

/// <summary>
/// The product benchmark: fixed cases run in-process as a user runs them, timed with a Stopwatch, reporting
/// wall time, events, bytes allocated per event, collections, and simulated CPU-seconds per wall-clock
/// second (simulated time, warm-up included, times CPUs, divided by wall time): the figure a user feels.
/// </summary>
public static class Product
{
    /// <summary>The cases by name.</summary>
    public static IReadOnlyDictionary<string, Func<Measurement>> Cases { get; } = new Dictionary<string, Func<Measurement>>(StringComparer.Ordinal)
    {
        ["xpfo256"] = () => Single("xpfo immediate, 256 CPUs, kernel_build, 10 ms", Spec("xpfo", cores: 64, ms: 10)),
        ["rare_alloc1024"] = () => Single("rare_alloc, 1024 CPUs, kernel_build, 10 ms", Spec("rare_alloc", cores: 256, ms: 10)),
        ["xpfo256long"] = () => Single("xpfo immediate, 256 CPUs, kernel_build, 40 ms", Spec("xpfo", cores: 64, ms: 40)),
        ["xpfo1024"] = () => Single("xpfo immediate, 1024 CPUs, kernel_build, 12 ms", Spec("xpfo", cores: 256, ms: 12)),
        ["canonical"] = Canonical,
    };

    /// <summary>One measured case.</summary>
    public sealed record Measurement(string Case, double WallSeconds, long Events, long Bytes, int Collections, double SimulatedCpuSeconds)
    {
        /// <summary>One line of the report.</summary>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Case}: wall {WallSeconds:F2} s, {Events:N0} events ({Events / WallSeconds / 1e6:F2}M/s, {WallSeconds * 1e9 / Math.Max(1, Events):F0} ns/event), " +
            $"{(double)Bytes / Math.Max(1, Events):F1} bytes/event, {Collections} gen0 collections, {SimulatedCpuSeconds / WallSeconds:F3} simulated CPU-s per wall-s");
    }

    /// <summary>Runs the named cases (all but xpfo1024 when none is named); the short ones run twice, a warm-up and then the measured run.</summary>
    public static void Run(IReadOnlyList<string> names)
    {
        var chosen = names.Count > 0 ? names : Cases.Keys.Where(k => k != "xpfo1024").ToList();
        foreach (var name in chosen)
        {
            if (!Cases.TryGetValue(name, out var run))
            {
                Console.Error.WriteLine($"unknown case '{name}'; cases: {string.Join(", ", Cases.Keys)}");
                return;
            }
            if (name is "xpfo256" or "rare_alloc1024")
                run(); // JIT and caches warm (the long cases warm up within themselves)
            Console.WriteLine(run());
        }
    }

    /// <summary>Runs one case once, unwarmed, and returns its measurement.</summary>
    public static Measurement Measured(string name) => Cases[name]();

    private static RunSpec Spec(string mechanism, int cores, double ms) => new()
    {
        Machine = MachinePresets.SkylakeSp2s with { Topology = new TopologyParams { Sockets = 2, CoresPerSocket = cores, ThreadsPerCore = 2 } },
        Kernel = new KernelParams(),
        Workload = WorkloadPresets.KernelBuild,
        MechanismParams = new MechanismParams { XpfoPolicy = XpfoFlushPolicy.Immediate },
        Operations = new OperationParams { Rate = 2000, Initiators = 1 },
        Mechanism = mechanism,
        Design = () => TlbSim.Scenarios.Loading.Designs.Builtin.Create(mechanism),
        Duration = Duration.FromMilliseconds(ms),
        Warmup = Duration.FromMilliseconds(1),
        Seed = 1,
    };

    private static Measurement Single(string label, RunSpec spec) => Measure(label, () =>
    {
        var outcome = Experiment.Run(spec, new Discard());
        return (outcome.Events, (spec.Duration + spec.Warmup).TotalSeconds * outcome.Cpus);
    });

    private static Measurement Canonical()
    {
        string path = Path.Combine(RepositoryRoot(), "scenarios.yaml");
        var units = Runner.Plan(ScenarioLoader.Load(path));
        return Measure($"canonical study ({units.Count} runs, 2 jobs)", () =>
        {
            var records = Runner.ExecuteAll(units, jobs: 2);
            double cpuSeconds = units.Sum(u => (u.Spec.Duration + u.Spec.Warmup).TotalSeconds * u.Spec.Machine.Topology.Cpus);
            return (records.Sum(r => r.Outcome.Events), cpuSeconds);
        });
    }

    private static Measurement Measure(string label, Func<(long Events, double CpuSeconds)> body)
    {
        GC.Collect();
        long bytes = GC.GetTotalAllocatedBytes(precise: true);
        int collections = GC.CollectionCount(0);
        var sw = Stopwatch.StartNew();
        var (events, cpuSeconds) = body();
        sw.Stop();
        return new Measurement(label, sw.Elapsed.TotalSeconds, events, GC.GetTotalAllocatedBytes(precise: true) - bytes, GC.CollectionCount(0) - collections, cpuSeconds);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "scenarios.yaml")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository: scenarios.yaml not found above " + AppContext.BaseDirectory);
    }

    private sealed class Discard : IRunObserver
    {
        public void Operation(int kind, Duration latency)
        {
        }

        public void Sample(Duration time, string metric, double value)
        {
        }
    }
}
