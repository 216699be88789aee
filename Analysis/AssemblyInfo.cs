using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TlbSim.Tests")]
