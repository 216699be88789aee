using System.Text;
using TlbSim.Model.Hardware;
using TlbSim.Model.Mechanisms.Sequences;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Cli;

/// <summary>
/// <c>tlbsim describe [NAME]</c>: every parameter (default, unit, description, source), mechanism and preset,
/// printed from the declarations themselves. NAME narrows it to a section ("machine.tlb"), a parameter
/// ("kernel.policy"), a design ("xpfo"), a primitive of design sequences ("set_memory_ro", or
/// "primitives" for all of them) or a preset ("kernel_build").
/// </summary>
public static class Describe
{
    private const string CpusLine = "  machine.cpus = (from the topology) [cpus]: total logical CPUs; sets cores_per_socket = cpus / (sockets x threads_per_core)";

    /// <summary>
    /// The description of <paramref name="name"/> (everything when null): a section, parameter, mechanism or
    /// preset by name, or else every entry whose text mentions it ("describe ipi"); null when nothing matches.
    /// </summary>
    public static string? Text(string? name)
    {
        if (name == "machine.cpus")
            return "Parameters (scenario key path = default [unit]: description. Source)\n" + CpusLine + "\n";
        var exact = Exact(name);
        // A mechanism comes with the parameters that mention it (static_key: its sites, batching, site rate...).
        if (exact is not null && name is not null && Designs.Builtin.Contains(name) && Search(name) is { } related)
            return exact + "\n" + related;
        return exact ?? Search(name!);
    }

