using AmpSessions.Core.Git;
using AmpSessions.Testing;
using LibGit2Sharp;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// Tests that move libgit2's search path for the user's configuration (process-wide, as HOME is for libgit2 once it has
/// started): they run alone, after every parallel test, so no other read sees the moved path.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UserConfigurationSearchPathCollection
{
    public const string Name = "libgit2's user configuration search path";
}

/// <summary>
/// A repository handle kept by a scope is reopened when the user's configuration file changes, not only the repository's:
/// libgit2 keeps every configuration file it loaded. In this (JIT) process libgit2's global search path stands in for HOME
/// (libgit2 reads HOME once, when it starts); tests/AmpSessions.NativeParity runs the same edit with HOME itself, natively.
/// </summary>
[Collection(UserConfigurationSearchPathCollection.Name)]
public sealed class RepositoryHandlesUserConfigurationTests : IDisposable
{
    private const string Key = "amp-handles.fromHome";
    private readonly TempDirectory temp = new("amp-handles-home");
    private readonly string root;
    private readonly string home;

    public RepositoryHandlesUserConfigurationTests()
    {
        root = TestRepository.CreateGreetRepository(temp.Combine("repo"));
        home = temp.Combine("home");
        Directory.CreateDirectory(home);
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Inside_a_scope_a_read_after_an_edit_of_the_users_gitconfig_sees_it()
    {
        // A read before the user's folder moves: the configuration files a handle watches are where libgit2 looks for
        // them when the handle opens, not where it looked for the first one in this process.
        Assert.NotNull(InProcessGit.ConfigValue(root, "core.bare"));
        var gitconfig = Path.Combine(home, ".gitconfig");
        File.WriteAllText(gitconfig, "[amp-handles]\n\tfromHome = first\n");
        var previous = GlobalSettings.GetConfigSearchPaths(ConfigurationLevel.Global).ToArray();
        GlobalSettings.SetConfigSearchPaths(ConfigurationLevel.Global, home);
        try
        {
            var before = RepositoryHandles.CountsFor(root);
            using var scope = RepositoryHandles.Share();
            Assert.Equal("first", InProcessGit.ConfigValue(root, Key)?.Value);
            Assert.Equal("first", InProcessGit.ConfigValue(root, Key)?.Value);
            Assert.Equal(before.Opened + 1, RepositoryHandles.CountsFor(root).Opened);

            File.WriteAllText(gitconfig, "[amp-handles]\n\tfromHome = second, after the edit\n");

            Assert.Equal("second, after the edit", InProcessGit.ConfigValue(root, Key)?.Value);
            Assert.Equal(new RepositoryHandleCounts(before.Opened + 2, 1), RepositoryHandles.CountsFor(root));
        }
        finally
        {
            GlobalSettings.SetConfigSearchPaths(ConfigurationLevel.Global, previous);
        }
    }
}
