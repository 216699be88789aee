namespace TlbSim.Model.Kernel;

/// <summary>
/// A run cannot continue: an event failed and nothing handled the failure, a process misused the engine,
/// or a run ended before the event it waited for. The message names the event and the simulated time.
/// </summary>
public sealed class SimulationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimulationException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public SimulationException() { }

    /// <summary>Creates the exception.</summary>
    public SimulationException(string message) : base(message) { }
}
