using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TlbSim.Tests")]
[assembly: InternalsVisibleTo("TlbSim.Bench")]
