using System.Globalization;
using ScottPlot;

namespace TlbSim.Output.Charts;

/// <summary>One line of a chart: points in data coordinates, drawn with a style that survives greyscale.</summary>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points)
{
    /// <summary>Highlighted points on the line (e.g. p50 and p99), each with a short label.</summary>
    public IReadOnlyList<(double X, double Y, string Label)> Marks { get; init; } = [];

    /// <summary>Draw as steps (histograms) instead of straight segments.</summary>
    public bool Steps { get; init; }

    /// <summary>Colour and marker slot; series sharing a slot (one mechanism's p50 and p99) look alike but for the dash.</summary>
    public int? Style { get; init; }

    /// <summary>Dashed instead of the slot's own pattern (a second series of the same slot, e.g. p99 beside p50).</summary>
    public bool Dashed { get; init; }

    /// <summary>Shown in the legend.</summary>
    public bool InLegend { get; init; } = true;

    /// <summary>Join the points with a line (false: markers only).</summary>
    public bool Line { get; init; } = true;

    /// <summary>Half-widths of the points' 95% intervals, drawn as error bars (NaN: none), in the order of <see cref="Points"/>.</summary>
    public IReadOnlyList<double>? Errors { get; init; }

    /// <summary>Points the data do not support (too few operations in the tail), ringed in grey, in the order of <see cref="Points"/>.</summary>
    public IReadOnlyList<bool>? Unsupported { get; init; }
}

/// <summary>
/// tlbsim's line charts, drawn with ScottPlot 5: linear or logarithmic axes (log10 of the data with decade
/// ticks and log minor ticks), axis titles with units, a legend on the right, and series styles that differ
/// in colour (Okabe-Ito), line pattern and marker so they stay distinguishable in greyscale. Renders SVG for
/// the report and PNG for mail and slides.
/// </summary>
public sealed class Chart
{
    /// <summary>Image size in pixels.</summary>
    public const int Width = 900, Height = 520;

