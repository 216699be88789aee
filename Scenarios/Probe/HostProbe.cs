using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace TlbSim.Scenarios.Probe;

/// <summary>One measured quantity: the median over runs and its spread.</summary>
public sealed record Measurement(string Key, string What, double MedianNs, double P10Ns, double P90Ns, int Runs)
{
    /// <summary>"median ns (p10-p90, N runs)".</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"{MedianNs:0.#} ns (p10 {P10Ns:0.#}, p90 {P90Ns:0.#}, {Runs} runs)");
}

/// <summary>What the host is: read from /proc and /sys.</summary>
public sealed record HostFacts(string Host, string Kernel, string Model, string Vendor, int Cpus, int Sockets, int CoresPerSocket, int ThreadsPerCore,
    double MHz, bool Pti, bool Pcid, bool Invpcid, bool Hypervisor, string IdleDriver, IReadOnlyList<(string Name, double LatencyUs, double ResidencyUs, bool Polling)> IdleStates)
{
    /// <summary>Reads the facts of the machine tlbsim runs on.</summary>
    public static HostFacts Read()
    {
        string cpuinfo = TryRead("/proc/cpuinfo");
        string Field(string name) => cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
        var flags = Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        int cpus = Environment.ProcessorCount;
        var packages = new HashSet<string>();
        var cores = new HashSet<(string, string)>();
        for (int c = 0; c < cpus; c++)
        {
            string pkg = TryRead($"/sys/devices/system/cpu/cpu{c}/topology/physical_package_id").Trim();
            string core = TryRead($"/sys/devices/system/cpu/cpu{c}/topology/core_id").Trim();
            packages.Add(pkg);
            cores.Add((pkg, core));
        }
        int sockets = Math.Max(1, packages.Count);
        int coresPerSocket = Math.Max(1, cores.Count / sockets);
        int threads = Math.Max(1, cpus / (sockets * coresPerSocket));
        var states = new List<(string, double, double, bool)>();
        for (int s = 0; Directory.Exists($"/sys/devices/system/cpu/cpu0/cpuidle/state{s}"); s++)
        {
            string dir = $"/sys/devices/system/cpu/cpu0/cpuidle/state{s}";
            string name = TryRead($"{dir}/name").Trim();
            double latency = double.TryParse(TryRead($"{dir}/latency").Trim(), CultureInfo.InvariantCulture, out var l) ? l : 0;
            double residency = double.TryParse(TryRead($"{dir}/residency").Trim(), CultureInfo.InvariantCulture, out var r) ? r : 0;
            states.Add((name, latency, residency, name == "POLL"));
        }
        return new HostFacts(Environment.MachineName, TryRead("/proc/sys/kernel/osrelease").Trim(), Field("model name"), Field("vendor_id"), cpus, sockets, coresPerSocket, threads,
            double.TryParse(Field("cpu MHz"), CultureInfo.InvariantCulture, out var mhz) ? mhz : 0,
            flags.Contains("pti"), flags.Contains("pcid"), flags.Contains("invpcid"), flags.Contains("hypervisor"),
            TryRead("/sys/devices/system/cpu/cpuidle/current_driver").Trim(), states);
    }

    private static string TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}

/// <summary>
/// The probe's micro-benchmarks, run for real on the host through libc (P/Invoke; no C compiler is needed),
/// each thread pinned with sched_setaffinity. Every benchmark is repeated until its median is stable: at
/// least <see cref="MinRuns"/> runs, then until two runs in a row move the median by less than 1%, at most
/// <see cref="MaxRuns"/>.
/// </summary>
public static partial class HostProbe
{
    /// <summary>Fewest runs of a benchmark.</summary>
    public const int MinRuns = 7;

