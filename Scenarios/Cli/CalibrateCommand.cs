using System.Globalization;
using System.Text;
using TlbSim.Output.Charts;
using TlbSim.Scenarios.Calibration;

namespace TlbSim.Scenarios.Cli;

/// <summary>
/// <c>tlbsim calibrate</c>: reproduces every row of docs/CALIBRATION.md that tlbsim models, prints simulated versus
/// published with the tolerance, writes calibration.csv and calibration.svg, and exits 1 when a row is out
/// of tolerance.
/// </summary>
public static class CalibrateCommand
{
    /// <summary>Runs the calibration; returns 0 when every row is within tolerance.</summary>
    public static int Execute(string? outDir, TextWriter output, TextWriter error)
    {
        outDir = Path.TrimEndingDirectorySeparator(outDir ?? Path.Combine("results", $"calibration-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));
        if (Directory.Exists(outDir) || File.Exists(outDir))
        {
            error.WriteLine($"--out {outDir}: already exists; choose another folder or remove it");
            return CheckAndList.BadInput;
        }
        var rows = CalibrationTable.Rows;
        var simulated = new double[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => simulated[i] = rows[i].Simulate());
        var csv = new StringBuilder("kind,quantity,conditions,unit,published,simulated,tolerance,ratio,within_tolerance,source\n");
        int failures = 0;
        output.WriteLine($"{"kind",-6} {"quantity",-58} {"published",12} {"simulated",12} {"tol",6}  ok");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            bool ok = r.Within(simulated[i]);
            failures += ok ? 0 : 1;
            double ratio = r.Published != 0 ? simulated[i] / r.Published : double.NaN;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Kind,-6} {Trim(r.Quantity, 58),-58} {CalibrationTable.Format(r.Published),12} {CalibrationTable.Format(simulated[i]),12} {r.Tolerance * 100,5:0}%  {(ok ? "yes" : "NO")} [{r.Unit}]"));
            csv.Append(string.Join(",", new[]
            {
                r.Kind, Quote(r.Quantity), Quote(r.Conditions), Quote(r.Unit), CalibrationTable.Format(r.Published), CalibrationTable.Format(simulated[i]),
                CalibrationTable.Format(r.Tolerance), double.IsNaN(ratio) ? "" : CalibrationTable.Format(ratio), ok ? "true" : "false", Quote(r.Source),
            })).Append('\n');
        }
        var chart = new Chart
        {
            Title = "tlbsim calibration: simulated / published",
            Subtitle = "one marker per row (numbered as in calibration.csv); tolerances differ per row, see the table",
            XLabel = "row [index]",
            YLabel = "simulated / published [ratio]",
            YLog = true,
            YRange = (0.1, 10),
            Series =
            [
                new Series("input rows", Enumerable.Range(0, rows.Count).Where(i => rows[i].Kind == "input").Select(i => ((double)i + 1, simulated[i] / rows[i].Published)).ToList()) { Line = false },
                new Series("check rows", Enumerable.Range(0, rows.Count).Where(i => rows[i].Kind == "check").Select(i => ((double)i + 1, simulated[i] / rows[i].Published)).ToList()) { Line = false },
                new Series("±15% band", [(1, 1.15), (rows.Count, 1.15)]) { Dashed = true, Style = 10 },
                new Series("-15%", [(1, 0.85), (rows.Count, 0.85)]) { Dashed = true, Style = 10, InLegend = false },
            ],
        };
        var full = Path.GetFullPath(outDir);
        var temp = full + $".partial-{Environment.ProcessId}";
        try
        {
            Directory.CreateDirectory(temp);
            File.WriteAllText(Path.Combine(temp, "calibration.csv"), csv.ToString());
            File.WriteAllText(Path.Combine(temp, "calibration.svg"), chart.Svg());
            File.WriteAllBytes(Path.Combine(temp, "calibration.png"), chart.Png());
            Directory.Move(temp, full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"writing {outDir} failed: {e.Message}");
            return RunCommand.Failed;
        }
        output.WriteLine($"{rows.Count - failures} of {rows.Count} rows within tolerance; calibration.csv, calibration.svg and calibration.png in {outDir}");
        return failures == 0 ? 0 : RunCommand.Failed;
    }

    private static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