    private static readonly Color[] Colours = new[] { "#000000", "#E69F00", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#999933", "#882255", "#44AA99", "#777777", "#332288" }
        .Select(Color.FromHex).ToArray();
    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];
    private static readonly MarkerShape[] Markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.Cross,
        MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond, MarkerShape.Eks,
        MarkerShape.FilledTriangleDown, MarkerShape.OpenTriangleDown,
    ];

    /// <summary>Chart title.</summary>
    public required string Title { get; init; }

    /// <summary>A second title line: what the lines and marks mean, and the point shown.</summary>
    public string Subtitle { get; init; } = "";

    /// <summary>X axis title, with unit.</summary>
    public required string XLabel { get; init; }

    /// <summary>Y axis title, with unit.</summary>
    public required string YLabel { get; init; }

    /// <summary>Logarithmic x axis.</summary>
    public bool XLog { get; init; }

    /// <summary>
    /// On a logarithmic x axis, a tick at each x value, labelled as written, when there are at most 12 (swept
    /// values: CPU counts, rates); otherwise, and for continuous data such as latencies, a label per decade.
    /// </summary>
    public bool XTicksAtValues { get; init; }

    /// <summary>Logarithmic y axis.</summary>
    public bool YLog { get; init; }

    /// <summary>Fixed y range (otherwise from the data).</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>The lines.</summary>
    public required IReadOnlyList<Series> Series { get; init; }

    /// <summary>
    /// The chart as SVG. Skia's SVG canvas cannot draw dash patterns, so in SVG every line is solid and a
    /// dashed series (a p99 beside its p50) is drawn thinner with open markers instead.
    /// </summary>
    public string Svg() => Build(svg: true).GetSvgXml(Width, Height);

    /// <summary>The chart as PNG, dash patterns included.</summary>
    public byte[] Png() => Build(svg: false).GetImageBytes(Width, Height, ImageFormat.Png);

    private static bool Valid(double v, bool log) => double.IsFinite(v) && (!log || v > 0);

    private double X(double v) => XLog ? Math.Log10(v) : v;

    private double Y(double v) => YLog ? Math.Log10(v) : v;

    private bool _svg;

    private Plot Build(bool svg)
    {
        _svg = svg;
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(Subtitle.Length > 0 ? $"{Title}\n{Wrap(Subtitle, 100)}" : Title, size: 13);
        plot.Axes.Bottom.Label.Text = XLabel + (XLog ? " (log scale)" : "");
        plot.Axes.Left.Label.Text = YLabel + (YLog ? " (log scale)" : "");
        var xs = Series.SelectMany(x => x.Points).Select(p => p.X).Where(v => Valid(v, XLog)).Distinct().Order().ToArray();
        if (XLog && XTicksAtValues && xs.Length is > 0 and <= 12)
        {
            // Few swept values (CPU counts, rates): a tick at each, labelled as written.
            plot.Axes.Bottom.SetTicks(xs.Select(X).ToArray(), xs.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)).ToArray());
        }
        else if (XLog)
        {
            plot.Axes.Bottom.TickGenerator = LogTicks();
        }
        if (YLog)
            plot.Axes.Left.TickGenerator = LogTicks();
        for (int i = 0; i < Series.Count; i++)
            Draw(plot, Series[i], i);
        if (Series.Any(s => s.InLegend))
            plot.ShowLegend(Edge.Right);
        plot.Axes.AutoScale();
        if (YRange is { } r)
            plot.Axes.SetLimitsY(Y(r.Min), Y(r.Max));
        return plot;
    }

    private void Draw(Plot plot, Series s, int index)
    {
        int slot = s.Style ?? index;
        var colour = Colours[slot % Colours.Length];
        var shape = Markers[slot % Markers.Length];
        var pts = s.Points.Select((p, k) => (p.X, p.Y, k)).Where(p => Valid(p.X, XLog) && Valid(p.Y, YLog)).ToList();
        if (pts.Count == 0)
            return;
        double[] xs = pts.Select(p => X(p.X)).ToArray(), ys = pts.Select(p => Y(p.Y)).ToArray();
        var line = plot.Add.Scatter(xs, ys, colour);
        line.LegendText = s.InLegend ? s.Name : "";
        line.LineWidth = !s.Line ? 0 : _svg && s.Dashed ? 1 : 2;
        line.LinePattern = _svg ? LinePattern.Solid : s.Dashed ? LinePattern.Dashed : s.Style is null ? Patterns[slot % Patterns.Length] : LinePattern.Solid;
        line.MarkerShape = _svg && s.Dashed ? Open(shape) : shape;
        line.MarkerSize = pts.Count <= 40 || !s.Line ? 7 : 0;
        if (s.Steps)
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        foreach (var (x, y, k) in pts)
        {
            double e = s.Errors is { } errors && k < errors.Count ? errors[k] : double.NaN;
            if (double.IsFinite(e) && e > 0)
            {
                // An interval reaching zero on a log axis is drawn to the decade below.
                double lo = YLog && y - e <= 0 ? y / 10 : y - e;
                var bar = plot.Add.Line(X(x), Y(lo), X(x), Y(y + e));
                bar.Color = colour;
                bar.LineWidth = 1.2f;
                bar.MarkerSize = 0;
                bar.LegendText = "";
            }
            if (s.Unsupported is { } weak && k < weak.Count && weak[k])
            {
                var ring = plot.Add.Marker(X(x), Y(y), MarkerShape.OpenCircle, 16, Colors.Gray);
                ring.LegendText = "";
            }
        }
        foreach (var (mx, my, _) in s.Marks.Where(m => Valid(m.X, XLog) && Valid(m.Y, YLog)))
        {
            var mark = plot.Add.Marker(X(mx), Y(my), shape, 12, colour);
            mark.LegendText = "";
        }
    }

    /// <summary>Breaks <paramref name="text"/> into lines of at most <paramref name="width"/> characters at spaces.</summary>
    private static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0)
                line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return string.Join("\n", lines);
    }

    private static MarkerShape Open(MarkerShape shape) => shape switch
    {
        MarkerShape.FilledCircle => MarkerShape.OpenCircle,
        MarkerShape.FilledSquare => MarkerShape.OpenSquare,
        MarkerShape.FilledTriangleUp => MarkerShape.OpenTriangleUp,
        MarkerShape.FilledDiamond => MarkerShape.OpenDiamond,
        MarkerShape.FilledTriangleDown => MarkerShape.OpenTriangleDown,
        _ => shape,
    };

    /// <summary>Ticks for log10-transformed data: a label at each decade (10, 100, 1k...), minor ticks between.</summary>
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = Decade,
    };

    private static string Decade(double exponent)
    {
        double v = Math.Pow(10, exponent);
        return v >= 1e9 ? (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G"
            : v >= 1e6 ? (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M"
            : v >= 1e3 ? (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k"
            : v.ToString("0.###", CultureInfo.InvariantCulture);
    }
}
