using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace TlbSim.Bench;

/// <summary>
/// Where a product case allocates: the runtime's GC allocation ticks (one sample about every 100 KB allocated,
/// naming the type of the object that crossed the mark), counted by type over the measured run. Run with
/// <c>dotnet run -c Release --project bench -- allocations xpfo256</c>.
/// </summary>
public static class Allocations
{
    public static void Run(string name)
    {
        Product.Measured(name); // warm: JIT
        using var listener = new TickListener();
        Console.WriteLine(Product.Measured(name));
        var total = listener.Bytes.Values.Sum();
        Console.WriteLine($"sampled {total / 1e6:F1} MB in ticks of about 100 KB; by type:");
        foreach (var (type, bytes) in listener.Bytes.OrderByDescending(kv => kv.Value).Take(15))
            Console.WriteLine($"  {bytes * 100.0 / total,5:F1}%  {type}");
    }

    private sealed class TickListener : EventListener
    {
        public readonly ConcurrentDictionary<string, long> Bytes = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null)
                return;
            int typeAt = e.PayloadNames.IndexOf("TypeName");
            int amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
            string type = typeAt >= 0 ? e.Payload![typeAt]?.ToString() ?? "?" : "?";
            long amount = amountAt >= 0 ? Convert.ToInt64(e.Payload![amountAt], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
            Bytes.AddOrUpdate(type, amount, (_, b) => b + amount);
        }
    }
}