    /// <summary>Every parameter, mechanism and preset line that mentions <paramref name="word"/>, case-insensitively.</summary>
    private static string? Search(string word)
    {
        var everything = Exact(null)!;
        var hits = everything.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Contains(word, StringComparison.OrdinalIgnoreCase)).ToList();
        if (hits.Count == 0)
            return null;
        return $"Everything that mentions '{word}' ({hits.Count}):\n" + string.Join("\n", hits.Select(h => h.TrimEnd())) + "\n";
    }

    private static string? Exact(string? name)
    {
        var sb = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        bool any = false;
        if (name is null || name == "parameters" || ScenarioLoader.AllPaths().Any(p => p == name || p.StartsWith(name + ".", StringComparison.Ordinal)))
        {
            sb.WriteLine("Parameters (scenario key path = default [unit]: description. Source)");
            foreach (var line in Parameters(typeof(ScenarioSettings), new ScenarioSettings(), ""))
            {
                if (name is null || name == "parameters" || line.Path == name || line.Path.StartsWith(name + ".", StringComparison.Ordinal))
                {
                    sb.WriteLine(line.Text);
                    any = true;
                }
            }
            sb.WriteLine(CpusLine);
            sb.WriteLine();
        }
        var designs = Designs.Builtin;
        var mechanisms = designs.Names.Where(m => name is null || name is "mechanisms" or "designs" || m == name).ToList();
        if (mechanisms.Count > 0)
        {
            sb.WriteLine("Designs (name [where defined]: kernel path)");
            foreach (var m in mechanisms)
            {
                sb.WriteLine($"  {m} [{(designs.Sequence(m) is null ? "C# class" : "designs.yaml")}]: {designs.KernelPath(m)}");
                if (name == m && designs.Sequence(m) is { Description.Length: > 0 } sequence)
                    sb.WriteLine($"    {sequence.Description}");
            }
            sb.WriteLine();
            any = true;
        }
        var primitives = Primitives.All.Where(p => name is null || name == "primitives" || p.Name == name).ToList();
        if (primitives.Count > 0 || name is null || name == "primitives")
        {
            sb.WriteLine("Primitives of design sequences (name(arguments = default) -> kernel function: what it does. Costs)");
            foreach (var p in primitives)
            {
                string args = string.Join(", ", p.Args.Select(a => $"{a.Name} = {a.Default}{(a.Choices is null ? "" : $" ({string.Join("|", a.Choices)})")}"));
                sb.WriteLine($"  {p.Name}({args}) -> {p.KernelFunction}: {p.Description}. Costs: {p.Costs}");
            }
            if (name is null || name == "primitives")
            {
                sb.WriteLine("  Blocks: repeat {times, steps}; every {n, steps} (the nth, 2nth... call); once [steps] (first call only); when {param, is, steps, else} (a mechanism option or design param);");
                sb.WriteLine("          irqs_off [steps] (local_irq_save ... local_irq_restore); text_mutex [steps] (mutex_lock(text_mutex) ... mutex_unlock).");
                sb.WriteLine("  Numbers: a whole number, a whole-number mechanism parameter (rare_alloc_pages) or one of the design's params.");
                foreach (var (hook, text) in Primitives.Hooks)
                    sb.WriteLine($"  hook {hook}: {text}");
            }
            sb.WriteLine();
            any = true;
        }
        var machines = MachinePresets.All.Where(kv => name is null || name == "presets" || kv.Key == name).ToList();
        var workloads = WorkloadPresets.All.Where(kv => name is null || name == "presets" || kv.Key == name).ToList();
        if (machines.Count + workloads.Count > 0)
        {
            sb.WriteLine("Presets (machine.preset / workload.preset; values that differ from the declared defaults)");
            foreach (var (n, preset) in machines)
            {
                sb.WriteLine($"  machine {n}: {preset.Topology.Cpus} CPUs ({preset.Topology.Sockets} socket(s) x {preset.Topology.CoresPerSocket} cores x {preset.Topology.ThreadsPerCore} threads), {preset.Cpu.Frequency}, {preset.Memory}. Source: {MachinePresets.Sources[n]}");
                foreach (var d in Differences(typeof(TlbSim.Model.Hardware.MachineParams), new TlbSim.Model.Hardware.MachineParams(), preset, "machine"))
                    sb.WriteLine($"    {d}");
            }
            foreach (var (n, preset) in workloads)
            {
                sb.WriteLine($"  workload {n}:");
                foreach (var d in Differences(typeof(WorkloadParams), new WorkloadParams(), preset, "workload"))
                    sb.WriteLine($"    {d}");
            }
            any = true;
        }
        return any ? sb.ToString() : null;
    }

    private static IEnumerable<(string Path, string Text)> Parameters(Type type, object instance, string prefix)
    {
        foreach (var p in ParamReflection.Params(type))
        {
            string path = prefix.Length == 0 ? p.Key : $"{prefix}.{p.Key}";
            var value = p.Property.GetValue(instance);
            if (p.IsSection)
            {
                foreach (var inner in Parameters(p.Type, value!, path))
                    yield return inner;
                continue;
            }
            string shown = value is IEnumerable<object> list
                ? "[" + string.Join(", ", list.Select(Summarise)) + "]"
                : ParamReflection.Format(value);
            string unit = p.Unit.Length > 0 ? $" [{p.Unit}]" : "";
            string source = p.Declaration?.Source is { Length: > 0 } s ? $" Source: {s}" : "";
            if (p.Declaration is { Low.Length: > 0 } ranged)
                source += $" Range (tlbsim sensitivity): {ranged.Low} to {ranged.High}.";
            yield return (path, $"  {path} = {shown}{unit}: {p.Declaration?.Description}.{source}");
        }
    }

    private static string Summarise(object item) => item switch
    {
        IdleState s => $"{s.Name} {s.ExitLatency}/{s.TargetResidency}{(s.FlushesTlb ? " flushes TLB" : "")}",
        _ => ParamReflection.Format(item),
    };

    private static IEnumerable<string> Differences(Type type, object baseline, object preset, string prefix)
    {
        foreach (var p in ParamReflection.Params(type))
        {
            var a = p.Property.GetValue(baseline);
            var b = p.Property.GetValue(preset);
            string path = $"{prefix}.{p.Key}";
            if (p.IsSection)
            {
                foreach (var d in Differences(p.Type, a!, b!, path))
                    yield return d;
            }
            else if (b is IEnumerable<object> list)
            {
                string text = string.Join(", ", list.Select(Summarise));
                if (text != string.Join(", ", ((IEnumerable<object>)a!).Select(Summarise)))
                    yield return $"{path} = [{text}]";
            }
            else if (!Equals(a, b))
            {
                yield return $"{path} = {ParamReflection.Format(b)}";
            }
        }
    }
}
