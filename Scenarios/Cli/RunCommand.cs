using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Spectre.Console;
using TlbSim.Analysis;
using TlbSim.Model.Kernel;
using TlbSim.Output;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;

namespace TlbSim.Scenarios.Cli;

/// <summary>Options of <c>tlbsim run</c>.</summary>
public sealed record RunOptions
{
    /// <summary>Scenario file.</summary>
    public string File { get; init; } = "scenarios.yaml";

    /// <summary>Result folder (created; must not exist).</summary>
    public string? Out { get; init; }

    /// <summary>Scenario names to run (all when empty).</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    /// <summary>--set overrides.</summary>
    public IReadOnlyList<string> Sets { get; init; } = [];

    /// <summary>Seed override.</summary>
    public long? Seed { get; init; }

    /// <summary>Replications override.</summary>
    public int? Replications { get; init; }

    /// <summary>Parallel runs.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>No progress or table.</summary>
    public bool Quiet { get; init; }

    /// <summary>Check the run-time invariants as runs go.</summary>
    public bool Check { get; init; }

    /// <summary>Continue the interrupted run whose --out was this folder.</summary>
    public string? Resume { get; init; }

    /// <summary>"i/N": run only share i of N of the runs (0-based), for a cluster; merge the shards afterwards.</summary>
    public string? Shard { get; init; }
}

/// <summary><c>tlbsim run</c>: load, run every sweep point, mechanism and replication, write the result folder.</summary>
public static class RunCommand
{
    /// <summary>Exit code of a run that failed while simulating or writing.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report Ctrl-C); the folder is resumable.</summary>
    public const int Interrupted = 130;

