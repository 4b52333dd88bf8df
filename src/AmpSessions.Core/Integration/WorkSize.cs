using System.Globalization;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Integration;

/// <summary>How much a change does: files touched, lines added and removed (binary files count as one line).</summary>
public readonly record struct WorkSize(int Files, int AddedLines, int RemovedLines)
{
    public int ChangedLines => AddedLines + RemovedLines;

    /// <summary>The committed change from <paramref name="from"/> to <paramref name="to"/>, from <c>git diff --numstat</c>.</summary>
    public static async Task<WorkSize> MeasureAsync(GitClient git, string from, string to, CancellationToken cancellationToken)
    {
        var output = await git.ReadAsync(["diff", "--numstat", "-z", "--no-renames", from, to, "--"], cancellationToken).ConfigureAwait(false);
        int files = 0, added = 0, removed = 0;
        // -z: "<added>\t<removed>\t<path>\0"; binary files show "-\t-".
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = record.Split('\t');
            if (parts.Length < 3)
            {
                continue;
            }
            files++;
            added += int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : 1;
            removed += int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
        }
        return new WorkSize(files, added, removed);
    }
}
