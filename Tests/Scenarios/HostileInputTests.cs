using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>Is hostile input bounded: a located error and exit 2, never a crash, an endless read or an exhausted machine?</summary>
public class HostileInputTests
{
    private static (int Code, string Error) Check(string text, string? path = null)
    {
        path ??= Path.Combine(Directory.CreateTempSubdirectory("tlbsim-hostile").FullName, "s.yaml");
        if (text.Length > 0)
            File.WriteAllText(path, text);
        var error = new StringWriter();
        int code = TlbsimCli.Run(["check", path], new StringWriter(), error);
        return (code, error.ToString());
    }

    [Fact]
    public void A_billion_laughs_alias_bomb_stops_at_the_node_limit()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (int i = 1; i < 12; i++)
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        lines.Add("scenarios:\n  - name: x\n    description: *a11");
        var (code, error) = Check(string.Join("\n", lines));
        Assert.Equal(2, code);
        Assert.Contains("more than 1,000,000 settings", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Twenty_thousand_nested_brackets_are_refused_at_their_depth_without_a_stack_overflow()
    {
        var (code, error) = Check("scenarios: " + new string('[', 20_000) + new string(']', 20_000));
        Assert.Equal(2, code);
        Assert.Contains("nested more than 64 deep", error, StringComparison.Ordinal);
        Assert.Matches(@"s\.yaml:1:\d+:", error);
    }

    [Fact]
    public void An_endless_file_is_read_only_up_to_the_size_limit()
    {
        var (code, error) = Check("", "/dev/zero");
        Assert.Equal(2, code);
        Assert.Contains("more than 10,485,760 characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("    sample_interval: 1ps", "samples per metric and run")]
    [InlineData("    machine: {cpus: 8}\n    operations: {initiators: 100000}", "100000 initiators on a machine of 8 CPUs")]
    [InlineData("    machine: {cpus: 8}\n    workload: {preset: madvise_loop, loop_threads: 9}", "9 loop threads on a machine of 8 CPUs")]
    [InlineData("    replications: 10000\n    sweep:\n      operations.rate: {from: 1, to: 100000, step: 1}", "at most 1,000,000 are allowed")]
    public void Values_that_would_allocate_without_bound_are_refused_with_the_limit_named(string body, string message)
    {
        var (code, error) = Check("scenarios:\n  - name: x\n" + body + "\n");
        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
