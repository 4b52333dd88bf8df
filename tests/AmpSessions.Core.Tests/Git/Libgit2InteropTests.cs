using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// The interop that stands in for LibGit2Sharp's bindings which do not survive Native AOT (Libgit2Interop) binds the same
/// library and, under JIT where LibGit2Sharp's own calls work, answers what they answer. (Under Native AOT the parity cases
/// run in tests/AmpSessions.NativeParity, from .ci/aot-check.)
/// </summary>
public sealed class Libgit2InteropTests : IDisposable
{
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    [Fact]
    public void The_interop_names_the_library_LibGit2Sharp_binds()
    {
        var name = typeof(LibGit2Sharp.Repository).Assembly.GetType("LibGit2Sharp.Core.NativeDllName", throwOnError: true)!
            .GetField("Name")!.GetValue(null);
        Assert.Equal(name, Libgit2Interop.LibraryName);
    }

    [Fact]
    public void Discovery_answers_what_LibGit2Sharp_answers()
    {
        var linked = repo.Scratch("linked");
        Directory.Delete(linked);
        repo.Git("worktree", "add", "-q", "--detach", linked, "HEAD");
        var outside = repo.Scratch("not-a-repository");
        foreach (var start in new[] { repo.Root, repo.Path("src"), repo.Path(".git"), linked, Path.Combine(linked, "src"), outside })
        {
            Assert.Equal(LibGit2Sharp.Repository.Discover(start), Libgit2Interop.Discover(start));
        }
        Assert.Null(Libgit2Interop.Discover(outside));
    }

    [Fact]
    public void Configuration_reads_answer_what_LibGit2Sharp_answers_for_the_repositorys_own_file()
    {
        repo.Git("config", "amp.text", "some value");
        repo.Git("config", "amp.flag", "yes");
        repo.Git("config", "--add", "amp.multi", "first");
        repo.Git("config", "--add", "amp.multi", "last");
        using var library = new LibGit2Sharp.Repository(repo.Root);
        using var native = Libgit2Interop.NativeRepository.Open(library.Info.Path);
        foreach (var key in new[] { "amp.text", "amp.multi", "amp.missing", "core.bare" })
        {
            Assert.Equal(library.Config.Get<string>(key)?.Value, native.GetString(key));
        }
        foreach (var key in new[] { "amp.flag", "core.bare", "amp.missing" })
        {
            Assert.Equal(library.Config.Get<bool>(key)?.Value, native.GetBool(key));
        }
        Assert.Throws<LibGit2Sharp.LibGit2SharpException>(() => native.GetBool("amp.text"));
        Assert.Contains("amp.text", native.Names());
        Assert.Equal(2, native.Names().Count(n => n == "amp.multi"));
    }

    [Fact]
    public void The_configuration_search_paths_are_LibGit2Sharps()
    {
        foreach (var level in new[] { LibGit2Sharp.ConfigurationLevel.Global, LibGit2Sharp.ConfigurationLevel.Xdg, LibGit2Sharp.ConfigurationLevel.System, LibGit2Sharp.ConfigurationLevel.ProgramData })
        {
            Assert.Equal(LibGit2Sharp.GlobalSettings.GetConfigSearchPaths(level).Where(folder => folder.Length > 0), Libgit2Interop.ConfigSearchPath(level));
        }
        // The user's level is where HOME is (libgit2 reads it once, when it starts).
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home)
        {
            Assert.Contains(Path.TrimEndingDirectorySeparator(home), Libgit2Interop.ConfigSearchPath(LibGit2Sharp.ConfigurationLevel.Global).Select(Path.TrimEndingDirectorySeparator));
        }
    }
}
