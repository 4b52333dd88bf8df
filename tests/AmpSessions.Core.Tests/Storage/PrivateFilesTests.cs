using AmpSessions.Core.Storage;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Storage;

/// <summary>Private files are written without emptying a new file first (ext4 flushes such a file at close), with the same result.</summary>
public sealed class PrivateFilesTests
{
    [Fact]
    public void A_rewrite_leaves_exactly_the_new_text_shorter_or_longer()
    {
        using var folder = new TempDirectory("private");
        var path = folder.Combine("record");

        PrivateFiles.WriteAllText(path, "pid 1\noperation cleanup\ncleanup-keep-branch true\n");
        PrivateFiles.WriteAllText(path, "pid 2\n");
        Assert.Equal("pid 2\n", File.ReadAllText(path));
        PrivateFiles.WriteAllText(path, "pid 3\noperation iteration\n");
        Assert.Equal("pid 3\noperation iteration\n", File.ReadAllText(path));
        PrivateFiles.WriteAllText(path, "");
        Assert.Equal(0, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(PrivateFiles.FileMode, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_created_file_starts_empty_whatever_was_there()
    {
        using var folder = new TempDirectory("private");
        var path = folder.Combine("transcript.jsonl");
        File.WriteAllText(path, "an older transcript that is longer than the new one\n");

        using (var writer = PrivateFiles.CreateText(path))
        {
            writer.WriteLine("new");
        }
        Assert.Equal("new\n", File.ReadAllText(path).ReplaceLineEndings("\n"));

        var fresh = folder.Combine("fresh.log");
        using (var writer = PrivateFiles.CreateText(fresh))
        {
            writer.Write("line");
        }
        Assert.Equal("line", File.ReadAllText(fresh));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(PrivateFiles.FileMode, File.GetUnixFileMode(fresh));
        }
    }
}
