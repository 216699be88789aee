using TlbSim.Scenarios.Calibration;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>Does the calibration document a clone contains say exactly what the code calibrates against?</summary>
public class CalibrationDocTests
{
    [Fact]
    public void The_calibration_rows_document_is_the_table_the_code_declares()
    {
        string path = Path.Combine(ScenarioLoaderTests.RepoRoot(), "docs", "calibration-rows.md");
        string expected = CalibrationTable.Markdown();
        if (Environment.GetEnvironmentVariable("TLBSIM_UPDATE_GOLDEN") == "1")
            File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), "docs/calibration-rows.md is missing: run the tests with TLBSIM_UPDATE_GOLDEN=1");
        Assert.Equal(expected, File.ReadAllText(path));
    }
}
