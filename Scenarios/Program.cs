using System.Globalization;
using System.CommandLine;
using TlbSim.Scenarios.Cli;

return TlbSim.Scenarios.TlbsimCli.Run(args, Console.Out, Console.Error);

namespace TlbSim.Scenarios
{
    /// <summary>The tlbsim command line.</summary>
    public static class TlbsimCli
    {
        /// <summary>Runs the command line; returns the exit code (0 ok, 1 failed run, 2 bad input).</summary>
        public static int Run(string[] args, TextWriter output, TextWriter error)
        {
            var root = new RootCommand("tlbsim: a discrete-event simulator of TLB shootdown costs on x86 Linux");
            var setOption = new Option<string[]>("--set") { Description = "Override a parameter in every scenario: path=value (repeatable)", AllowMultipleArgumentsPerToken = false };

            var files = new Argument<string[]>("files") { Description = "Scenario files", Arity = ArgumentArity.OneOrMore };
            var check = new Command("check", "Validate scenario files; print every error with file, line, column and key path") { files, setOption };
            check.SetAction(r => CheckAndList.Check(r.GetValue(files) ?? [], r.GetValue(setOption) ?? [], output, error));
            root.Subcommands.Add(check);

            var file = new Argument<string>("file") { Description = "Scenario file" };
            var list = new Command("list", "List a file's scenarios, sweep points and replications") { file, setOption };
            list.SetAction(r => CheckAndList.List(r.GetValue(file)!, r.GetValue(setOption) ?? [], output, error));
            root.Subcommands.Add(list);

            var name = new Argument<string?>("name") { Description = "A parameter path, section, mechanism or preset (everything when omitted)", Arity = ArgumentArity.ZeroOrOne };
            var describe = new Command("describe", "Print parameters, mechanisms and presets with defaults, units, descriptions and sources") { name };
            describe.SetAction(r =>
            {
                var n = r.GetValue(name);
                var text = Describe.Text(n);
                if (text is null)
                {
                    error.WriteLine($"nothing named '{n}'; try 'tlbsim describe' for everything");
                    return CheckAndList.BadInput;
                }
                output.Write(text);
                return 0;
            });
            root.Subcommands.Add(describe);

            var schema = new Command("schema", "Print the JSON Schema of scenario files (for editor completion and checking)");
            schema.SetAction(_ =>
            {
                output.Write(Schema.Json());
                return 0;
            });
            root.Subcommands.Add(schema);

            var runFile = new Argument<string?>("file") { Description = "Scenario file (default: ./scenarios.yaml)", Arity = ArgumentArity.ZeroOrOne };
            var outOption = new Option<string?>("--out") { Description = "Result folder to create (default: results/<file>-<UTC time>)" };
            var onlyOption = new Option<string[]>("--only") { Description = "Run only these scenarios (repeatable)" };
            var seedOption = new Option<long?>("--seed") { Description = "Seed of the first replication, for every scenario" };
            var repsOption = new Option<int?>("--replications") { Description = "Replications, for every scenario" };
            var jobsOption = new Option<int>("--jobs") { Description = "Runs in parallel (results are identical for any value)", DefaultValueFactory = _ => Environment.ProcessorCount };
            var quietOption = new Option<bool>("--quiet") { Description = "No progress display or summary table" };
            var resumeOption = new Option<string?>("--resume") { Description = "Continue the interrupted run whose --out was DIR (the scenario file and options are the interrupted run's)" };
            var shardOption = new Option<string?>("--shard") { Description = "Run only share i of N of the runs (i/N, 0-based); combine the shard folders with 'tlbsim merge'" };
            var checkOption = new Option<bool>("--check") { Description = "Check invariants as runs go (IPIs acknowledged, TLB occupancy, time order, time accounting); a violation stops the run" };
            var run = new Command("run", "Run a scenario file and write CSV, charts, an HTML report and the resolved parameters")
            {
                runFile, outOption, onlyOption, setOption, seedOption, repsOption, jobsOption, quietOption, checkOption, resumeOption, shardOption,
            };
            run.SetAction((r, cancel) => Task.FromResult(RunCommand.Execute(new RunOptions
            {
                File = r.GetValue(runFile) ?? "scenarios.yaml",
                Out = r.GetValue(outOption),
                Only = r.GetValue(onlyOption) ?? [],
                Sets = r.GetValue(setOption) ?? [],
                Seed = r.GetValue(seedOption),
                Replications = r.GetValue(repsOption),
                Jobs = r.GetValue(jobsOption),
                Quiet = r.GetValue(quietOption),
                Check = r.GetValue(checkOption),
                Resume = r.GetValue(resumeOption),
                Shard = r.GetValue(shardOption),
            }, output, error, cancel)));
            root.Subcommands.Add(run);

            var mergeDirs = new Argument<string[]>("shards") { Description = "Shard result folders", Arity = ArgumentArity.OneOrMore };
            var mergeOut = new Option<string>("--out") { Description = "Folder for the merged result", Required = true };
            var merge = new Command("merge", "Combine the folders of 'tlbsim run --shard i/N' into one result, identical to the unsharded run") { mergeDirs, mergeOut };
            merge.SetAction(r => MergeCommand.Execute(r.GetValue(mergeDirs) ?? [], r.GetValue(mergeOut)!, output, error));
            root.Subcommands.Add(merge);

            var calibrateOut = new Option<string?>("--out") { Description = "Folder for calibration.csv and calibration.svg (default: results/calibration-<UTC time>)" };
            var calibrate = new Command("calibrate", "Reproduce every modelled row of docs/CALIBRATION.md; print simulated versus published; exit 1 if a row is out of tolerance") { calibrateOut };
            calibrate.SetAction(r => CalibrateCommand.Execute(r.GetValue(calibrateOut), output, error));
            root.Subcommands.Add(calibrate);

            var probeOut = new Option<string?>("--out") { Description = "The preset file to write (default: machine-<host>.yaml)" };
            var probeCheck = new Option<string?>("--check") { Description = "Compare a preset file written by tlbsim probe with the same loops in simulation, instead of probing" };
            var probeWorker = new Option<int?>("--worker") { Description = "(internal) run the processes variant's worker on this CPU", Hidden = true };
            var probeWindow = new Option<string?>("--worker-window") { Description = "(internal) start:end:iterations of a worker", Hidden = true };
            var probe = new Command("probe", "Measure this host's own costs with real micro-benchmarks (pinned, repeated until stable) and write a machine preset, machine-<host>.yaml; --check FILE compares it with simulation")
            {
                probeOut, probeCheck, probeWorker, probeWindow,
            };
            probe.SetAction((r, cancel) =>
            {
                if (r.GetValue(probeWorker) is int cpu)
                {
                    var w = (r.GetValue(probeWindow) ?? "").Split(':');
                    Probe.HostProbe.Worker(cpu, long.Parse(w[0], CultureInfo.InvariantCulture), long.Parse(w[1], CultureInfo.InvariantCulture), int.Parse(w[2], CultureInfo.InvariantCulture), output);
                    return Task.FromResult(0);
                }
                return Task.FromResult(r.GetValue(probeCheck) is { } file
                    ? Probe.ProbeCommand.Check(file, output, error)
                    : Probe.ProbeCommand.Execute(r.GetValue(probeOut), output, error, cancel));
            });
            root.Subcommands.Add(probe);

            var traceFile = new Argument<string>("file") { Description = "perf script output of the tracepoints tlbsim reads" };
            var traceOut = new Option<string?>("--out") { Description = "The trace to write (default: FILE with .tlbtrace.gz)" };
            var traceImport = new Command("import", $"Read perf script output into a trace a scenario replays as workload: {{trace: FILE}}. Record it with: {Tracing.PerfScriptImporter.RecordCommand}") { traceFile, traceOut };
            traceImport.SetAction(r => Tracing.TraceCommand.Import(r.GetValue(traceFile)!, r.GetValue(traceOut), output, error));
            root.Subcommands.Add(new Command("trace", "Recorded workloads: import perf script output") { traceImport });

            var sensFile = new Argument<string>("file") { Description = "Scenario file" };
            var metricOption = new Option<string>("--metric") { Description = "The summary figure to explain: op_latency_p50_ns, op_latency_p90_ns, op_latency_p99_ns, op_latency_p999_ns, op_latency_mean_ns, workload_slowdown or kernel_time_slowdown", DefaultValueFactory = _ => "op_latency_p99_ns" };
            var inputOption = new Option<string[]>("--input") { Description = "Move only this ranged input (repeatable; default: every input with a plausible range)" };
            var morrisOption = new Option<int>("--morris") { Description = "Also run a Morris screening over the inputs moved (all ranged inputs, or those given with --input) with this many trajectories (each costs inputs + 1 evaluations)" };
            var sensOut = new Option<string?>("--out") { Description = "Result folder (default: results/sensitivity-<UTC time>)" };
            var sensJobs = new Option<int>("--jobs") { Description = "Runs in parallel", DefaultValueFactory = _ => Environment.ProcessorCount };
            var sensitivity = new Command("sensitivity", "Move each estimated input across its plausible range, one at a time: sensitivity.csv, tornado charts, and whether the designs' ranking changes")
            {
                sensFile, metricOption, inputOption, morrisOption, setOption, sensOut, sensJobs,
            };
            sensitivity.SetAction((r, cancel) => Task.FromResult(SensitivityCommand.Execute(new SensitivityOptions
            {
                File = r.GetValue(sensFile)!,
                Metric = r.GetValue(metricOption)!,
                Inputs = r.GetValue(inputOption) ?? [],
                Morris = r.GetValue(morrisOption),
                Sets = r.GetValue(setOption) ?? [],
                Out = r.GetValue(sensOut),
                Jobs = r.GetValue(sensJobs),
            }, output, error, cancel)));
            root.Subcommands.Add(sensitivity);

            var crossFile = new Argument<string>("file") { Description = "Scenario file whose scenarios ask crossover questions" };
            var crossOut = new Option<string?>("--out") { Description = "Result folder (default: results/crossover-<UTC time>)" };
            var crossJobs = new Option<int>("--jobs") { Description = "Runs in parallel", DefaultValueFactory = _ => Environment.ProcessorCount };
            var crossover = new Command("crossover", "Find where two designs (or a design and a budget) cross along one parameter, by bisection with replications added until they are told apart")
            {
                crossFile, setOption, crossOut, crossJobs,
            };
            crossover.SetAction((r, cancel) => Task.FromResult(CrossoverCommand.Execute(r.GetValue(crossFile)!, r.GetValue(setOption) ?? [], r.GetValue(crossOut), r.GetValue(crossJobs), output, error, cancel)));
            root.Subcommands.Add(crossover);

            var parsed = root.Parse(args);
            if (parsed.Errors.Count > 0)
            {
                foreach (var e in parsed.Errors)
                    error.WriteLine(e.Message);
                error.WriteLine("try 'tlbsim --help'");
                return CheckAndList.BadInput;
            }
            try
            {
                // tlbsim handles SIGINT and SIGTERM itself (RunCommand): no termination timeout of the parser's own.
                return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never a stack trace: say what failed; exit 1 (a failed run), since the input was accepted.
                error.WriteLine($"tlbsim: {e.GetType().Name}: {e.Message}");
                return RunCommand.Failed;
            }
        }
    }
}