    /// <summary>Most runs of a benchmark.</summary>
    public const int MaxRuns = 41;

    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20, MadvDontneed = 4;
    private const long SysGetppid = 110;
    private const int PageSize = 4096;

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number);

    [LibraryImport("libc")]
    private static partial long labs(long x);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint addr, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint size, ulong[] mask);

    /// <summary>Pins the calling thread to <paramref name="cpu"/>.</summary>
    public static void Pin(int cpu)
    {
        var mask = new ulong[16];
        mask[cpu / 64] |= 1UL << (cpu % 64);
        if (sched_setaffinity(0, (nuint)(mask.Length * 8), mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity to CPU {cpu} failed (errno {Marshal.GetLastPInvokeError()})");
    }

    private static nint Map(long bytes)
    {
        var p = mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == -1)
            throw new InvalidOperationException($"mmap of {bytes} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        return p;
    }

    private static double NsSince(long start, long iterations) => (Stopwatch.GetTimestamp() - start) * 1e9 / Stopwatch.Frequency / iterations;

    /// <summary>Runs <paramref name="run"/> (returning ns per iteration) until its median is stable.</summary>
    public static Measurement Repeat(string key, string what, Func<double> run, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        run(); // warm up: JIT, page tables, the allocator's lists
        var values = new List<double>();
        double previous = double.NaN;
        int steady = 0;
        while (values.Count < MaxRuns && !cancel.IsCancellationRequested)
        {
            values.Add(run());
            if (values.Count < MinRuns)
                continue;
            double median = Quantile(values, 0.5);
            steady = Math.Abs(median - previous) < 0.01 * median ? steady + 1 : 0;
            previous = median;
            if (steady >= 2)
                break;
        }
        return new Measurement(key, what, Quantile(values, 0.5), Quantile(values, 0.1), Quantile(values, 0.9), values.Count);
    }

    /// <summary>The q-quantile of <paramref name="values"/> (linear between order statistics).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }

    /// <summary>getppid through syscall(2), less the P/Invoke transition (a call of labs).</summary>
    public static double SyscallRoundTrip(int iterations = 200_000)
    {
        long t = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
            syscall(SysGetppid);
        double withCall = NsSince(t, iterations);
        t = Stopwatch.GetTimestamp();
        long sink = 0;
        for (int i = 0; i < iterations; i++)
            sink += labs(i);
        GC.KeepAlive(sink);
        return withCall - NsSince(t, iterations);
    }

    /// <summary>A write fault on each page of a fresh anonymous mapping (allocate, clear, map), per page.</summary>
    public static double AnonWriteFault(int pages = 4096)
    {
        var p = Map((long)pages * PageSize);
        try
        {
            long t = Stopwatch.GetTimestamp();
            for (int i = 0; i < pages; i++)
                Marshal.WriteByte(p, i * PageSize, 1);
            return NsSince(t, pages);
        }
        finally
        {
            munmap(p, (nuint)((long)pages * PageSize));
        }
    }

    /// <summary>One iteration of the MADV_DONTNEED loop on a page: write it (a fault), madvise it away.</summary>
    private static void MadviseIteration(nint page)
    {
        Marshal.WriteByte(page, 1);
        madvise(page, PageSize, MadvDontneed);
    }

    /// <summary>One iteration of the mprotect pair on a present page: read-only, then writable again.</summary>
    private static void MprotectIteration(nint page)
    {
        mprotect(page, PageSize, ProtRead);
        mprotect(page, PageSize, ProtRead | ProtWrite);
    }

    /// <summary>
    /// <paramref name="threads"/> threads of this process, on CPUs 0..threads-1, each looping on its own page
    /// of one mapping; returns the mean over threads of ns per iteration.
    /// </summary>
    public static double ThreadsLoop(string loop, int threads, int iterations)
    {
        var region = Map((long)threads * PageSize * 16); // pages 16 apart: no shared page table line
        try
        {
            for (int i = 0; i < threads; i++)
                Marshal.WriteByte(region, i * PageSize * 16, 1);
            var barrier = new Barrier(threads);
            var result = new double[threads];
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                Pin(i);
                nint page = region + i * PageSize * 16;
                barrier.SignalAndWait();
                long t = Stopwatch.GetTimestamp();
                for (int k = 0; k < iterations; k++)
                {
                    if (loop == "mprotect")
                        MprotectIteration(page);
                    else
                        MadviseIteration(page);
                }
                result[i] = NsSince(t, iterations);
            }) { IsBackground = true }).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            return result.Average();
        }
        finally
        {
            munmap(region, (nuint)((long)threads * PageSize * 16));
        }
    }

    /// <summary>mmap one page, write it, munmap it, per iteration, on CPU 0.</summary>
    public static double MmapTouchMunmap(int iterations = 20_000)
    {
        long t = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
        {
            var p = Map(PageSize);
            Marshal.WriteByte(p, 1);
            munmap(p, PageSize);
        }
        return NsSince(t, iterations);
    }

    /// <summary>
    /// The worker of the processes variant: pinned to <paramref name="cpu"/>, it waits for the monotonic clock
    /// to pass <paramref name="startTicks"/>, then runs back-to-back runs of the MADV_DONTNEED loop until
    /// <paramref name="endTicks"/>, printing each run's start, end and ns per iteration.
    /// </summary>
    public static void Worker(int cpu, long startTicks, long endTicks, int iterations, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Pin(cpu);
        var page = Map(PageSize);
        MadviseIteration(page);
        while (Stopwatch.GetTimestamp() < startTicks)
            Thread.SpinWait(100);
        while (Stopwatch.GetTimestamp() < endTicks)
        {
            long t = Stopwatch.GetTimestamp();
            for (int k = 0; k < iterations; k++)
                MadviseIteration(page);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t} {Stopwatch.GetTimestamp()} {NsSince(t, iterations):F2}"));
        }
        munmap(page, PageSize);
    }

    /// <summary>
    /// <paramref name="processes"/> processes (this program's probe worker, started together), each looping on
    /// its own page on its own CPU; the runs of all of them that lie wholly inside the window when all were
    /// running.
    /// </summary>
    public static IReadOnlyList<double> ProcessesLoop(int processes, int iterations, double seconds)
    {
        string self = typeof(HostProbe).Assembly.Location;
        long start = Stopwatch.GetTimestamp() + (long)(1.5 * Stopwatch.Frequency); // dotnet's start-up
        long end = start + (long)(seconds * Stopwatch.Frequency);
        var children = Enumerable.Range(0, processes).Select(cpu =>
        {
            var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            if (!string.IsNullOrEmpty(self) && !Path.GetFileNameWithoutExtension(Environment.ProcessPath ?? "").Equals("tlbsim", StringComparison.Ordinal))
                info.ArgumentList.Add(self);
            foreach (var a in new[] { "probe", "--worker", cpu.ToString(CultureInfo.InvariantCulture), "--worker-window", $"{start}:{end}:{iterations}" })
                info.ArgumentList.Add(a);
            return Process.Start(info) ?? throw new InvalidOperationException("cannot start a probe worker");
        }).ToList();
        var lines = children.Select(c => c.StandardOutput.ReadToEndAsync()).ToList();
        foreach (var c in children)
        {
            c.WaitForExit();
            c.Dispose();
        }
        var runs = lines.SelectMany(t => t.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => l.Split(' ')).Where(f => f.Length == 3)
            .Select(f => (Start: long.Parse(f[0], CultureInfo.InvariantCulture), End: long.Parse(f[1], CultureInfo.InvariantCulture), Ns: double.Parse(f[2], CultureInfo.InvariantCulture)))
            .ToList();
        long margin = Stopwatch.Frequency / 10;
        return [.. runs.Where(r => r.Start >= start + margin && r.End <= end - margin).Select(r => r.Ns)];
    }
}
