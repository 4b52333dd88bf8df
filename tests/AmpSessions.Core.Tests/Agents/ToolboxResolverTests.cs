using AmpSessions.Core.Agents;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Agents;

/// <summary>Seed 000 §2.6: several toolbox folders fanned into one runtime folder, only the executables the user listed.</summary>
[Trait("Platform", "Posix")]
public sealed class ToolboxResolverTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-toolbox");

    public void Dispose() => temp.Dispose();

    private string Tool(string folder, string name, bool executable = true)
    {
        Directory.CreateDirectory(temp.Combine(folder));
        var path = temp.Combine(folder, name);
        File.WriteAllText(path, "#!/bin/sh\necho " + name + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, executable ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return path;
    }

    [Fact]
    public void Tools_of_several_folders_are_linked_into_one_and_the_first_folder_wins_a_name()
    {
        var lint = Tool("team", "lint");
        Tool("team", "deploy");
        Tool("mine", "lint");
        var search = Tool("mine", "search");
        var target = temp.Combine("runtime");
        Directory.CreateDirectory(target);

        var resolved = ToolboxResolver.Resolve([temp.Combine("team"), temp.Combine("mine")], target);

        Assert.Equal(target, resolved.Directory);
        Assert.Equal(["deploy", "lint", "search"], resolved.Tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["deploy", "lint", "search"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(lint, new FileInfo(Path.Combine(target, "lint")).LinkTarget);
        Assert.Equal(search, new FileInfo(Path.Combine(target, "search")).LinkTarget);
        Assert.Contains(resolved.Skipped, s => s.Contains("'lint' is already offered by an earlier folder"));
    }

    [Fact]
    public void Only_executables_inside_the_listed_folders_are_offered()
    {
        Tool("team", "ok");
        Tool("team", "notes.txt", executable: false);
        Directory.CreateDirectory(temp.Combine("team", "sub"));
        var outside = Tool("elsewhere", "escape");
        File.CreateSymbolicLink(temp.Combine("team", "escape"), outside);
        var inside = Tool("team", "real");
        File.CreateSymbolicLink(temp.Combine("team", "alias"), inside);

        var resolved = ToolboxResolver.Describe([temp.Combine("team"), temp.Combine("missing")]);

        Assert.Null(resolved.Directory);
        Assert.Equal(["alias", "ok", "real"], resolved.Tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Contains(resolved.Skipped, s => s.EndsWith("notes.txt: not executable (no x permission)", StringComparison.Ordinal));
        Assert.Contains(resolved.Skipped, s => s.EndsWith("sub: a folder, not an executable", StringComparison.Ordinal));
        Assert.Contains(resolved.Skipped, s => s.Contains($"escape: a link to {outside}, outside the listed toolbox folders", StringComparison.Ordinal));
        Assert.Contains(resolved.Skipped, s => s.EndsWith("missing: the folder does not exist", StringComparison.Ordinal));
    }
}
