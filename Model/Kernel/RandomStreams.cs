using System.Text;
using MathNet.Numerics.Random;

namespace TlbSim.Model.Kernel;

/// <summary>
/// Independent random streams named by component ("cpu3.workload", "ops.rare_alloc"), each derived
/// from (run seed, name) alone, so adding a component never shifts another component's numbers.
/// Each stream is a MathNet.Numerics xoshiro256** generator; sample distributions from it with
/// MathNet's static samplers (for example <c>Exponential.Sample(stream, rate)</c>).
/// </summary>
/// <remarks>
/// MathNet's generators take a 32-bit seed, so two names collide with probability 2^-32 per pair:
/// with a thousand streams in a run the chance of any collision is about 10^-4. The run seed is mixed
/// in full (64 bits) before folding, so neighbouring run seeds give unrelated streams.
/// </remarks>
public sealed class RandomStreams
{
    /// <summary>Creates the streams of a run.</summary>
    public RandomStreams(long seed) => Seed = seed;

    /// <summary>The run seed.</summary>
    public long Seed { get; }

    /// <summary>A new generator for <paramref name="name"/>; the same name always starts the same sequence.</summary>
    public System.Random Stream(string name) => new Xoshiro256StarStar(DeriveSeed(Seed, name), threadSafe: false);

    /// <summary>The 32-bit generator seed for (run seed, name): FNV-1a over the name's UTF-8, mixed with SplitMix64.</summary>
    public static int DeriveSeed(long seed, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        ulong z = Mix((ulong)seed) ^ h;
        z = Mix(z);
        return (int)(z ^ (z >> 32));
    }

    /// <summary>SplitMix64's finaliser: a bijection that spreads every input bit over the output.</summary>
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
