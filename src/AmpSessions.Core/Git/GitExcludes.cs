namespace AmpSessions.Core.Git;

/// <summary>Patterns in a repository's <c>info/exclude</c>: ignored locally, never committed, shared by all worktrees.</summary>
public static class GitExcludes
{
    /// <summary>Adds the pattern to &lt;common-dir&gt;/info/exclude unless a line already says it. Hold the repository lock.</summary>
    public static void Ensure(string gitCommonDir, string pattern)
    {
        var infoDir = Path.Combine(gitCommonDir, "info");
        Directory.CreateDirectory(infoDir);
        var path = Path.Combine(infoDir, "exclude");
        var existing = File.Exists(path) ? File.ReadAllText(path) : "";
        if (existing.Split('\n').Any(line => line.Trim() == pattern))
        {
            return;
        }
        var separator = existing.Length == 0 || existing.EndsWith('\n') ? "" : "\n";
        File.AppendAllText(path, $"{separator}# added by amp-sessions\n{pattern}\n");
    }
}
