using System.Text;
using FsCheck;
using FsCheck.Fluent;
using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Bad input, tried as a new user would: mutated and random scenario files, and hostile values, fed to the
/// loader through the CLI. Never an unhandled exception or a stack trace: either the file is accepted
/// (exit 0) or every error is located (file:line:column or the command line) and the exit code is 2.
/// </summary>
public class BadInputPropertyTests
{
    private static readonly string Canonical = File.ReadAllText(Path.Combine(ScenarioLoaderTests.RepoRoot(), "scenarios.yaml"));

    private static readonly string[] Nasty =
    [
        "-1", "0", "NaN", "1e309", "-0.0", "99999999999999999999", "5 parsecs", "1.5.2ns", "GiB", ":", "- ", "{", "}", "[", "]", "\t", "  ",
        "machine:", "cpus: 0", "cpus: 4097", "preset: nowhere", "&a", "*a", "!!binary", "'", "\"", "\0", "é", "#", "---", "...", "? ", "|", ">",
        "duration: 0s", "replications: 0", "mechanisms: []", "sweep: {machine.cpus: []}", "rate: -5", "memory: 3.5GiB", "policy: eager",
        "name: a\n  - name: a", "seed: x", "tlb: {stlb_ways: 0}", "idle_states: []", "frequency: 0Hz", "busy_fraction: 2",
    ];

    private static (int Code, string Errors) Check(string text)
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-fuzz").FullName;
        string path = Path.Combine(dir, "s.yaml");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        var output = new StringWriter();
        var error = new StringWriter();
        int code = TlbsimCli.Run(["check", path], output, error);
        Directory.Delete(dir, recursive: true);
        return (code, error.ToString());
    }

    private static bool Located(int code, string errors)
    {
        if (code == 0)
            return true;
        if (code != 2 || errors.Contains("   at ", StringComparison.Ordinal) || errors.Contains("Exception", StringComparison.Ordinal))
            return false;
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Every line names the file with a line:column, or is the closing count.
        return lines.All(l => l.Contains("s.yaml:", StringComparison.Ordinal));
    }

    /// <summary>A mutation of the canonical file: delete, insert a nasty token, duplicate or swap lines.</summary>
    public record struct Mutation(byte Kind, ushort Position, byte Token, byte Length);

    private static string Apply(string text, Mutation[] mutations)
    {
        foreach (var m in mutations)
        {
            int pos = m.Position % Math.Max(1, text.Length);
            switch (m.Kind % 4)
            {
                case 0:
                    text = text.Remove(pos, Math.Min(m.Length % 16 + 1, text.Length - pos));
                    break;
                case 1:
                    text = text.Insert(pos, Nasty[m.Token % Nasty.Length]);
                    break;
                case 2:
                {
                    var lines = text.Split('\n').ToList();
                    int i = m.Position % lines.Count;
                    lines.Insert(i, lines[i]);
                    text = string.Join('\n', lines);
                    break;
                }
                default:
                {
                    var lines = text.Split('\n');
                    int i = m.Position % lines.Length, j = (m.Position + m.Length) % lines.Length;
                    (lines[i], lines[j]) = (lines[j], lines[i]);
                    text = string.Join('\n', lines);
                    break;
                }
            }
        }
        return text;
    }

    [Fact]
    public void Mutated_scenario_files_are_accepted_or_rejected_with_located_errors_and_exit_code_2()
    {
        Prop.ForAll<Mutation[]>(mutations =>
        {
            var (code, errors) = Check(Apply(Canonical, mutations.Take(6).ToArray()));
            return Located(code, errors).Label(errors);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150).WithReplay(4242UL, 4243UL | 1UL).WithQuietOnSuccess(true));
    }

    [Fact]
    public void Random_bytes_are_rejected_with_a_located_error()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var (code, errors) = Check(Encoding.UTF8.GetString(bytes));
            return Located(code, errors).Label(errors);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100).WithReplay(77UL, 79UL).WithQuietOnSuccess(true));
    }

    [Theory]
    [InlineData("machine: {cpus: -4}")]
    [InlineData("machine: {cpus: 0}")]
    [InlineData("machine: {cpus: 8192}")]
    [InlineData("machine: {memory: 0GiB}")]
    [InlineData("machine: {memory: 1e9TiB}")]
    [InlineData("workload: {busy_fraction: NaN}")]
    [InlineData("operations: {rate: 1e400}")]
    [InlineData("duration: 1e30s")]
    [InlineData("duration: 5 weeks")]
    [InlineData("machine: {preset: a_cycle}")]
    [InlineData("replications: 0")]
    public void Hostile_values_give_a_located_error_and_exit_code_2(string setting)
    {
        var (code, errors) = Check($"presets:\n  machine:\n    a_cycle: {{preset: b_cycle}}\n    b_cycle: {{preset: a_cycle}}\nscenarios:\n  - name: x\n    {setting}\n");
        Assert.Equal(2, code);
        Assert.True(Located(code, errors), errors);
    }

    /// <summary>A hostile structure: nesting depth, alias fan-out and repetition, and a hostile value.</summary>
    public record struct Structure(byte Depth, byte FanOut, byte Levels, byte Value);

    [Fact]
    public void Deep_nesting_alias_fan_out_and_unbounded_values_are_accepted_or_refused_with_located_errors_never_a_crash()
    {
        string[] values = ["sample_interval: 1ps", "operations: {initiators: 100000}", "workload: {loop_threads: 99999}", "replications: 10000", "duration: 1ms"];
        Prop.ForAll<Structure>(shape =>
        {
            int depth = shape.Depth % 200, fan = shape.FanOut % 12 + 1, levels = shape.Levels % 9;
            var text = new StringBuilder("a0: &a0 [x]\n");
            for (int i = 1; i <= levels; i++)
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", fan))}]\n");
            text.Append("scenarios:\n  - name: x\n    description: ").Append(new string('[', depth)).Append(new string(']', depth)).Append('\n');
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"    {values[shape.Value % values.Length]}\n");
            if (levels > 0)
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"    mechanisms: *a{levels}\n");
            var (code, errors) = Check(text.ToString());
            return Located(code, errors).Label(errors);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60).WithReplay(9001UL, 9003UL).WithQuietOnSuccess(true));
    }
}
