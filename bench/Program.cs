using BenchmarkDotNet.Running;

if (args is ["count-mm4"])
{
    Console.WriteLine($"M/M/4 events per run: {TlbSim.Bench.MM4Benchmark.CountEvents()}");
    return;
}
if (args is ["scale-chart", var csvPath, var svgPath])
{
    TlbSim.Bench.ScaleChart.Write(csvPath, svgPath);
    return;
}
if (args is ["product", .. var cases])
{
    TlbSim.Bench.Product.Run(cases);
    return;
}
if (args is ["allocations", var allocationCase])
{
    TlbSim.Bench.Allocations.Run(allocationCase);
    return;
}
if (args is ["queue"])
{
    TlbSim.Bench.QueueBenchmark.Run();
    return;
}
if (args is ["quick", .. var sizes])
{
    TlbSim.Bench.Quick.Run([.. sizes.Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture))]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(TlbSim.Bench.HoldBenchmark).Assembly).Run(args);
