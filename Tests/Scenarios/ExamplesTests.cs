using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>Does every example under examples/ run, and give the summary it gave when it was last reviewed (examples/golden)?</summary>
public class ExamplesTests
{
    private static readonly string Examples = Path.Combine(ScenarioLoaderTests.RepoRoot(), "examples");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Examples, "*.yaml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void An_example_runs_and_reproduces_its_golden_summary(string name)
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-example").FullName, name);
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", Path.Combine(Examples, name + ".yaml"), "--out", dir, "--quiet", "--jobs", "2"], new StringWriter(), error) == 0, error.ToString());
        string golden = Path.Combine(Examples, "golden", name + ".summary.csv");
        string actual = File.ReadAllText(Path.Combine(dir, "summary.csv"));
        if (Environment.GetEnvironmentVariable("TLBSIM_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, actual);
        Assert.True(File.Exists(golden), $"no golden summary for {name}: run the tests with TLBSIM_UPDATE_GOLDEN=1 once, and review it");
        Assert.Equal(File.ReadAllText(golden), actual);
    }
}
