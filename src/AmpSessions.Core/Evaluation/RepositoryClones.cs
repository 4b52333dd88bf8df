using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// The `repositories:` table may map a SWE-bench repo name to a clone URL instead of a folder. The
/// repository is then cloned once into the data directory (`repositories/`) and every later run,
/// resume or shard on this machine uses that clone, so only the first read reaches the URL (and a
/// file:// URL or a local bare repository needs no network at all). A clone is made in a temporary
/// folder and moved into place, so two processes cloning at once leave one complete clone.
/// </summary>
public static partial class RepositoryClones
{
    /// <summary>The folder of clones under a data directory.</summary>
    public static string Root(string dataDirectory) => Path.Combine(dataDirectory, "repositories");

    /// <summary>A clone URL (scheme://..., or scp-like user@host:path) rather than a folder.</summary>
    public static bool IsUrl(string location) =>
        location.Contains("://", StringComparison.Ordinal) || ScpLike().IsMatch(location);

    /// <summary>A table value as written: URLs stay as they are, folders are resolved.</summary>
    public static string Normalize(string location, Func<string, string> resolvePath) =>
        IsUrl(location.Trim()) ? location.Trim() : resolvePath(location.Trim());

    /// <summary>Where the clone of <paramref name="url"/> lives: readable name, plus a hash so two URLs never share a folder.</summary>
    public static string FolderFor(string cloneRoot, string repo, string url)
    {
        var name = string.Concat(repo.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '+')).Trim('.');
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(url))).ToLowerInvariant()[..10];
        return Path.Combine(cloneRoot, $"{(name.Length == 0 ? "repo" : name)}-{hash}");
    }

    /// <summary>
    /// The local clone of <paramref name="url"/>, cloning it first when this machine has none; null
    /// (with <paramref name="error"/>) when git cannot clone it.
    /// </summary>
    public static string? Ensure(string cloneRoot, string repo, string url, string gitExecutable, out string? error)
    {
        error = null;
        var folder = FolderFor(cloneRoot, repo, url);
        if (Directory.Exists(Path.Combine(folder, ".git")))
        {
            return folder;
        }
        Directory.CreateDirectory(cloneRoot);
        var temporary = Path.Combine(cloneRoot, $".cloning-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var git = new GitClient(cloneRoot, gitExecutable, inProcessReads: false);
            // Synchronous like the file readers that call this; an argument list, never a shell string.
            var result = git.RunAsync(["clone", "--quiet", "--", url, temporary], allowFailure: true).GetAwaiter().GetResult();
            if (result.ExitCode != 0)
            {
                error = $"git clone {url} failed: {FirstLine(result.StandardError)}";
                return null;
            }
            try
            {
                Directory.Move(temporary, folder);
            }
            catch (IOException) when (Directory.Exists(Path.Combine(folder, ".git")))
            {
                // Another process cloned it first: use theirs.
            }
            return folder;
        }
        finally
        {
            if (Directory.Exists(temporary))
            {
                DeleteTree(temporary);
            }
        }
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";

    private static void DeleteTree(string folder)
    {
        // git writes its pack files read-only; clear the flag so the half-made clone can go.
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }
        Directory.Delete(folder, recursive: true);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:")]
    private static partial Regex ScpLike();
}
