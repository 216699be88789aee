using System.Text;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Cli;

/// <summary><c>tlbsim check</c> and <c>tlbsim list</c>.</summary>
public static class CheckAndList
{
    /// <summary>Exit code for bad input: a scenario that cannot be loaded, a bad option.</summary>
    public const int BadInput = 2;

    /// <summary>Validates every file; prints every located error. 0 when all load, 2 otherwise.</summary>
    public static int Check(IReadOnlyList<string> files, IReadOnlyList<string> sets, TextWriter output, TextWriter error)
    {
        int code = 0;
        foreach (var file in files)
        {
            try
            {
                var loaded = ScenarioLoader.Load(file, sets);
                int points = loaded.Scenarios.Sum(s => s.Points.Count);
                long runs = Running.Runner.MaxRuns(loaded);
                if (runs > Running.Runner.MaxPlannedRuns)
                {
                    error.WriteLine($"{file}: the plan asks for up to {runs:N0} runs (precision caps included); at most {Running.Runner.MaxPlannedRuns:N0} are allowed");
                    code = BadInput;
                    continue;
                }
                output.WriteLine($"{file}: ok ({loaded.Scenarios.Count} scenarios, {points} sweep points, {Cost(loaded)})");
            }
            catch (ScenarioException e)
            {
                foreach (var err in e.Errors)
                    error.WriteLine(err);
                error.WriteLine($"{file}: {e.Errors.Count} error{(e.Errors.Count == 1 ? "" : "s")}");
                code = BadInput;
            }
        }
        return code;
    }

    /// <summary>Lists scenarios, their sweep points, mechanisms and replications.</summary>
    public static int List(string file, IReadOnlyList<string> sets, TextWriter output, TextWriter error)
    {
        ScenarioFile loaded;
        try
        {
            loaded = ScenarioLoader.Load(file, sets);
        }
        catch (ScenarioException e)
        {
            foreach (var err in e.Errors)
                error.WriteLine(err);
            return BadInput;
        }
        var sb = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        long runs = 0;
        foreach (var s in loaded.Scenarios)
        {
            var first = s.Points[0].Settings;
            sb.WriteLine($"{s.Name}: {s.Points.Count} sweep point(s) x {first.Mechanisms.Count} mechanism(s) x {first.Replications} replication(s)");
            if (first.Description.Length > 0)
                sb.WriteLine($"  {first.Description}");
            sb.WriteLine($"  mechanisms: {string.Join(", ", first.Mechanisms)}");
            foreach (var m in first.Mechanisms.Where(m => loaded.Designs.Sequence(m.Design) is { } seq && seq.DefinedAt.StartsWith(loaded.Path, StringComparison.Ordinal)).Select(m => m.Design).Distinct())
                sb.WriteLine($"  design {m} (defined in this file): {loaded.Designs.KernelPath(m)}");
            if (first.Crossover.A.Length > 0)
            {
                var q = first.Crossover;
                sb.WriteLine($"  crossover question: where {q.A} and {q.B} cross on {ParamReflection.Snake(q.Metric.ToString())} along {q.Along} from {q.From} to {q.To} (tlbsim crossover {file})");
            }
            sb.WriteLine($"  duration {first.Duration} after {first.Warmup} warm-up, seed {first.Seed}, tlb model {ParamReflection.Format(first.TlbModel)}");
            foreach (var p in s.Points)
            {
                string assignments = p.Assignments.Count == 0 ? "(no sweep)" : string.Join(", ", p.Assignments.Select(a => $"{a.Key}={a.Value}"));
                sb.WriteLine($"  point {p.Index}: {assignments} -> {p.Settings.Machine.Topology.Cpus} CPUs");
                runs += (long)p.Settings.RunMechanisms.Count * p.Settings.Replications;
            }
        }
        long most = Running.Runner.MaxRuns(loaded);
        sb.WriteLine(most > runs ? $"{runs} runs in all, up to {most} with the precision targets' extra replications" : $"{runs} runs in all");
        sb.WriteLine(Cost(loaded));
        output.Write(sb.ToString());
        if (most > Running.Runner.MaxPlannedRuns)
        {
            error.WriteLine($"{file}: the plan asks for up to {most:N0} runs; at most {Running.Runner.MaxPlannedRuns:N0} are allowed");
            return BadInput;
        }
        return 0;
    }

    /// <summary>
    /// Simulated CPU-seconds per wall-clock second of one job, measured with the product benchmark on the
    /// canonical study (bench/README.md: 54 with 2 jobs, so 27 per job); global-flush designs at hundreds of
    /// CPUs run several times slower (xpfo at 256 CPUs: 3.9), so the estimate is a lower bound for them.
    /// </summary>
    public const double SimulatedCpuSecondsPerWallSecond = 27;

    /// <summary>The plan's simulated CPU-seconds and a rough wall time at the measured throughput.</summary>
    public static string Cost(ScenarioFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        double cpuSeconds = 0;
        foreach (var p in file.Scenarios.SelectMany(s => s.Points))
        {
            var st = p.Settings;
            long mechanisms = st.RunMechanisms.Count;
            cpuSeconds += mechanisms * st.Replications * (st.Duration + st.Warmup).TotalSeconds * st.Machine.Topology.Cpus;
        }
        double wall = cpuSeconds / SimulatedCpuSecondsPerWallSecond;
        string Time(double s) => s < 120 ? $"{s:F0} s" : s < 7200 ? $"{s / 60:F0} min" : $"{s / 3600:F1} h";
        return $"{cpuSeconds:N0} simulated CPU-seconds: about {Time(wall)} on one job, {Time(wall / Environment.ProcessorCount)} with --jobs {Environment.ProcessorCount} (more for global-flush designs at hundreds of CPUs)";
    }
}
