using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>Does page-table isolation add what tlb.c adds to each flush?</summary>
public class PtiTests
{
    private static MachineParams Machine(bool pti, bool invpcid) =>
        Harness.Cpus(2) with { Cpu = new CpuParams { Pti = pti }, Tlb = new TlbParams { Invpcid = invpcid } };

    [Fact]
    public void Under_PTI_a_page_flush_also_pays_INVPCID_for_the_user_PCID()
    {
        Duration Local(bool pti)
        {
            var h = new Harness(Machine(pti, invpcid: true));
            var mm = h.MmOn(0);
            var t = h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 3, freedTables: false));
            h.RunFor(100);
            return t.Latency;
        }
        var p = new TlbParams();
        Assert.Equal(new CpuParams().Frequency.Cycles(p.InvpcidExtraCycles) * 3, Local(true) - Local(false));
    }

    [Fact]
    public void Under_PTI_a_kernel_page_flush_makes_the_next_switch_to_another_mm_flush()
    {
        foreach (bool pti in new[] { false, true })
        {
            var h = new Harness(Machine(pti, invpcid: true));
            var a = h.MmOn(0);
            var b = new AddressSpace(2, "other");
            IEnumerable<TlbSim.Model.Kernel.Event> Body(Cpu c)
            {
                foreach (var e in c.Spend(h.Kernel.FlushTlbOneKernel(c, 1, PageSize.Size4K), TimeCategory.Flush))
                    yield return e;
                foreach (var e in h.Kernel.SwitchMm(c, b)) // switch_mm_irqs_off decides when it runs
                    yield return e;
            }
            h.Once(0, Body);
            h.RunFor(100);
            Assert.Equal(pti ? 1 : 0, h.Kernel.FullFlushes);
            Assert.False(h[0].InvalidateOther);
            _ = a;
        }
    }

    [Fact]
    public void Under_PTI_without_INVPCID_a_kernel_page_flush_costs_the_user_entries()
    {
        foreach (bool invpcid in new[] { true, false })
        {
            var h = new Harness(Machine(pti: true, invpcid));
            h.Once(0, c => c.Spend(h.Kernel.FlushTlbOneKernel(c, 1, PageSize.Size4K), TimeCategory.Flush));
            h.RunFor(100);
            Assert.Equal(invpcid ? 0 : 1, h.Kernel.FullFlushes);
        }
    }
}
