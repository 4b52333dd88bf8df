using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// Issue 10 item 24: a repository that stores files with Git LFS (filter=lfs attributes,
/// filter.lfs.required=true as `git lfs install` configures it) on a machine where git-lfs is not on
/// PATH. Each operation that meets git's filter (new's checkout, the commit after a turn, merge) says
/// so in one sentence and leaves nothing half-done. The runs get a PATH with every directory as it is
/// except that git-lfs is left out (a runner that has git-lfs installed gets the same test).
/// </summary>
[Trait("Platform", "Posix")]
public sealed class GitLfsMissingTests : IDisposable
{
    private const string LfsAttributes = "*.bin filter=lfs diff=lfs merge=lfs -text\n";
    private const string Pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

    private readonly CliSessionBed bed = new();
    private readonly TempDirectory pathWithoutLfs = new("no-lfs-path");

    public GitLfsMissingTests() => bed.Cli.Environment["PATH"] = PathWithout("git-lfs", pathWithoutLfs.Path);

    public void Dispose()
    {
        bed.Dispose();
        pathWithoutLfs.Dispose();
    }

    [Fact]
    public async Task New_on_a_base_with_lfs_files_says_git_lfs_is_missing_and_leaves_no_branch_worktree_or_row()
    {
        bed.Repo.WriteFile(".gitattributes", LfsAttributes);
        bed.Repo.WriteFile("assets/logo.bin", Pointer);
        bed.Repo.CommitAll("logo in LFS");
        RequireLfs();
        var branchesBefore = bed.Repo.Git("branch", "--list");

        var result = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Logo", "--prompt", "p", "--agent", CliSessionBed.FakeAgent);

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = CliTestBed.AssertOneErrorLine(result);
        AssertSaysLfsIsMissing(line);
        Assert.Equal(branchesBefore, bed.Repo.Git("branch", "--list"));
        Assert.Single(bed.Repo.Git("worktree", "list", "--porcelain").Split('\n'), l => l.StartsWith("worktree ", StringComparison.Ordinal));
        Assert.Equal(0, CliSessionBed.Json(await bed.RunAsync("list", "--json")).GetArrayLength());
    }

    [Fact]
    public async Task Iterate_in_a_repository_whose_commits_need_git_lfs_refuses_before_the_agent_runs()
    {
        bed.Repo.WriteFile(".gitattributes", LfsAttributes);
        bed.Repo.CommitAll("binaries in LFS");
        RequireLfs();
        var id = await bed.NewSessionAsync();

        var result = await bed.RunAsync("iterate", id);

        Assert.True(result.ExitCode == 1, result.ToString());
        AssertSaysLfsIsMissing(result.StandardError);
        Assert.Contains("turn could not be committed, so none was started", result.StandardError);
        Assert.Empty(bed.Invocations);
        var status = CliSessionBed.Json(await bed.RunAsync("status", id, "--json"));
        Assert.Equal("Idle", status.GetProperty("status").GetString());
        Assert.Equal(0, CliSessionBed.Json(await bed.RunAsync("iterations", id, "--json")).GetArrayLength());
    }

    [Fact]
    public async Task Merge_of_a_session_with_an_lfs_file_says_git_lfs_is_missing_and_leaves_the_base_and_the_session_as_they_were()
    {
        bed.Repo.WriteFile(".gitattributes", LfsAttributes);
        bed.Repo.CommitAll("binaries in LFS");
        var id = await bed.NewSessionAsync();
        var worktree = bed.Worktree(id);
        // The user committed a binary in the worktree while git-lfs was still installed (here: with the filter not required).
        File.WriteAllText(Path.Combine(worktree, "model.bin"), "weights");
        TestRepository.GitIn(worktree, "-c", "filter.lfs.required=false", "add", "model.bin");
        TestRepository.GitIn(worktree, "-c", "filter.lfs.required=false", "commit", "--quiet", "-m", "Add the model");
        // The file is older than the index that records it (not "racily clean"): a status of the worktree then trusts
        // the index and runs no filter, so it is the fast-forward's own checkout of model.bin that meets the missing
        // git-lfs (written within one clock tick of each other, a status would re-clean the file and fail first).
        File.SetLastWriteTimeUtc(Path.Combine(worktree, "model.bin"), DateTime.UtcNow.AddMinutes(-1));
        TestRepository.GitIn(worktree, "-c", "filter.lfs.required=false", "update-index", "--refresh");
        var branch = CliSessionBed.Json(await bed.RunAsync("status", id, "--json")).GetProperty("branchName").GetString();
        RequireLfs();
        var baseBefore = bed.Repo.Git("rev-parse", "main");
        var branchBefore = bed.Repo.Git("rev-parse", $"refs/heads/{branch}");

        var result = await bed.RunAsync("merge", id);

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = CliTestBed.AssertOneErrorLine(result);
        AssertSaysLfsIsMissing(line);
        Assert.Equal(baseBefore, bed.Repo.Git("rev-parse", "main"));
        Assert.Equal(branchBefore, bed.Repo.Git("rev-parse", $"refs/heads/{branch}"));
        Assert.Equal("", bed.Repo.Git("-c", "filter.lfs.required=false", "status", "--porcelain"));
        Assert.NotEqual("Merged", CliSessionBed.Json(await bed.RunAsync("list", "--json"))[0].GetProperty("status").GetString());
    }

    /// <summary>The configuration `git lfs install` writes, in the repository (the runs' global configuration is the user's).</summary>
    private void RequireLfs()
    {
        bed.Repo.Git("config", "filter.lfs.required", "true");
        bed.Repo.Git("config", "filter.lfs.clean", "git-lfs clean -- %f");
        bed.Repo.Git("config", "filter.lfs.smudge", "git-lfs smudge -- %f");
        bed.Repo.Git("config", "filter.lfs.process", "git-lfs filter-process");
    }

    private static void AssertSaysLfsIsMissing(string text)
    {
        Assert.Contains("git-lfs is not installed (or not on PATH), but this repository keeps files in Git LFS", text);
        Assert.Contains("install Git LFS (https://git-lfs.com) so that `git lfs version` works, then try again", text);
        Assert.DoesNotContain("remote end hung up", text);
        Assert.DoesNotContain("filter-process", text);
    }

    /// <summary>
    /// This process's PATH with each directory that holds <paramref name="program"/> replaced by a
    /// folder of links to everything else in it (git, sh and the rest stay where the user has them).
    /// </summary>
    private static string PathWithout(string program, string shadowRoot)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var result = new List<string>();
        for (var i = 0; i < directories.Length; i++)
        {
            var directory = directories[i];
            if (!File.Exists(Path.Combine(directory, program)))
            {
                result.Add(directory);
                continue;
            }
            var shadow = Directory.CreateDirectory(Path.Combine(shadowRoot, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                if (Path.GetFileName(entry) != program)
                {
                    File.CreateSymbolicLink(Path.Combine(shadow, Path.GetFileName(entry)), entry);
                }
            }
            result.Add(shadow);
        }
        return string.Join(Path.PathSeparator, result);
    }
}
