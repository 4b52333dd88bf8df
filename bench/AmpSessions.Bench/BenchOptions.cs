namespace AmpSessions.Bench;

/// <summary>The command line: <c>new [--files N] [--runs N] [--warmup N] [--cli] [--cli-path P] [--keep]</c>.</summary>
internal sealed record BenchOptions
{
    public int Files { get; init; } = 5000;
    public int Runs { get; init; } = 10;
    public int Warmup { get; init; } = 2;
    /// <summary>Also time the whole CLI process (`dotnet amp-sessions.dll new ...`), for information.</summary>
    public bool Cli { get; init; }
    /// <summary>The CLI to time with --cli: a .dll (run on dotnet) or an executable (the native AOT build); default the Release/Debug build's dll.</summary>
    public string? CliPath { get; init; }
    /// <summary>Leave the generated repository in place (its path is printed).</summary>
    public bool Keep { get; init; }

    public const string Usage =
        "usage: dotnet run -c Release --project bench/AmpSessions.Bench -- new [--files 5000] [--runs 10] [--warmup 2] [--cli] [--cli-path <amp-sessions.dll or executable>] [--keep]";

    public static BenchOptions? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] != "new")
        {
            return null;
        }
        var options = new BenchOptions();
        for (var i = 1; i < args.Length; i++)
        {
            int Number() => i + 1 < args.Length && int.TryParse(args[++i], out var n) && n >= 0 ? n : throw new ArgumentException($"{args[i]} needs a number");
            options = args[i] switch
            {
                "--files" => options with { Files = Math.Max(1, Number()) },
                "--runs" => options with { Runs = Math.Max(1, Number()) },
                "--warmup" => options with { Warmup = Number() },
                "--cli" => options with { Cli = true },
                "--cli-path" => options with { Cli = true, CliPath = i + 1 < args.Length ? Path.GetFullPath(args[++i]) : throw new ArgumentException("--cli-path needs a path") },
                "--keep" => options with { Keep = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }
        return options;
    }
}
