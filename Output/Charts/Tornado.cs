using ScottPlot;

namespace TlbSim.Output.Charts;

/// <summary>One input of a tornado chart: the metric with the input at its low and at its high end.</summary>
public sealed record TornadoBar(string Input, double AtLow, double AtHigh);

/// <summary>
/// A tornado chart: for each input (largest swing on top), a bar from the base value to the value with the
/// input at its low end and one to its high end, so the inputs that decide the answer stand out.
/// </summary>
public sealed class Tornado
{
    /// <summary>Title.</summary>
    public required string Title { get; init; }

    /// <summary>Second title line.</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>The metric's axis label.</summary>
    public required string XLabel { get; init; }

    /// <summary>The metric with every input at its default.</summary>
    public required double Base { get; init; }

    /// <summary>Half-width of the 95% interval of <see cref="Base"/> across replications (drawn as a band; NaN: none).</summary>
    public double Noise { get; init; } = double.NaN;

    /// <summary>The inputs, in any order.</summary>
    public required IReadOnlyList<TornadoBar> Bars { get; init; }

    /// <summary>The chart as SVG.</summary>
    public string Svg() => Build().GetSvgXml(Chart.Width, Height);

    /// <summary>The chart as PNG.</summary>
    public byte[] Png() => Build().GetImageBytes(Chart.Width, Height, ImageFormat.Png);

    private int Height => Math.Max(320, 120 + 28 * Bars.Count);

    private Plot Build()
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(Subtitle.Length > 0 ? $"{Title}\n{Wrap(Subtitle, 110)}" : Title, size: 13);
        plot.Axes.Bottom.Label.Text = XLabel;
        var ordered = Bars.OrderBy(b => Effect(b, Base)).ToList(); // smallest first: the largest ends on top
        var low = Colors.SteelBlue;
        var high = Colors.DarkOrange;
        var bars = new List<Bar>();
        for (int i = 0; i < ordered.Count; i++)
        {
            var b = ordered[i];
            if (double.IsFinite(b.AtLow))
                bars.Add(new Bar { Position = i - 0.19, ValueBase = Base, Value = b.AtLow, FillColor = low, Size = 0.36 });
            if (double.IsFinite(b.AtHigh))
                bars.Add(new Bar { Position = i + 0.19, ValueBase = Base, Value = b.AtHigh, FillColor = high, Size = 0.36 });
        }
        if (double.IsFinite(Noise) && Noise > 0)
        {
            var band = plot.Add.HorizontalSpan(Base - Noise, Base + Noise); // ScottPlot: a horizontal span covers a range of x
            band.FillStyle.Color = Colors.Gray.WithAlpha(0.25);
            band.LineStyle.Width = 0;
        }
        var plotted = plot.Add.Bars(bars);
        plotted.Horizontal = true;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, ordered.Count).Select(i => (double)i).ToArray(), ordered.Select(b => b.Input).ToArray());
        var line = plot.Add.VerticalLine(Base);
        line.Color = Colors.Black;
        line.LineWidth = 1;
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "input at its low end", FillColor = low });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "input at its high end", FillColor = high });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "every input at its default", LineColor = Colors.Black, LineWidth = 1 });
        if (double.IsFinite(Noise) && Noise > 0)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "its 95% interval across replications", FillColor = Colors.Gray.WithAlpha(0.3) });
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(-0.8, Math.Max(0.8, ordered.Count - 0.2));
        return plot;
    }

    private static string Wrap(string text, int width)
    {
        var lines = new List<string> { "" };
        foreach (var word in text.Split(' '))
        {
            if (lines[^1].Length > 0 && lines[^1].Length + 1 + word.Length > width)
                lines.Add("");
            lines[^1] = lines[^1].Length == 0 ? word : lines[^1] + " " + word;
        }
        return string.Join("\n", lines);
    }

    /// <summary>How far an input moves the metric: the extent of the default value and the two ends together (NaN ends ignored).</summary>
    public static double Effect(TornadoBar b, double baseValue)
    {
        ArgumentNullException.ThrowIfNull(b);
        var values = new[] { baseValue, b.AtLow, b.AtHigh }.Where(double.IsFinite).ToList();
        return values.Count == 0 ? 0 : values.Max() - values.Min();
    }
}
