namespace TlbSim.Analysis; internal static class Placeholder {}
