namespace AmpSessions.Core.Git;

/// <summary>Parsers for git's NUL-separated porcelain formats: paths come through byte for byte, no quoting.</summary>
public static class GitPorcelain
{
    /// <summary>Parses <c>git worktree list --porcelain -z</c>: attributes separated by NUL, records by an empty attribute.</summary>
    public static IReadOnlyList<GitWorktree> ParseWorktreeList(string output)
    {
        var worktrees = new List<GitWorktree>();
        GitWorktree? current = null;
        foreach (var field in output.Split('\0'))
        {
            if (field.Length == 0)
            {
                if (current is not null)
                {
                    worktrees.Add(current);
                    current = null;
                }
                continue;
            }
            var space = field.IndexOf(' ');
            var key = space < 0 ? field : field[..space];
            var value = space < 0 ? "" : field[(space + 1)..];
            if (key == "worktree")
            {
                if (current is not null)
                {
                    worktrees.Add(current);
                }
                current = new GitWorktree { Path = NormalizePath(value) };
                continue;
            }
            if (current is null)
            {
                continue;
            }
            current = key switch
            {
                "HEAD" => current with { Head = value },
                "branch" => current with { Branch = value },
                "bare" => current with { IsBare = true },
                "detached" => current with { IsDetached = true },
                "locked" => current with { IsLocked = true },
                "prunable" => current with { IsPrunable = true },
                _ => current,
            };
        }
        if (current is not null)
        {
            worktrees.Add(current);
        }
        return worktrees;
    }

    /// <summary>Parses <c>git status --porcelain=v2 --branch -z</c>.</summary>
    public static GitStatus ParseStatus(string output)
    {
        var entries = new List<StatusEntry>();
        string? head = null, branch = null;
        var fields = output.Split('\0');
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            if (field.Length == 0)
            {
                continue;
            }
            switch (field[0])
            {
                case '#':
                    if (field.StartsWith("# branch.oid ", StringComparison.Ordinal))
                    {
                        var oid = field["# branch.oid ".Length..];
                        head = oid == "(initial)" ? null : oid;
                    }
                    else if (field.StartsWith("# branch.head ", StringComparison.Ordinal))
                    {
                        var name = field["# branch.head ".Length..];
                        branch = name == "(detached)" ? null : name;
                    }
                    break;
                case '1':
                    {
                        // 1 XY sub mH mI mW hH hI path
                        var parts = field.Split(' ', 9);
                        entries.Add(new StatusEntry(StatusEntryKind.Changed, parts[1][0], parts[1][1], parts[8]));
                        break;
                    }
                case '2':
                    {
                        // 2 XY sub mH mI mW hH hI Xscore path, then the original path as the next field
                        var parts = field.Split(' ', 10);
                        var original = i + 1 < fields.Length ? fields[++i] : null;
                        entries.Add(new StatusEntry(StatusEntryKind.Renamed, parts[1][0], parts[1][1], parts[9], original));
                        break;
                    }
                case 'u':
                    {
                        // u XY sub m1 m2 m3 mW h1 h2 h3 path
                        var parts = field.Split(' ', 11);
                        entries.Add(new StatusEntry(StatusEntryKind.Unmerged, parts[1][0], parts[1][1], parts[10]));
                        break;
                    }
                case '?':
                    entries.Add(new StatusEntry(StatusEntryKind.Untracked, '?', '?', field[2..]));
                    break;
                case '!':
                    entries.Add(new StatusEntry(StatusEntryKind.Ignored, '!', '!', field[2..]));
                    break;
            }
        }
        return new GitStatus { HeadCommit = head, Branch = branch, Entries = entries };
    }

    /// <summary>Parses <c>git diff --name-status -z</c>: a status field, then one path (two for renames and copies).</summary>
    public static IReadOnlyList<NameStatusEntry> ParseNameStatus(string output)
    {
        var entries = new List<NameStatusEntry>();
        var fields = output.Split('\0');
        for (var i = 0; i < fields.Length; i++)
        {
            var status = fields[i];
            if (string.IsNullOrWhiteSpace(status))
            {
                continue;
            }
            var kind = NameStatusEntry.KindFromLetter(status[0]);
            int? score = status.Length > 1 && int.TryParse(status.AsSpan(1), out var s) ? s : null;
            if (kind is FileChangeKind.Renamed or FileChangeKind.Copied && i + 2 < fields.Length)
            {
                var from = fields[++i];
                var to = fields[++i];
                entries.Add(new NameStatusEntry(kind, to, from, score));
            }
            else if (i + 1 < fields.Length)
            {
                entries.Add(new NameStatusEntry(kind, fields[++i]));
            }
        }
        return entries;
    }

    /// <summary>Git prints forward slashes on every platform; give callers the platform's full path.</summary>
    public static string NormalizePath(string path) => Path.GetFullPath(path.Replace('/', Path.DirectorySeparatorChar));
}
