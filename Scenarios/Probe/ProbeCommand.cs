using System.Globalization;
using System.Text;
using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Cli;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Probe;

/// <summary>
/// <c>tlbsim probe</c>: measures the host's own primitives and writes <c>machine-&lt;host&gt;.yaml</c>, a machine
/// preset (<c>machine: {preset_file: ...}</c>) whose every value says where it came from, with the raw
/// measurements under <c>measured</c>; <c>tlbsim probe --check FILE</c> runs the same loops in simulation on
/// that preset and prints measured against simulated.
/// <para>
/// Inputs and checks, decided once: the syscall round trip, the 1-thread MADV_DONTNEED loop (which sets
/// kernel.anon_fault as the Haswell calibration does: loop less syscall, zap and INVLPG), the 1-thread
/// mprotect pair (kernel.mprotect_fixup) and, in a guest, the 2-thread MADV_DONTNEED loop (its increment over
/// the simulated bare-metal increment is the guest's IPI cost, split evenly between guest_icr_exit and
/// guest_delivery_extra since one loop cannot tell them apart) are inputs; every other figure (the fault
/// measured alone, the loops on more threads, the processes variant, the mprotect pair on several threads,
/// the mmap/munmap loop) is a check.
/// </para>
/// </summary>
public static class ProbeCommand
{
    /// <summary>Iterations per run of a loop.</summary>
    public const int LoopIterations = 20_000;

    /// <summary>Runs the probe and writes the preset file; returns the exit code.</summary>
    public static int Execute(string? outFile, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!OperatingSystem.IsLinux())
        {
            error.WriteLine("tlbsim probe measures a Linux host; this is not one");
            return CheckAndList.BadInput;
        }
        var host = HostFacts.Read();
        outFile ??= $"machine-{Sanitize(host.Host)}.yaml";
        try
        {
            // Where the preset goes is checked before 20 s of benchmarks, not after.
            if (Path.GetDirectoryName(Path.GetFullPath(outFile)) is { Length: > 0 } dir)
                Directory.CreateDirectory(dir);
            File.WriteAllText(outFile, "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"--out {outFile}: cannot write it: {e.Message}");
            return CheckAndList.BadInput;
        }
        output.WriteLine($"probing {host.Host}: {host.Model}, {host.Cpus} CPUs ({host.Sockets} socket(s) x {host.CoresPerSocket} cores x {host.ThreadsPerCore} threads), Linux {host.Kernel}, cpuidle {host.IdleDriver}{(host.Hypervisor ? ", a guest" : "")}");
        output.WriteLine("micro-benchmarks through libc (P/Invoke), each pinned with sched_setaffinity, repeated until the median is stable:");
        var m = new List<Measurement>();
        void Add(Measurement x)
        {
            m.Add(x);
            output.WriteLine($"  {x.What,-58} {x.Summary}");
        }
        HostProbe.Pin(0);
        Add(HostProbe.Repeat("syscall_round_trip", "syscall round trip (getppid)", () => HostProbe.SyscallRoundTrip(), cancel));
        Add(HostProbe.Repeat("anon_write_fault", "anonymous write fault, per page", () => HostProbe.AnonWriteFault(), cancel));
        for (int t = 1; t <= host.Cpus && !cancel.IsCancellationRequested; t++)
        {
            int threads = t;
            Add(HostProbe.Repeat($"madvise_loop_threads_{t}", $"MADV_DONTNEED loop, {t} thread(s) of one process, per loop", () => HostProbe.ThreadsLoop("madvise", threads, LoopIterations), cancel));
        }
        for (int t = 2; t <= host.Cpus && !cancel.IsCancellationRequested; t++)
        {
            var runs = HostProbe.ProcessesLoop(t, LoopIterations / 4, seconds: 2);
            if (runs.Count > 0)
                Add(new Measurement($"madvise_loop_processes_{t}", $"MADV_DONTNEED loop, {t} processes, per loop", HostProbe.Quantile(runs, 0.5), HostProbe.Quantile(runs, 0.1), HostProbe.Quantile(runs, 0.9), runs.Count));
            else
                error.WriteLine($"  the {t}-process loop gave no run inside its window; skipped");
        }
        for (int t = 1; t <= host.Cpus && !cancel.IsCancellationRequested; t++)
        {
            int threads = t;
            Add(HostProbe.Repeat($"mprotect_pair_threads_{t}", $"mprotect pair (read-only, writable), {t} thread(s), per pair", () => HostProbe.ThreadsLoop("mprotect", threads, LoopIterations / 2), cancel));
        }
        Add(HostProbe.Repeat("mmap_touch_munmap", "mmap, write, munmap of one page, per loop", () => HostProbe.MmapTouchMunmap(), cancel));
        if (cancel.IsCancellationRequested)
        {
            error.WriteLine("interrupted: no preset written");
            return 130;
        }
        var measured = m.ToDictionary(x => x.Key);
        var machine = Preset(host, measured, out var notes);
        File.WriteAllText(outFile, Render(host, machine, KernelFor(machine, measured), measured, notes));
        output.WriteLine($"wrote {outFile}; use it as machine: {{preset_file: {outFile}}} and kernel: {{preset_file: {outFile}}}, and compare with: tlbsim probe --check {outFile}");
        return 0;
    }

