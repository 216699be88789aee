using TlbSim.Model.Hardware;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Hardware;

/// <summary>Does the menu governor choose the state mainline menu.c chooses for the same history and timer?</summary>
public class MenuGovernorTests
{
    private static IdleState State(string name, double exitUs, double residencyUs) => new()
    {
        Name = name,
        ExitLatency = Duration.FromMicroseconds(exitUs),
        TargetResidency = Duration.FromMicroseconds(residencyUs),
    };

    private static IdleState[] Icx => [.. MachinePresets.IceLakeSp2s.Cpu.IdleStates];

    /// <summary>A governor whose eight recorded intervals all measured <paramref name="us"/> (after the exit latency of a state that has none).</summary>
    private static MenuGovernor After(IdleState[] states, double us)
    {
        var g = new MenuGovernor(states);
        for (int i = 0; i < 8; i++)
        {
            g.Select(Duration.FromMicroseconds(1_000_000));
            g.Record(Duration.FromMicroseconds(us), MachinePresets.Poll);
        }
        return g;
    }

    [Fact]
    public void A_typical_interval_at_or_below_the_residency_threshold_makes_menu_ignore_the_next_timer()
    {
        // Typical 10 us: the timer 1 us away is not read, so C1 (1/1) and C1E (4/4) fit and C1E is chosen.
        var g = After(Icx, 10);
        Assert.Equal("C1E", g.Select(Duration.FromMicroseconds(1)).Name);
    }

    [Fact]
    public void A_typical_interval_above_the_threshold_is_capped_by_the_next_timer()
    {
        var g = After(Icx, 1000);
        Assert.Equal("C6", g.Select(Duration.FromMicroseconds(5000)).Name);
        Assert.Equal("C1E", g.Select(Duration.FromMicroseconds(100)).Name);
    }

    [Fact]
    public void With_no_history_the_deepest_state_within_the_next_timer_is_chosen()
    {
        var g = new MenuGovernor(Icx);
        Assert.Equal("C6", g.Select(Duration.FromMicroseconds(700)).Name);
        Assert.Equal("C1E", g.Select(Duration.FromMicroseconds(300)).Name);
    }

    [Fact]
    public void A_next_timer_closer_than_the_first_physical_states_residency_keeps_the_CPU_polling()
    {
        var g = After(Icx, 1000);
        Assert.Equal("POLL", g.Select(Duration.FromNanoseconds(400)).Name); // 400 ns: before C1's 1 us target residency
    }

    [Fact]
    public void A_short_prediction_uses_the_shallowest_physical_state_instead_of_polling_when_its_exit_latency_fits()
    {
        // C1 with a 5 us target residency and a 1 us exit latency: a 3 us prediction does not reach its
        // residency, but menu takes it rather than POLL, since its residency is below 15 us and its exit
        // latency within the prediction.
        IdleState[] states = [MachinePresets.Poll, State("C1", 1, 5), State("C6", 100, 600)];
        Assert.Equal("C1", After(states, 3).Select(Duration.FromMicroseconds(1_000)).Name);
    }

    [Fact]
    public void Polling_stays_when_the_physical_states_exit_latency_exceeds_the_prediction()
    {
        IdleState[] states = [MachinePresets.Poll, State("C1", 4, 5), State("C6", 100, 600)];
        Assert.Equal("POLL", After(states, 3).Select(Duration.FromMicroseconds(1_000)).Name);
    }

    [Fact]
    public void Polling_stays_when_the_physical_states_residency_is_at_or_above_the_threshold()
    {
        IdleState[] states = [MachinePresets.Poll, State("C1", 1, 20), State("C6", 100, 600)];
        Assert.Equal("POLL", After(states, 3).Select(Duration.FromMicroseconds(1_000)).Name);
    }

    [Fact]
    public void A_recorded_residency_loses_the_exit_latency_when_more_than_twice_it_and_is_halved_otherwise()
    {
        var c6 = State("C6", 100, 600);
        var g = new MenuGovernor([MachinePresets.Poll, c6]);
        g.Select(Duration.FromMicroseconds(10_000));
        g.Record(Duration.FromMicroseconds(500), c6); // 500 > 2 x 100: 400
        g.Select(Duration.FromMicroseconds(10_000));
        g.Record(Duration.FromMicroseconds(150), c6); // 150 <= 200: 75
        Assert.Equal([400u, 75u], g.IntervalsUs.Take(2));
    }

    [Fact]
    public void A_recorded_residency_is_capped_by_the_next_timer_the_selection_saw()
    {
        var g = new MenuGovernor(Icx);
        g.Select(Duration.FromMicroseconds(50));
        g.Record(Duration.FromMicroseconds(80), MachinePresets.Poll);
        Assert.Equal(50u, g.IntervalsUs[0]);
    }

    [Theory]
    [InlineData(new uint[] { 100, 100, 100, 100, 100, 100, 100, 100 }, 100u)]
    [InlineData(new uint[] { 100, 100, 100, 100, 100, 100, 5000, 9000 }, 100u)] // two high outliers excluded
    [InlineData(new uint[] { 1, 100, 100, 100, 100, 100, 100, 100 }, 100u)] // a low outlier excluded
    [InlineData(new uint[] { 100, 100, 100, 100, 100, 4000, 5000, 9000 }, uint.MaxValue)] // three quarters left: give up
    [InlineData(new uint[] { 0, 0, 0, 0, 0, 0, 0, 0 }, uint.MaxValue)] // nothing measured yet
    public void Get_typical_interval_excludes_the_farther_outlier_on_either_side_down_to_three_quarters_of_the_samples(uint[] intervals, uint expected)
    {
        Assert.Equal(expected, MenuGovernor.GetTypicalInterval(intervals));
    }
}