    /// <summary>Runs; returns 0 on success, 1 on a failed run, 2 on bad input.</summary>
    public static int Execute(RunOptions options, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        string outDir;
        string partial;
        if (options.Resume is { } resume)
        {
            outDir = Path.TrimEndingDirectorySeparator(resume);
            try
            {
                partial = ResultWriter.PartialFolder(outDir);
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"--resume '{resume}': {e.Message}");
                return CheckAndList.BadInput;
            }
            var saved = Path.Combine(partial, Journal.Folder, "options.json");
            if (Directory.Exists(outDir))
            {
                error.WriteLine($"--resume {outDir}: that run already finished");
                return CheckAndList.BadInput;
            }
            if (!File.Exists(saved))
            {
                error.WriteLine($"--resume {outDir}: no interrupted run there (expected {saved})");
                return CheckAndList.BadInput;
            }
            if (Journal.Locked(partial))
            {
                error.WriteLine($"--resume {outDir}: a tlbsim run is still writing that folder; wait for it to finish or stop it first");
                return CheckAndList.BadInput;
            }
            options = JsonSerializer.Deserialize<RunOptions>(File.ReadAllText(saved))! with { Resume = resume, Out = outDir, Quiet = options.Quiet, Jobs = options.Jobs };
        }
        else
        {
            string stem = Path.GetFileNameWithoutExtension(options.File);
            outDir = options.Out ?? Path.Combine("results", $"{stem}-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)}");
            try
            {
                outDir = Path.TrimEndingDirectorySeparator(outDir);
                partial = ResultWriter.PartialFolder(outDir);
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"--out '{outDir}': not a folder tlbsim can create: {e.Message}");
                return CheckAndList.BadInput;
            }
        }
        ScenarioFile file;
        try
        {
            file = ScenarioLoader.Load(options.File, options.Sets);
        }
        catch (ScenarioException e)
        {
            foreach (var err in e.Errors)
                error.WriteLine(err);
            return CheckAndList.BadInput;
        }
        var names = file.Scenarios.Select(s => s.Name).ToList();
        foreach (var n in options.Only.Where(n => !names.Contains(n)))
        {
            error.WriteLine($"--only {n}: no such scenario in {options.File}{Suggest.DidYouMean(n, names)}; scenarios: {string.Join(", ", names)}");
            return CheckAndList.BadInput;
        }
        if (options.Replications is < 1 or > 10_000)
        {
            error.WriteLine($"--replications must be between 1 and 10000 (was {options.Replications})");
            return CheckAndList.BadInput;
        }
        if (options.Jobs < 1)
        {
            error.WriteLine($"--jobs must be at least 1 (was {options.Jobs})");
            return CheckAndList.BadInput;
        }
        (int Index, int Count)? shard = null;
        if (options.Shard is { } shardText)
        {
            var parts = shardText.Split('/');
            if (parts.Length != 2 || !int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out int i) || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out int n) || n < 1 || i < 0 || i >= n)
            {
                error.WriteLine($"--shard {shardText}: expected i/N with 0 <= i < N, for example 0/4");
                return CheckAndList.BadInput;
            }
            shard = (i, n);
        }
        if (options.Resume is null)
        {
            if (Directory.Exists(outDir) || File.Exists(outDir))
            {
                error.WriteLine($"--out {outDir}: already exists; choose another folder or remove it");
                return CheckAndList.BadInput;
            }
            if (Directory.Exists(partial))
            {
                error.WriteLine(Journal.Locked(partial)
                    ? $"--out {outDir}: another tlbsim run is writing that folder now; choose another --out"
                    : $"--out {outDir}: an interrupted run is there ({partial}); continue it with 'tlbsim run --resume {outDir}' or remove it");
                return CheckAndList.BadInput;
            }
            if (!CanWrite(outDir, out var why))
            {
                error.WriteLine($"--out {outDir}: cannot be written: {why}");
                return CheckAndList.BadInput;
            }
            Directory.CreateDirectory(Path.Combine(partial, Journal.Folder));
            File.WriteAllText(Path.Combine(partial, Journal.Folder, "options.json"), JsonSerializer.Serialize(options with { Out = outDir, File = Path.GetFullPath(options.File) }));
            File.WriteAllText(Path.Combine(partial, Journal.Folder, "plan.txt"), PlanId(ResolvedYaml.Write(file, options.Only, options.Seed, options.Replications), options));
        }
        else
        {
            var planFile = Path.Combine(partial, Journal.Folder, "plan.txt");
            string now = PlanId(ResolvedYaml.Write(file, options.Only, options.Seed, options.Replications), options);
            if (File.Exists(planFile) && File.ReadAllText(planFile).Trim() != now)
            {
                error.WriteLine($"--resume {outDir}: {options.File} or its options changed since the run was interrupted; its finished runs would not match. Remove {partial} to start again");
                return CheckAndList.BadInput;
            }
        }

        long maxRuns = Runner.MaxRuns(file, options.Replications);
        if (maxRuns > Runner.MaxPlannedRuns)
        {
            error.WriteLine($"{options.File}: the plan asks for up to {maxRuns:N0} runs (precision caps included); at most {Runner.MaxPlannedRuns:N0} are allowed");
            return CheckAndList.BadInput;
        }
        var units = Runner.Plan(file, options.Only, options.Seed, options.Replications, options.Check, shard);
        var journalDir = Path.Combine(partial, Journal.Folder);
        using var writerLock = Journal.Lock(partial);
        if (writerLock is null)
        {
            error.WriteLine($"--out {outDir}: another tlbsim run is writing that folder now; choose another --out");
            return CheckAndList.BadInput;
        }
        double earlierWall = Journal.WallSeconds(journalDir);
        var done = Journal.Load(journalDir).ToDictionary(j => j.Order);
        var byOrder = new Dictionary<int, RunRecord>();
        var clock = Stopwatch.StartNew();
        if (!options.Quiet && options.Resume is null)
        {
            double estimate = Runner.MaxRuns(file, options.Replications) > 0 ? EstimatedWallSeconds(file, options.Jobs) : 0;
            if (estimate > 3600)
                error.WriteLine($"warning: this plan will take about {estimate / 3600:F1} h of wall time ({CheckAndList.Cost(file)}); stop with Ctrl-C and continue later with --resume");
        }
        var fresh = new List<RunRecord>();
        var planned = new List<RunUnit>();
        int finishedThisRound = 0;
        // The first SIGINT or SIGTERM stops the runs in progress within a few thousand events and keeps the
        // journal; later signals are acknowledged and ignored (never a crash), even while the process exits.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int signals = 0;
        using var onSignal = Signals.Subscribe(() =>
        {
            if (Interlocked.Increment(ref signals) == 1)
            {
                error.WriteLine($"stopping: finishing nothing more, keeping {byOrder.Count + Volatile.Read(ref finishedThisRound)} finished runs");
                stop.Cancel();
            }
            else
            {
                error.WriteLine("already stopping");
            }
        });
        for (int round = 0; units.Count > 0; round++)
        {
            var todo = new List<RunUnit>();
            foreach (var u in units)
            {
                if (done.TryGetValue(u.Order, out var j) && j.Key == u.Key)
                    byOrder[u.Order] = j.Record;
                else
                    todo.Add(u);
            }
            if (round == 0 && byOrder.Count > 0 && !options.Quiet)
                output.WriteLine($"resuming: {byOrder.Count} of {units.Count} runs of the first round already done");
            if (round > 0 && !options.Quiet && todo.Count > 0)
                output.WriteLine($"precision round {round}: {todo.Count} more runs for the points whose interval is still too wide");
            try
            {
                finishedThisRound = 0;
                var ran = Execute(todo, options, output, (u, r) =>
                {
                    Journal.Save(journalDir, u.Order, u.Key, r);
                    Interlocked.Increment(ref finishedThisRound);
                }, stop.Token);
                for (int i = 0; i < todo.Count; i++)
                    byOrder[todo[i].Order] = ran[i];
                fresh.AddRange(ran);
            }
            catch (OperationCanceledException)
            {
                Journal.AddWallSeconds(journalDir, clock.Elapsed.TotalSeconds);
                error.WriteLine($"interrupted: {byOrder.Count + finishedThisRound} finished runs are kept in {partial}; continue with 'tlbsim run --resume {outDir}'");
                return Interrupted;
            }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is SimulationException))
            {
                foreach (var x in e.InnerExceptions)
                    error.WriteLine($"simulation failed: {x.Message}");
                return Failed;
            }
            catch (SimulationException e)
            {
                error.WriteLine($"simulation failed: {e.Message}");
                return Failed;
            }
            planned.AddRange(units);
            units = Runner.MoreReplications(file, planned, byOrder, options.Only, options.Seed, options.Check);
        }
        var records = byOrder.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray();
        double wall = clock.Elapsed.TotalSeconds;
        long events = records.Sum(r => r.Outcome.Events);
        long freshEvents = fresh.Sum(r => r.Outcome.Events);
        var targets = PrecisionTargets(file);
        var descriptions = file.Scenarios.ToDictionary(s => s.Name, s => s.Points[0].Settings.Description);
        var info = new RunInfo(Version(), GitCommit(Path.GetDirectoryName(Path.GetFullPath(options.File))!), options.File, options.Seed, options.Jobs, earlierWall + wall, events, records.Length)
        {
            Shard = shard is { } sh ? $"{sh.Index}/{sh.Count}" : null,
            ResumedRuns = options.Resume is null ? null : records.Length - fresh.Count,
            LastWallSeconds = options.Resume is null ? null : wall,
        };
        try
        {
            if (shard is { } s)
            {
                var resolvedText = ResolvedYaml.Write(file, options.Only, options.Seed, options.Replications);
                File.WriteAllText(Path.Combine(journalDir, "shard.json"), JsonSerializer.Serialize(new ShardInfo(s.Index, s.Count, records.Length, PlanId(resolvedText, options))));
            }
            ResultWriter.Write(partial, outDir, records, descriptions, ResolvedYaml.Write(file, options.Only, options.Seed, options.Replications), info, keepJournal: shard is not null, targets, References(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"writing {outDir} failed: {e.Message}");
            return Failed;
        }
        if (!options.Quiet)
            PrintSummary(Aggregate.Summary(records, targets), output);
        output.WriteLine($"{fresh.Count} runs, {freshEvents:N0} events in {wall:F1} s ({freshEvents / Math.Max(wall, 1e-9) / 1e6:F2}M events/s); results in {outDir}");
        return 0;
    }

    /// <summary>Seconds between progress lines when output is not a terminal.</summary>
    public const int ProgressLineSeconds = 10;

    private static RunRecord[] Execute(List<RunUnit> units, RunOptions options, TextWriter output, Action<RunUnit, RunRecord> finished, CancellationToken cancel)
    {
        var progress = new RunProgress(units);
        bool interactive = !options.Quiet && !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive;
        if (interactive)
        {
            RunRecord[] result = [];
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    // The bar follows simulated time inside the runs, not only finished runs.
                    var task = ctx.AddTask($"{units.Count} runs", maxValue: 1000);
                    var work = Task.Run(() => result = Runner.ExecuteAll(units, options.Jobs, finished, progress, cancel));
                    while (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(250))
                    {
                        task.Value = progress.Fraction * 1000;
                        task.Description = $"{progress.DoneRuns}/{units.Count} runs";
                    }
                    work.GetAwaiter().GetResult();
                    task.Value = 1000;
                });
            return result;
        }
        if (options.Quiet)
            return Runner.ExecuteAll(units, options.Jobs, finished, progress, cancel);
        // Not a terminal (a log, a batch job): a line every ProgressLineSeconds, whatever the runs' lengths.
        var run = Task.Run(() => Runner.ExecuteAll(units, options.Jobs, finished, progress, cancel));
        while (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(ProgressLineSeconds)))
            output.WriteLine(progress.Line());
        return run.GetAwaiter().GetResult();
    }

    private static readonly string[] SummaryColumns = ["scenario", "point", "mechanism", "CPUs", "reps", "ops", "p50 ns", "p99 ns", "IPIs/s", "slowdown"];
    private static readonly string[] LoopColumns = ["ns/loop", "TLB inval.", "locks"];

    private static void PrintSummary(IReadOnlyList<SummaryRow> rows, TextWriter output)
    {
        var table = new Table().Border(TableBorder.Simple);
        bool loops = rows.Any(r => r.LoopsPerSPerThread > 0);
        foreach (var h in SummaryColumns.Concat(loops ? LoopColumns : []))
            table.AddColumn(h);
        // The point by what it sets (its swept values), not by a bare index.
        static string Point(SummaryRow r) => r.Assignments.Count == 0 ? "-" : string.Join(" ", r.Assignments.Where(a => a.Key != "machine.cpus").Select(a => $"{a.Key.Split('.')[^1]}={a.Value}").DefaultIfEmpty($"point {r.Point}"));
        // A percentile the data cannot support is printed in brackets; "±" gives the 95% half-width over replications.
        static string Pct(double value, double ci, bool ok)
        {
            if (double.IsNaN(value))
                return "-";
            string text = CsvOutput.Num(Math.Round(value)) + (double.IsFinite(ci) && ci > 0 ? $" ±{CsvOutput.Num(Math.Round(ci))}" : "");
            return Markup.Escape(ok ? text : $"[{text}]");
        }
        foreach (var r in rows)
        {
            var cells = new List<string> {r.Scenario, Markup.Escape(Point(r)), r.Operation == "op" ? r.Mechanism : $"{r.Mechanism} {r.Operation}",
                r.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Replications.ToString(System.Globalization.CultureInfo.InvariantCulture),
                r.Ops.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Pct(r.P50Ns, r.P50Ci95Ns, r.P50Ok), Pct(r.P99Ns, r.P99Ci95Ns, r.P99Ok), CsvOutput.Num(Math.Round(r.IpisPerS)),
                CsvOutput.Num(Math.Round(r.WorkloadSlowdown, 3)) + (double.IsFinite(r.WorkloadSlowdownCi95) ? $" ±{CsvOutput.Num(Math.Round(r.WorkloadSlowdownCi95, 3))}" : "")};
            if (loops)
                cells.AddRange([CsvOutput.Num(Math.Round(r.NsPerLoop)), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.TlbInvalidationShare * 100:F1}%"), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.LockTimeShare * 100:F1}%")]);
            table.AddRow(cells.ToArray());
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;
        console.Write(table);
        output.WriteLine("[...]: too few operations above that percentile in some replication (fewer than 10) to support it; ±: 95% interval over replications (Student t)");
        foreach (var r in rows.Where(r => r.PrecisionMet == false && r.PrimaryOperation))
            output.WriteLine($"precision target not reached: {r.Scenario} point {r.Point} {r.Mechanism} after {r.Replications} replications");
    }

    private static double EstimatedWallSeconds(ScenarioFile file, int jobs)
    {
        double cpuSeconds = file.Scenarios.SelectMany(s => s.Points).Sum(p =>
            p.Settings.RunMechanisms.Count * p.Settings.Replications
            * (p.Settings.Duration + p.Settings.Warmup).TotalSeconds * p.Settings.Machine.Topology.Cpus);
        return cpuSeconds / CheckAndList.SimulatedCpuSecondsPerWallSecond / Math.Max(1, jobs);
    }

    /// <summary>Each scenario's compare_reference, as (swept key, value) pairs.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> References(ScenarioFile file) =>
        file.Scenarios.Where(s => s.Points[0].Settings.CompareReference.Count > 0).ToDictionary(
            s => s.Name,
            s => (IReadOnlyList<KeyValuePair<string, string>>)s.Points[0].Settings.CompareReference
                .Select(c => new KeyValuePair<string, string>(c[..c.IndexOf('=', StringComparison.Ordinal)].Trim(), c[(c.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim())).ToList());

    /// <summary>The precision target of each (scenario, point) that sets one, for the summary's precision_met column.</summary>
    internal static IReadOnlyDictionary<(string Scenario, int Point), PrecisionTarget> PrecisionTargets(ScenarioFile file) =>
        file.Scenarios.SelectMany(s => s.Points.Where(p => p.Settings.Precision.RelativeCi95 > 0).Select(p => (Key: (s.Name, p.Index), p.Settings.Precision)))
            .ToDictionary(x => x.Key, x => new PrecisionTarget(x.Precision.Metric, x.Precision.RelativeCi95));

    /// <summary>Identifies a plan: the resolved scenarios and the options that shape the plan, hashed.</summary>
    internal static string PlanId(string resolvedYaml, RunOptions options)
    {
        var text = $"{resolvedYaml}\nonly={string.Join(",", options.Only)}\nseed={options.Seed}\nreplications={options.Replications}\ncheck={options.Check}";
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    private static bool CanWrite(string outDir, out string why)
    {
        try
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(outDir))!;
            Directory.CreateDirectory(parent);
            var probe = Path.Combine(parent, $".tlbsim-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            why = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            why = e.Message;
            return false;
        }
    }

    private static string Version() =>
        typeof(RunCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static string? GitCommit(string directory)
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse HEAD") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = System.Diagnostics.Process.Start(psi);
            if (p is null)
                return null;
            string text = p.StandardOutput.ReadToEnd().Trim();
            if (!p.WaitForExit(2000) || p.ExitCode != 0)
                return null;
            return text.Length == 40 ? text : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>
/// SIGINT and SIGTERM, handled for the whole life of the process once a run starts: the handler of the run in
/// progress is told; after it ends, signals are ignored, so a late one never kills the process mid-exit.
/// </summary>
internal static class Signals
{
    private static readonly object Gate = new();
    private static Action? _current;
    private static System.Runtime.InteropServices.PosixSignalRegistration? _int;
    private static System.Runtime.InteropServices.PosixSignalRegistration? _term;

    /// <summary>Routes the signals to <paramref name="handler"/> until the returned object is disposed.</summary>
    public static IDisposable Subscribe(Action handler)
    {
        lock (Gate)
        {
            _int ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
            _term ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
            _current = handler;
        }
        return new Subscription(handler);
    }

    private static void OnSignal(System.Runtime.InteropServices.PosixSignalContext context)
    {
        context.Cancel = true;
        Action? handler;
        lock (Gate)
            handler = _current;
        handler?.Invoke();
    }

    private sealed class Subscription(Action handler) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (ReferenceEquals(_current, handler))
                    _current = null;
            }
        }
    }
}

/// <summary>What a shard folder records about its share (journal/shard.json): which share, how many runs it finished, and the plan.</summary>
public sealed record ShardInfo(int Index, int Count, int Runs, string PlanId);
