using System.Globalization;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Units;

/// <summary>Do quantities parse exactly, print back the same, convert cycles correctly, and reject bad strings helpfully?</summary>
public class UnitTests
{
    [Theory]
    [InlineData("150ns", 150_000L)]
    [InlineData("1.2us", 1_200_000L)]
    [InlineData("1.2µs", 1_200_000L)]
    [InlineData("3ms", 3_000_000_000L)]
    [InlineData("2s", 2_000_000_000_000L)]
    [InlineData("40 ps", 40L)]
    [InlineData("0.5ns", 500L)]
    public void Durations_parse_to_exact_picoseconds(string text, long ps)
    {
        Assert.Equal(ps, Duration.Parse(text).Picoseconds);
    }

    [Theory]
    [InlineData("150ns")]
    [InlineData("1.2us")]
    [InlineData("2s")]
    [InlineData("1.234567us")]
    [InlineData("7ps")]
    public void Durations_print_back_as_parsed(string text)
    {
        Assert.Equal(text, Duration.Parse(text).ToString());
    }

    [Fact]
    public void Parsing_ignores_a_comma_decimal_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal(1_200_000L, Duration.Parse("1.2us").Picoseconds);
            Assert.Equal("1.2us", Duration.Parse("1.2us").ToString());
            Assert.Equal("2.6GHz", Frequency.Parse("2.6GHz").ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Theory]
    [InlineData("2.6GHz", 2_600_000_000L)]
    [InlineData("800MHz", 800_000_000L)]
    [InlineData("1Hz", 1L)]
    public void Frequencies_parse_to_hertz(string text, long hz)
    {
        Assert.Equal(hz, Frequency.Parse(text).Hertz);
        Assert.Equal(text, Frequency.Parse(text).ToString());
    }

    [Theory]
    [InlineData("4KiB", 4096L)]
    [InlineData("2MiB", 2097152L)]
    [InlineData("64GiB", 68719476736L)]
    [InlineData("4KB", 4000L)]
    [InlineData("1.5KiB", 1536L)]
    public void Sizes_parse_to_bytes(string text, long bytes)
    {
        Assert.Equal(bytes, ByteSize.Parse(text).Bytes);
    }

    [Fact]
    public void Sizes_print_in_binary_units()
    {
        Assert.Equal("64GiB", ByteSize.FromGiB(64).ToString());
        Assert.Equal("4KiB", ByteSize.Page4K.ToString());
        Assert.Equal("1.5KiB", new ByteSize(1536).ToString());
    }

    [Fact]
    public void Cycles_convert_to_time_and_back_at_a_frequency()
    {
        var f = Frequency.Parse("2GHz");
        Assert.Equal(Duration.Parse("1us"), f.Cycles(2000));
        Assert.Equal(2000, f.ToCycles(Duration.Parse("1us")), 9);
        Assert.Equal(385, Frequency.Parse("2.6GHz").Cycles(1).Picoseconds); // 384.6 ps rounds to 385
    }

    [Theory]
    [InlineData("150", "no unit")]
    [InlineData("150 furlongs", "unknown unit 'furlongs'")]
    [InlineData("ns", "no number")]
    [InlineData("0.1ps", "not a whole number of picoseconds")]
    [InlineData("1..2ns", "is not a number")]
    public void A_bad_duration_quotes_itself_and_lists_the_accepted_units(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => Duration.Parse(text));
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains("accepted units: ps, ns, us, µs, ms, s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_size_lists_the_size_units()
    {
        var e = Assert.Throws<FormatException>(() => ByteSize.Parse("4KiBs"));
        Assert.Contains("KiB, MiB, GiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duration_too_large_for_64_bits_is_rejected()
    {
        var e = Assert.Throws<FormatException>(() => Duration.Parse("1e8s"));
        Assert.Contains("too large", e.Message, StringComparison.Ordinal);
    }
}
