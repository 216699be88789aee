using TlbSim.Scenarios;
using Xunit;
using Xunit.Abstractions;

namespace TlbSim.Tests.Scenarios;

/// <summary>Does tlbsim reproduce every modelled row of docs/CALIBRATION.md within its tolerance (the calibrate command, as a user runs it)?</summary>
public class CalibrateCommandTests(ITestOutputHelper log)
{
    [Fact]
    public void Every_calibration_row_is_within_tolerance_and_the_command_writes_its_table_and_chart()
    {
        string outDir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-calibrate").FullName, "cal");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = TlbsimCli.Run(["calibrate", "--out", outDir], output, error);
        log.WriteLine(output.ToString());
        Assert.True(code == 0, output + error.ToString());
        var csv = File.ReadAllLines(Path.Combine(outDir, "calibration.csv"));
        Assert.True(csv.Length > 20);
        Assert.All(csv.Skip(1), line => Assert.Contains(",true,", line, StringComparison.Ordinal));
        Assert.StartsWith("<?xml", File.ReadAllText(Path.Combine(outDir, "calibration.svg")), StringComparison.Ordinal);
    }
}
