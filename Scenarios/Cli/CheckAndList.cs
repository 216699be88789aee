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
                output.WriteLine($"{file}: ok ({loaded.Scenarios.Count} scenarios, {points} sweep points)");
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
            sb.WriteLine($"  duration {first.Duration} after {first.Warmup} warm-up, seed {first.Seed}, tlb model {ParamReflection.Format(first.TlbModel)}");
            foreach (var p in s.Points)
            {
                string assignments = p.Assignments.Count == 0 ? "(no sweep)" : string.Join(", ", p.Assignments.Select(a => $"{a.Key}={a.Value}"));
                sb.WriteLine($"  point {p.Index}: {assignments} -> {p.Settings.Machine.Topology.Cpus} CPUs");
                runs += (long)(p.Settings.Mechanisms.Count + (p.Settings.Mechanisms.Contains("baseline") ? 0 : 1)) * p.Settings.Replications;
            }
        }
        sb.WriteLine($"{runs} runs in all");
        output.Write(sb.ToString());
        return 0;
    }
}
