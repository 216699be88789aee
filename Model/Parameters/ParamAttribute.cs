namespace TlbSim.Model.Parameters;

/// <summary>
/// Declares a model parameter: what it means, its unit when the type does not carry one, and where its
/// default comes from. Scenario loading, validation messages and <c>tlbsim describe</c> all read this one
/// declaration, so documented and actual defaults cannot drift.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ParamAttribute(string description) : Attribute
{
    /// <summary>One line: what the parameter is.</summary>
    public string Description { get; } = description;

    /// <summary>Unit of a plain number ("entries", "cycles", "pages"); empty for unit-carrying types (Duration, Frequency, ByteSize).</summary>
    public string Unit { get; init; } = "";

    /// <summary>Where the default comes from: a measurement with its reference, or why it was chosen.</summary>
    public string Source { get; init; } = "";

    /// <summary>The low end of the plausible range of an estimated value, as a scenario writes it ("50ns"); empty for a measured one.</summary>
    public string Low { get; init; } = "";

    /// <summary>The high end of the plausible range (see <see cref="Low"/>); the reason for the range is in <see cref="Source"/>.</summary>
    public string High { get; init; } = "";
}

/// <summary>A parameter record that can check its own values.</summary>
public interface IParameters
{
    /// <summary>Every problem with these values, each prefixed with its key path: "machine.tlb.l1_4k_entries: must be at least 1 (was 0)".</summary>
    IEnumerable<string> Validate(string path);
}
