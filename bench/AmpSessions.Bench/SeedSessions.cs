using AmpSessions.Core;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Bench;

/// <summary>
/// `seed-sessions --data DIR [--count 10000]`: a data directory holding N idle sessions (rows as `new` leaves them,
/// written through the core's store in one process), for timing `list` at scale as whole CLI processes (bench/cli-startup.sh).
/// </summary>
internal static class SeedSessions
{
    public static int Run(string[] args)
    {
        string? data = null;
        var count = 10_000;
        for (var i = 0; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--data": data = args[i + 1]; break;
                case "--count": count = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"seed-sessions: unknown option {args[i]}"); return 2;
            }
        }
        if (data is null)
        {
            Console.Error.WriteLine("usage: seed-sessions --data <dir> [--count 10000]");
            return 2;
        }
        var context = AmpContext.Open(data);
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var repo = Path.Combine(Path.GetTempPath(), "bench-repo");
        using (context.Database.KeepOpen())
        {
            for (var i = 0; i < count; i++)
            {
                var id = $"b{i:D7}";
                context.Sessions.Insert(new Session
                {
                    Id = id,
                    Name = $"Session {i}: rename hello to greet",
                    Prompt = "rename hello to greet in every module and keep the tests green",
                    RepoRoot = repo,
                    BaseBranch = "main",
                    BaseCommit = new string('0', 40),
                    BranchName = $"amp/session-{i}/20260101-000000",
                    WorktreePath = Path.Combine(repo, ".worktrees", id),
                    Status = i % 7 == 0 ? SessionStatus.Archived : SessionStatus.Idle,
                    ScriptCommand = "npm test",
                    CreatedAt = start.AddSeconds(i * 60),
                    UpdatedAt = start.AddSeconds(i * 60),
                });
            }
        }
        Console.WriteLine($"{count} sessions in {data}");
        return 0;
    }
}
