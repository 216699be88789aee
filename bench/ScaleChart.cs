using System.Globalization;
using TlbSim.Output.Charts;

namespace TlbSim.Bench;

/// <summary>Draws bench/scale.csv (from bench/scale.sh): simulation cost per simulated second against CPU count.</summary>
public static class ScaleChart
{
    public static void Write(string csvPath, string svgPath)
    {
        var rows = File.ReadAllLines(csvPath).Skip(1).Select(l => l.Split(','))
            .Select(f => (Cpus: double.Parse(f[0], CultureInfo.InvariantCulture), Ms: double.Parse(f[1], CultureInfo.InvariantCulture),
                Wall: double.Parse(f[2], CultureInfo.InvariantCulture), Rss: double.Parse(f[5], CultureInfo.InvariantCulture)))
            .Where(r => r.Ms == 5).ToList();
        var chart = new Chart
        {
            Title = "tlbsim scale: cost of simulating one second, by machine size",
            Subtitle = "rare_alloc + baseline under kernel_build, 5 ms runs, 1 job; see bench/README.md",
            XLabel = "CPUs",
            YLabel = "wall seconds per simulated second [s/s]",
            XLog = true,
            YLog = true,
            Series = [new Series("wall time / simulated time", rows.Select(r => (r.Cpus, r.Wall / (2 * r.Ms / 1000))).ToList())],
        };
        File.WriteAllText(svgPath, chart.Svg());
    }
}