    /// <summary>The built-in preset the host's preset starts from: the closest by vendor.</summary>
    public static string BasePreset(HostFacts host) => host?.Vendor == "AuthenticAMD" ? "milan_1s" : "skylake_sp_2s";

    // The machine the measurements describe, and for each value where it came from.
    private static MachineParams Preset(HostFacts host, Dictionary<string, Measurement> measured, out Dictionary<string, string> notes)
    {
        notes = [];
        var basis = MachinePresets.All[BasePreset(host)];
        var idle = host.IdleStates.Count == 0 ? basis.Cpu.IdleStates : host.IdleStates.Select(s => new IdleState
        {
            Name = s.Name, ExitLatency = Duration.FromMicroseconds(s.LatencyUs), TargetResidency = Duration.FromMicroseconds(s.ResidencyUs), Polling = s.Polling,
        }).ToArray();
        var syscall = measured["syscall_round_trip"];
        var machine = basis with
        {
            Topology = new TopologyParams { Sockets = host.Sockets, CoresPerSocket = host.CoresPerSocket, ThreadsPerCore = host.ThreadsPerCore },
            Cpu = basis.Cpu with
            {
                Frequency = host.MHz > 0 ? Frequency.Parse(string.Create(CultureInfo.InvariantCulture, $"{host.MHz / 1000:0.###}GHz")) : basis.Cpu.Frequency,
                Pti = host.Pti,
                SyscallRoundTrip = Duration.FromNanoseconds(Math.Max(1, Math.Round(syscall.MedianNs))),
                IdleStates = idle,
            },
            Tlb = basis.Tlb with { Invpcid = host.Invpcid },
            Virtualized = host.Hypervisor,
        };
        notes["topology"] = "read: /sys/devices/system/cpu/cpu*/topology";
        notes["frequency"] = "read: cpu MHz in /proc/cpuinfo";
        notes["pti"] = "read: the pti flag in /proc/cpuinfo";
        notes["invpcid"] = "read: the invpcid flag in /proc/cpuinfo";
        notes["idle_states"] = $"read: /sys/devices/system/cpu/cpu0/cpuidle (driver {host.IdleDriver})";
        notes["syscall_round_trip"] = $"measured: getppid through syscall(2), {syscall.Summary}";
        notes["virtualized"] = "read: the hypervisor flag in /proc/cpuinfo";
        if (host.Hypervisor && measured.TryGetValue("madvise_loop_threads_2", out var two))
        {
            // The guest's IPI cost: the measured 2-thread increment over the bare-metal simulated one.
            var kernel = KernelFor(machine, measured);
            var bare = machine with { Virtualized = false };
            double simulated = SimulatedNsPerLoop(bare, kernel, SyscallLoop.Madvise, 2, false) - SimulatedNsPerLoop(bare, kernel, SyscallLoop.Madvise, 1, false);
            double increment = two.MedianNs - measured["madvise_loop_threads_1"].MedianNs;
            double guest = Math.Max(0, increment - simulated);
            machine = machine with { GuestIcrExit = Duration.FromNanoseconds(Math.Round(guest / 2)), GuestDeliveryExtra = Duration.FromNanoseconds(Math.Round(guest / 2)) };
            string how = string.Create(CultureInfo.InvariantCulture,
                $"measured: (the 2-thread MADV_DONTNEED loop's increment over 1 thread, {increment:0} ns, less the simulated bare-metal increment, {simulated:0} ns) / 2");
            notes["guest_icr_exit"] = how;
            notes["guest_delivery_extra"] = how;
        }
        return machine;
    }

