using System.Diagnostics;
using TlbSim.Scenarios;
using TlbSim.Tests.Scenarios;
using Xunit;

namespace TlbSim.Tests.Output;

/// <summary>Does report.html load in a real browser with the network cut off, show every chart, and log no console message?</summary>
public class ReportBrowserTests
{
    private static string? Chromium() => NeedsProgramsFactAttribute.FindAny("chromium", "chromium-browser", "google-chrome");

    [NeedsProgramsFact("chromium", "chromium")]
    public async Task The_report_loads_in_headless_Chromium_without_network_with_every_chart_and_no_console_message()
    {
        string? chromium = Chromium();
        Assert.True(chromium is not null, "Chromium is not installed (.ci/run installs the Debian chromium package)");
        string dir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-browser").FullName, "r");
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Output", "golden.yaml"), "--out", dir, "--quiet"], new StringWriter(), error) == 0, error.ToString());
        var psi = new ProcessStartInfo(chromium!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--dump-dom", new Uri(Path.Combine(dir, "report.html")).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var browser = Process.Start(psi)!;
        var dom = browser.StandardOutput.ReadToEndAsync();
        var log = browser.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await browser.WaitForExitAsync(timeout.Token);
        string page = await dom, messages = await log;
        int charts = Directory.GetFiles(dir, "*.svg").Length;
        Assert.True(charts > 0);
        // Every chart is inline SVG in the loaded page (nothing to fetch), and the page said nothing to the console.
        Assert.Equal(charts, page.Split("<svg").Length - 1);
        Assert.DoesNotContain("CONSOLE(", messages, StringComparison.Ordinal);
        Assert.Contains("tlbsim results", page, StringComparison.Ordinal);
    }
}
