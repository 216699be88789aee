namespace TlbSim.Output; internal static class Placeholder {}