    /// <summary>The kernel costs the 1-thread loops set: anon_fault and mprotect_fixup, derived as the calibration derives them.</summary>
    public static KernelParams KernelFor(MachineParams machine, IReadOnlyDictionary<string, Measurement> measured)
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(measured);
        var k = new KernelParams();
        double syscall = machine.Cpu.SyscallRoundTrip.TotalNanoseconds, invlpg = machine.Tlb.Invlpg.TotalNanoseconds;
        double anon = measured["madvise_loop_threads_1"].MedianNs - syscall - k.ZapPerPage.TotalNanoseconds - invlpg;
        double fixup = measured["mprotect_pair_threads_1"].MedianNs / 2 - syscall - k.ProtectPerPage.TotalNanoseconds - invlpg;
        return k with
        {
            AnonFault = Duration.FromNanoseconds(Math.Max(k.LruPerFolio.TotalNanoseconds, Math.Round(anon))),
            MprotectFixup = Duration.FromNanoseconds(Math.Max(0, Math.Round(fixup))),
        };
    }

    /// <summary>ns per loop per thread of a simulated loop on <paramref name="threads"/> CPUs.</summary>
    public static double SimulatedNsPerLoop(MachineParams machine, KernelParams kernel, SyscallLoop loop, int threads, bool processes, long seed = 1)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var preset = loop switch { SyscallLoop.Mprotect => "mprotect_loop", SyscallLoop.Munmap => "munmap_loop", _ => "madvise_loop" };
        var spec = new RunSpec
        {
            Machine = machine,
            Kernel = kernel,
            Workload = WorkloadPresets.All[preset] with { LoopThreads = threads, LoopProcesses = processes },
            MechanismParams = new MechanismParams(),
            Operations = new OperationParams { Rate = 0 },
            Mechanism = "baseline",
            Design = () => Designs.Builtin.Create("baseline"),
            Duration = Duration.FromMilliseconds(5),
            Warmup = Duration.FromMilliseconds(1),
            Seed = seed,
            Check = false,
        };
        var o = Experiment.Run(spec, new Discard());
        return o.Loops == 0 ? double.NaN : o.Seconds * 1e9 * o.LoopThreads / o.Loops;
    }

    private static string Render(HostFacts host, MachineParams machine, KernelParams kernel, Dictionary<string, Measurement> measured, Dictionary<string, string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        string D(Duration d) => string.Create(inv, $"{d.TotalNanoseconds:0.##}ns");
        var sb = new StringBuilder();
        sb.Append(inv, $"# tlbsim probe of {host.Host}: {host.Model}, {host.Cpus} CPUs, Linux {host.Kernel}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.\n");
        sb.Append("# A machine preset: name it as machine: {preset_file: <this file>}. Values not set here come from the base\n");
        sb.Append("# preset; each value set here says whether it was read from the host or measured, and how. 'measured'\n");
        sb.Append("# holds every benchmark's raw result (median, p10, p90, runs in ns); tlbsim probe --check reads it.\n");
        sb.Append("machine:\n");
        sb.Append(inv, $"  preset: {BasePreset(host)}  # base: the built-in preset closest to this host by vendor\n");
        sb.Append(inv, $"  topology: {{sockets: {machine.Topology.Sockets}, cores_per_socket: {machine.Topology.CoresPerSocket}, threads_per_core: {machine.Topology.ThreadsPerCore}}}  # {notes["topology"]}\n");
        sb.Append(inv, $"  virtualized: {(machine.Virtualized ? "true" : "false")}  # {notes["virtualized"]}\n");
        if (notes.TryGetValue("guest_icr_exit", out var guest))
        {
            sb.Append(inv, $"  guest_icr_exit: {D(machine.GuestIcrExit)}  # {guest}\n");
            sb.Append(inv, $"  guest_delivery_extra: {D(machine.GuestDeliveryExtra)}  # {guest}\n");
        }
        sb.Append("  cpu:\n");
        sb.Append(inv, $"    frequency: {machine.Cpu.Frequency}  # {notes["frequency"]}\n");
        sb.Append(inv, $"    pti: {(machine.Cpu.Pti ? "true" : "false")}  # {notes["pti"]}\n");
        sb.Append(inv, $"    syscall_round_trip: {D(machine.Cpu.SyscallRoundTrip)}  # {notes["syscall_round_trip"]}\n");
        sb.Append(inv, $"    idle_states:  # {notes["idle_states"]}\n");
        foreach (var s in machine.Cpu.IdleStates)
            sb.Append(inv, $"      - {{name: {s.Name}, exit_latency: {D(s.ExitLatency)}, target_residency: {D(s.TargetResidency)}, polling: {(s.Polling ? "true" : "false")}}}\n");
        sb.Append(inv, $"  tlb: {{invpcid: {(machine.Tlb.Invpcid ? "true" : "false")}}}  # {notes["invpcid"]}\n");
        sb.Append("kernel:  # the costs the 1-thread loops set, derived as the calibration derives them (kernel: {preset_file: <this file>})\n");
        sb.Append(inv, $"  anon_fault: {D(kernel.AnonFault)}  # measured: the 1-thread MADV_DONTNEED loop less the syscall round trip, zap_per_page and one INVLPG\n");
        sb.Append(inv, $"  mprotect_fixup: {D(kernel.MprotectFixup)}  # measured: half the 1-thread mprotect pair less the syscall round trip, protect_per_page and one INVLPG\n");
        sb.Append("measured:\n");
        foreach (var x in measured.Values)
            sb.Append(inv, $"  {x.Key}: {{median_ns: {x.MedianNs:0.##}, p10_ns: {x.P10Ns:0.##}, p90_ns: {x.P90Ns:0.##}, runs: {x.Runs}}}  # {x.What}\n");
        return sb.ToString();
    }

    /// <summary>
    /// <c>tlbsim probe --check FILE</c>: the probed preset in simulation, loop by loop, against the measurements;
    /// returns 0, or 2 when the file is unusable.
    /// </summary>
    public static int Check(string file, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!File.Exists(file))
        {
            error.WriteLine($"{file}: no such file (write one with tlbsim probe --out {file})");
            return CheckAndList.BadInput;
        }
        MachineParams machine;
        KernelParams? fileKernel;
        Dictionary<string, Measurement> measured;
        try
        {
            string full = Path.GetFullPath(file);
            var root = ScenarioLoader.ReadYamlFile(full);
            measured = ReadMeasured(root);
            string quoted = full.Replace("'", "''", StringComparison.Ordinal);
            bool hasKernel = root.Get("kernel") is not null;
            var loaded = ScenarioLoader.Parse($"scenarios:\n  - name: probe\n    machine: {{preset_file: '{quoted}'}}\n{(hasKernel ? $"    kernel: {{preset_file: '{quoted}'}}\n" : "")}", full);
            machine = loaded.Scenarios[0].Points[0].Settings.Machine;
            fileKernel = hasKernel ? loaded.Scenarios[0].Points[0].Settings.Kernel : null;
        }
        catch (ScenarioException e)
        {
            foreach (var x in e.Errors)
                error.WriteLine(x);
            return CheckAndList.BadInput;
        }
        string[] needed = ["syscall_round_trip", "madvise_loop_threads_1", "mprotect_pair_threads_1"];
        var missing = needed.Where(k => !measured.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            error.WriteLine($"{file}: 'measured' lacks {string.Join(", ", missing)}; run tlbsim probe again");
            return CheckAndList.BadInput;
        }
        var kernel = fileKernel ?? KernelFor(machine, measured);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {machine.Topology.Cpus} CPUs{(machine.Virtualized ? $", a guest (guest_icr_exit {machine.GuestIcrExit}, guest_delivery_extra {machine.GuestDeliveryExtra})" : "")}; kernel.anon_fault {kernel.AnonFault} and kernel.mprotect_fixup {kernel.MprotectFixup} from the 1-thread loops{(fileKernel is null ? " (derived here: the file has no kernel section)" : " (the file's kernel section)")}"));
        output.WriteLine($"{"loop",-44} {"role",-6} {"measured ns",12} {"p10-p90",15} {"simulated ns",13} {"sim/meas",9} {"interval",13}");
        foreach (var x in measured.Values)
        {
            double sim = Simulate(machine, kernel, x.Key);
            if (double.IsNaN(sim))
                continue;
            bool input = x.Key is "syscall_round_trip" or "madvise_loop_threads_1" or "mprotect_pair_threads_1" || (machine.Virtualized && x.Key == "madvise_loop_threads_2");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{x.What,-44} {(input ? "input" : "check"),-6} {x.MedianNs,12:0} {$"{x.P10Ns:0}-{x.P90Ns:0}",15} {sim,13:0} {sim / x.MedianNs,9:0.00} {$"{sim / x.P90Ns:0.00}-{sim / x.P10Ns:0.00}",13}"));
        }
        output.WriteLine("interval: the ratio against the measurement's p90 and p10 (the host's run-to-run spread); simulated figures are the mean of 3 seeds");
        return 0;
    }

    // The simulated counterpart of a measurement, or NaN when tlbsim has none.
    private static double Simulate(MachineParams machine, KernelParams kernel, string key)
    {
        int Threads(string prefix) => int.Parse(key[prefix.Length..], CultureInfo.InvariantCulture);
        double Mean(SyscallLoop loop, int threads, bool processes) =>
            threads > machine.Topology.Cpus ? double.NaN : Enumerable.Range(1, 3).Average(s => SimulatedNsPerLoop(machine, kernel, loop, threads, processes, s));
        return key switch
        {
            "syscall_round_trip" => machine.Cpu.SyscallRoundTrip.TotalNanoseconds,
            "anon_write_fault" => kernel.AnonFault.TotalNanoseconds,
            "mmap_touch_munmap" => Mean(SyscallLoop.Munmap, 1, false),
            _ when key.StartsWith("madvise_loop_threads_", StringComparison.Ordinal) => Mean(SyscallLoop.Madvise, Threads("madvise_loop_threads_"), false),
            _ when key.StartsWith("madvise_loop_processes_", StringComparison.Ordinal) => Mean(SyscallLoop.Madvise, Threads("madvise_loop_processes_"), true),
            _ when key.StartsWith("mprotect_pair_threads_", StringComparison.Ordinal) => Mean(SyscallLoop.Mprotect, Threads("mprotect_pair_threads_"), false),
            _ => double.NaN,
        };
    }

    private static Dictionary<string, Measurement> ReadMeasured(SettingNode root)
    {
        var result = new Dictionary<string, Measurement>(StringComparer.Ordinal);
        var node = root.Get("measured");
        if (node?.Map is null)
            throw new ScenarioException([new ScenarioError(root.Location, "measured", "the file has no 'measured' section; it was not written by tlbsim probe")]);
        var errors = new List<ScenarioError>();
        string[] fields = ["median_ns", "p10_ns", "p90_ns", "runs"];
        foreach (var (key, value) in node.Map)
        {
            if (Describe(key) == key)
            {
                errors.Add(new ScenarioError(value.KeyLocation, $"measured.{key}", "not a loop tlbsim probe measures (syscall_round_trip, anon_write_fault, madvise_loop_threads_N, madvise_loop_processes_N, mprotect_pair_threads_N, mmap_touch_munmap)"));
                continue;
            }
            foreach (var (field, child) in value.Map ?? [])
            {
                if (!fields.Contains(field))
                    errors.Add(new ScenarioError(child.KeyLocation, $"measured.{key}.{field}", $"unknown key '{field}'{Suggest.DidYouMean(field, fields)}"));
            }
            double Num(string k) => double.TryParse(value.Get(k)?.Scalar, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v >= 0
                ? v : throw new ScenarioException([new ScenarioError(value.Location, $"measured.{key}.{k}", "expected a non-negative number")]);
            try
            {
                result[key] = new Measurement(key, Describe(key), Num("median_ns"), Num("p10_ns"), Num("p90_ns"), (int)Num("runs"));
            }
            catch (ScenarioException e)
            {
                errors.AddRange(e.Errors);
            }
        }
        if (errors.Count > 0)
            throw new ScenarioException(errors);
        return result;
    }

    private static string Describe(string key) => key switch
    {
        "syscall_round_trip" => "syscall round trip",
        "anon_write_fault" => "anonymous write fault (alone)",
        "mmap_touch_munmap" => "mmap, write, munmap, 1 thread",
        _ when Counted(key, "madvise_loop_threads_") => $"MADV_DONTNEED loop, {key["madvise_loop_threads_".Length..]} thread(s)",
        _ when Counted(key, "madvise_loop_processes_") => $"MADV_DONTNEED loop, {key["madvise_loop_processes_".Length..]} processes",
        _ when Counted(key, "mprotect_pair_threads_") => $"mprotect pair, {key["mprotect_pair_threads_".Length..]} thread(s)",
        _ => key,
    };

    private sealed class Discard : IRunObserver
    {
        public void Operation(int kind, Duration latency)
        {
        }

        public void Sample(Duration time, string metric, double value)
        {
        }
    }

    private static bool Counted(string key, string prefix) =>
        key.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(key[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 8192;

    private static string Sanitize(string host) => new([.. host.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
}
