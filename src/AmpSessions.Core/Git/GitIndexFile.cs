using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace AmpSessions.Core.Git;

/// <summary>
/// What the in-process status needs to know about a version 2 index file before it trusts libgit2:
/// whether any entry is a gitlink, which tracked paths are .gitattributes files, the tree the
/// whole index would write (the cache-tree's root, when git or libgit2 left it valid), and the paths
/// it tracks (to split a large working tree into parts compared at once).
/// Read by hand (gitformat-index, version 2 only) because libgit2 does not expose the cache-tree,
/// and LibGit2Sharp builds an object per entry to walk the index (5 ms for 5,000 entries, twice).
/// </summary>
internal sealed class GitIndexFile
{
    private const int EntryFixedLength = 62;
    private const int ModeOffset = 24;
    private const int FlagsOffset = 60;
    private const int HashLength = 20;
    private const int GitLinkMode = 0xE000;

    private GitIndexFile(bool hasGitLink, IReadOnlyList<string> attributeFiles, string? tree, IReadOnlyList<string>? paths)
    {
        HasGitLink = hasGitLink;
        AttributeFiles = attributeFiles;
        Tree = tree;
        Paths = paths;
    }

    /// <summary>Whether an entry is a gitlink (a submodule's commit).</summary>
    public bool HasGitLink { get; }

    /// <summary>Tracked .gitattributes files, as index paths.</summary>
    public IReadOnlyList<string> AttributeFiles { get; }

    /// <summary>The object id of the tree the index holds, when the cache-tree's root is valid; else null.</summary>
    public string? Tree { get; }

    /// <summary>Every tracked path, in the index's (byte) order; null when a name is not valid UTF-8 (it could not be named back to libgit2).</summary>
    public IReadOnlyList<string>? Paths { get; }

    /// <summary>The index at <paramref name="file"/>; null when it is missing, unreadable, not version 2 or not as the format says.</summary>
    public static GitIndexFile? Read(string file)
    {
        // Pooled: an index of 5,000 entries is half a megabyte, read once per status.
        byte[]? bytes = null;
        try
        {
            // Shared for writing and deleting: git replaces the index by renaming its lock file over it (on Windows too).
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = checked((int)stream.Length);
            bytes = ArrayPool<byte>.Shared.Rent(length);
            stream.ReadExactly(bytes, 0, length);
            return Parse(bytes.AsSpan(0, length));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OverflowException)
        {
            // Missing, being replaced or too large: the CLI answers.
            return null;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            // Truncated or not laid out as the format says: git would refuse it too; the CLI answers.
            return null;
        }
        finally
        {
            if (bytes is not null)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    private static GitIndexFile? Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 12 + HashLength || !bytes[..4].SequenceEqual("DIRC"u8) || BinaryPrimitives.ReadInt32BigEndian(bytes[4..]) != 2)
        {
            return null;
        }
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes[8..]);
        var offset = 12;
        var hasGitLink = false;
        var attributeFiles = new List<string>();
        List<string>? paths = new(Math.Clamp(count, 0, bytes.Length / EntryFixedLength));
        for (var i = 0; i < count; i++)
        {
            var entry = bytes[offset..];
            var mode = BinaryPrimitives.ReadInt32BigEndian(entry[ModeOffset..]);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(entry[FlagsOffset..]);
            if ((flags & 0x4000) != 0)
            {
                // The extended flag is not allowed in version 2.
                return null;
            }
            var nameLength = flags & 0xFFF;
            var name = entry[EntryFixedLength..];
            nameLength = nameLength < 0xFFF ? nameLength : name.IndexOf((byte)0);
            if (nameLength < 0 || name[nameLength] != 0)
            {
                return null;
            }
            name = name[..nameLength];
            hasGitLink |= (mode & 0xF000) == GitLinkMode;
            if (paths is not null)
            {
                var path = Encoding.UTF8.GetString(name);
                paths = path.Contains('\uFFFD', StringComparison.Ordinal) ? null : paths;
                paths?.Add(path);
            }
            if (name.SequenceEqual(".gitattributes"u8) || name.EndsWith("/.gitattributes"u8))
            {
                attributeFiles.Add(Encoding.UTF8.GetString(name));
            }
            // The entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
            offset += (EntryFixedLength + nameLength + 8) & ~7;
        }
        return new GitIndexFile(hasGitLink, attributeFiles, RootTree(bytes[offset..^HashLength]), paths);
    }

    /// <summary>The root of the TREE extension: "" NUL, entry count (-1: invalid), space, subtree count, LF, then its object id.</summary>
    private static string? RootTree(ReadOnlySpan<byte> extensions)
    {
        while (extensions.Length >= 8)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(extensions[4..]);
            if (size < 0 || size > extensions.Length - 8)
            {
                return null;
            }
            var data = extensions.Slice(8, size);
            if (extensions[..4].SequenceEqual("TREE"u8))
            {
                // The root comes first and has the empty path.
                if (data.Length == 0 || data[0] != 0)
                {
                    return null;
                }
                var line = data[1..];
                var end = line.IndexOf((byte)'\n');
                if (end < 0 || line[0] == (byte)'-' || line.Length < end + 1 + HashLength)
                {
                    return null;
                }
                return Convert.ToHexString(line.Slice(end + 1, HashLength)).ToLowerInvariant();
            }
            extensions = extensions[(8 + size)..];
        }
        return null;
    }
}
