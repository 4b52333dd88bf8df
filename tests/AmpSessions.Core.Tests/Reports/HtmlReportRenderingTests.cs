using System.IO.Compression;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Reports;
using AmpSessions.Core.Tests.Batches;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Reports;

/// <summary>
/// Renders the HTML report in headless Chromium (Debian's `chromium`; .ci/run installs it): the
/// page loads offline without console errors, its SVG charts are in the DOM, and the screenshot is
/// not blank and shows the result colours.
/// </summary>
[Collection(BatchRunCollection.Name)]
[Trait("Platform", "Linux")]
public sealed class HtmlReportRenderingTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly TempDirectory temp = new("amp-html");

    public void Dispose() => temp.Dispose();

    private string WriteReport()
    {
        var path = temp.Combine("report.html");
        BatchReports.Write(ReportSamples.Create(temp.Path), ReportFormat.Html, path);
        return path;
    }

    [Fact]
    public async Task Screenshot_is_not_blank_and_shows_the_result_colours()
    {
        var page = WriteReport();
        var png = temp.Combine("report.png");

        var result = await RunChromiumAsync($"--screenshot={png}", "--window-size=1200,900", new Uri(page).AbsoluteUri);

        Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.StandardErrorTail()}");
        // To look at it: AMP_SESSIONS_KEEP_SCREENSHOT=/tmp/report.png dotnet test --filter Screenshot
        if (Environment.GetEnvironmentVariable("AMP_SESSIONS_KEEP_SCREENSHOT") is { Length: > 0 } keep)
        {
            File.Copy(png, keep, overwrite: true);
            File.Copy(page, Path.ChangeExtension(keep, ".html"), overwrite: true);
        }
        var image = Png.Read(png);
        Assert.Equal((1200, 900), (image.Width, image.Height));
        var colours = image.DistinctColours();
        Assert.True(colours.Count > 50, $"only {colours.Count} distinct colours: the page looks blank");
        // The first screen shows the summary, the pass-rate bars and the token bars, in their exact colours.
        Assert.Contains(0x15803du, colours); // pass-rate bars
        Assert.Contains(0x2563ebu, colours); // input tokens
        Assert.Contains(0x14b8a6u, colours); // cache-read tokens
        Assert.Contains(0xf8fafcu, colours); // page background
    }

    [Fact]
    public async Task Dom_has_the_charts_and_the_console_has_no_errors()
    {
        var page = WriteReport();

        var result = await RunChromiumAsync("--dump-dom", "--enable-logging=stderr", "--v=0", new Uri(page).AbsoluteUri);

        Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.StandardErrorTail()}");
        var dom = result.StandardOutput;
        Assert.Contains("<section id=\"matrix\">", dom);
        Assert.Equal(4, dom.Split("<svg ").Length - 1);
        Assert.Contains("class=\"whisker\"", dom);
        Assert.DoesNotContain("Uncaught", result.StandardError);
        Assert.DoesNotContain("Refused to", result.StandardError); // a blocked network fetch would say so
        Assert.DoesNotContain("ERR_FILE_NOT_FOUND", result.StandardError);
    }

    [Fact]
    public async Task The_evaluation_sections_render_with_their_charts_and_paired_colours()
    {
        var page = temp.Combine("evaluation.html");
        BatchReports.Write(ReportSamples.CreateEvaluation(), ReportFormat.Html, page);
        var png = temp.Combine("evaluation.png");

        var dom = await RunChromiumAsync("--dump-dom", "--enable-logging=stderr", "--v=0", new Uri(page).AbsoluteUri);
        var shot = await RunChromiumAsync($"--screenshot={png}", "--window-size=1200,2400", new Uri(page).AbsoluteUri);

        Assert.True(dom.ExitCode == 0 && shot.ExitCode == 0, $"chromium exited {dom.ExitCode}/{shot.ExitCode}: {dom.StandardErrorTail()}{shot.StandardErrorTail()}");
        var html = dom.StandardOutput;
        foreach (var section in new[] { "resolved-rate", "resolutions", "paired", "tests" })
        {
            Assert.Contains($"<section id=\"{section}\">", html);
        }
        // The resolved-rate chart and the paired chart are SVG in the live DOM, inside their sections.
        Assert.Matches("<section id=\"resolved-rate\">.*?<svg ", html.Replace("\n", " "));
        Assert.Matches("<section id=\"paired\">.*?<svg ", html.Replace("\n", " "));
        // demo vs gold: both 2, only gold 2; demo's regression is a failed PASS_TO_PASS test in the tests table.
        Assert.Contains("text-slug &gt; still works", html);
        Assert.DoesNotContain("Uncaught", dom.StandardError);
        Assert.DoesNotContain("Refused to", dom.StandardError);
        var colours = Png.Read(png).DistinctColours();
        Assert.True(colours.Count > 50, $"only {colours.Count} distinct colours: the page looks blank");
        Assert.Contains(0x2563ebu, colours); // "only A" in the paired chart (gold vs null)
        Assert.Contains(0xf59e0bu, colours); // "only B" in the paired chart (null vs demo)
        Assert.Contains(0x15803du, colours); // resolved
    }

    private async Task<ProcessResult> RunChromiumAsync(params string[] arguments)
    {
        if (!File.Exists(Chromium))
        {
            Assert.Fail($"{Chromium} is not installed, so the HTML report cannot be checked: install it with `apt-get install -y chromium` (.ci/run does).");
        }
        string[] common =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--hide-scrollbars", $"--user-data-dir={temp.Combine("profile")}",
        ];
        return await ProcessRunner.RunAsync(new ProcessSpec(Chromium, [.. common, .. arguments]) { Timeout = TimeSpan.FromMinutes(2) });
    }

    /// <summary>A PNG reader for 8-bit grey, RGB, grey+alpha and RGBA images (what Chromium writes).</summary>
    private sealed record Png(int Width, int Height, int Channels, byte[] Pixels)
    {
        public static Png Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }), "not a PNG file");
            int width = 0, height = 0, channels = 0;
            using var idat = new MemoryStream();
            for (var offset = 8; offset < bytes.Length;)
            {
                var length = BigEndian(bytes, offset);
                var type = System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4);
                var data = bytes.AsSpan(offset + 8, length);
                if (type == "IHDR")
                {
                    width = BigEndian(bytes, offset + 8);
                    height = BigEndian(bytes, offset + 12);
                    Assert.Equal(8, data[8]); // bit depth
                    channels = data[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, var other => throw new InvalidDataException($"colour type {other}") };
                    Assert.Equal(0, data[12]); // not interlaced
                }
                else if (type == "IDAT")
                {
                    idat.Write(data);
                }
                offset += 12 + length;
            }
            idat.Position = 0;
            using var inflated = new MemoryStream();
            using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
            {
                zlib.CopyTo(inflated);
            }
            return new Png(width, height, channels, Unfilter(inflated.ToArray(), width, height, channels));
        }

        /// <summary>The distinct RGB colours (0xRRGGBB).</summary>
        public HashSet<uint> DistinctColours()
        {
            var colours = new HashSet<uint>();
            for (var i = 0; i < Pixels.Length; i += Channels)
            {
                colours.Add(Channels < 3
                    ? (uint)(Pixels[i] << 16 | Pixels[i] << 8 | Pixels[i])
                    : (uint)(Pixels[i] << 16 | Pixels[i + 1] << 8 | Pixels[i + 2]));
            }
            return colours;
        }

        private static byte[] Unfilter(byte[] data, int width, int height, int bpp)
        {
            var stride = width * bpp;
            var pixels = new byte[stride * height];
            for (var y = 0; y < height; y++)
            {
                var filter = data[y * (stride + 1)];
                var source = y * (stride + 1) + 1;
                var row = y * stride;
                for (var x = 0; x < stride; x++)
                {
                    int left = x >= bpp ? pixels[row + x - bpp] : 0;
                    int up = y > 0 ? pixels[row - stride + x] : 0;
                    int upLeft = x >= bpp && y > 0 ? pixels[row - stride + x - bpp] : 0;
                    var predictor = filter switch
                    {
                        0 => 0,
                        1 => left,
                        2 => up,
                        3 => (left + up) / 2,
                        4 => Paeth(left, up, upLeft),
                        _ => throw new InvalidDataException($"PNG filter {filter}"),
                    };
                    pixels[row + x] = (byte)(data[source + x] + predictor);
                }
            }
            return pixels;
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        private static int BigEndian(byte[] bytes, int offset) => bytes[offset] << 24 | bytes[offset + 1] << 16 | bytes[offset + 2] << 8 | bytes[offset + 3];
    }
}
