namespace TlbSim.Model.Kernel;

/// <summary>
/// The order of events scheduled for the same instant: lower runs first; within one priority,
/// events run in the order they were scheduled (their sequence number).
/// </summary>
public enum EventPriority : byte
{
    /// <summary>A run's <c>until</c> boundary: it takes effect before anything else at that instant, so Run(until: t) leaves every time-t event pending.</summary>
    Stop = 0,

    /// <summary>An interrupt (an arriving IPI) preempts whatever else its target would do at the same instant, as hardware takes the interrupt before the next instruction.</summary>
    Interrupt = 1,

    /// <summary>Triggered events and process starts: work caused by something that already happened at this instant completes before new delays begin.</summary>
    Urgent = 2,

    /// <summary>Timeouts: the end of a modelled delay.</summary>
    Normal = 3,

    /// <summary>Observation (monitor sampling): sees the state after everything else at that instant has run.</summary>
    Late = 4,
}
