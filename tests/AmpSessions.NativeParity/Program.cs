using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using AmpSessions.Core.Git;
using AmpSessions.Core.Tests.Git;
using AmpSessions.Testing;

namespace AmpSessions.NativeParity;

/// <summary>
/// Runs every [Fact] and [Theory] case of <see cref="InProcessGitParityTests"/> in this (natively compiled) process, each
/// on a fresh instance as xunit would (found by reflection, so a case added to the class runs here too), then the checks
/// only a process of its own can make: the user's own configuration files are read (libgit2 finds them through HOME when
/// it starts, and LibGit2Sharp's lookup of them is what Native AOT broke) and one libgit2 is loaded. Exits 1 when any fails.
/// </summary>
public static class Program
{
    private const string UserConfigurationCase = "--user-configuration-case";
    private const string UserConfigurationEditCase = "--user-configuration-edit-case";

    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicProperties)]
    private static readonly Type Cases = typeof(InProcessGitParityTests);

    /// <summary>This program as a managed assembly: there under JIT, absent beside a native executable.</summary>
    private static string ManagedAssembly => Path.Combine(AppContext.BaseDirectory, "AmpSessions.NativeParity.dll");

    public static async Task<int> Main(string[] args)
    {
        if (args is [UserConfigurationCase, var repository])
        {
            await UserConfigurationIsRead(repository);
            return 0;
        }
        if (args is [UserConfigurationEditCase, var edited])
        {
            AnEditOfTheUserConfigurationIsSeenInsideAScope(edited);
            return 0;
        }
        RootAssertInstantiations();
        Console.WriteLine($"libgit2 parity cases in a {(File.Exists(ManagedAssembly) ? "JIT" : "native AOT")} process");
        int passed = 0, failed = 0;
        void Record(string name, Exception? failure)
        {
            if (failure is null)
            {
                passed++;
                Console.WriteLine($"  passed {name}");
            }
            else
            {
                failed++;
                Console.WriteLine($"  FAILED {name}: {failure}");
            }
        }
        foreach (var method in Cases.GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            foreach (var arguments in ArgumentsOf(method))
            {
                var name = arguments.Length == 0 ? method.Name : $"{method.Name}({string.Join(", ", arguments)})";
                using var instance = new InProcessGitParityTests();
                Record(name, await Failure(async () =>
                {
                    if (method.Invoke(instance, arguments) is Task task)
                    {
                        await task;
                    }
                }));
            }
        }
        Record("The_user_configuration_files_are_read (own process, HOME set)", await Failure(() => RunWithHome(UserConfigurationCase)));
        Record("An_edit_of_the_user_configuration_is_seen_inside_a_handle_scope (own process, HOME set)",
            await Failure(() => RunWithHome(UserConfigurationEditCase)));
        Record("One_libgit2_is_loaded", await Failure(() =>
        {
            OneLibgit2IsLoaded();
            return Task.CompletedTask;
        }));
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    private static async Task<Exception?> Failure(Func<Task> run)
    {
        try
        {
            await run();
            return null;
        }
        catch (Exception ex)
        {
            return ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
        }
    }

    /// <summary>
    /// This program again, running <paramref name="userCase"/>, with HOME at a folder whose .gitconfig sets a value and a
    /// global excludes file, and no other configuration source; it fails unless the case's assertions hold there.
    /// </summary>
    private static async Task RunWithHome(string userCase)
    {
        using var temp = new TempDirectory("amp-native-parity");
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, ".gitconfig"), $"[amp-parity]\n\tfromHome = the user's value\n[core]\n\texcludesFile = {Path.Combine(home, "ignored-everywhere")}\n");
        File.WriteAllText(Path.Combine(home, "ignored-everywhere"), "*.secret\n");
        var start = new ProcessStartInfo(Environment.ProcessPath!) { ArgumentList = { userCase, temp.Combine("repository") } };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            // Run under JIT as `dotnet AmpSessions.NativeParity.dll`: the same again.
            start.ArgumentList.Insert(0, ManagedAssembly);
        }
        start.Environment["HOME"] = home;
        foreach (var name in start.Environment.Keys.Where(n => n.StartsWith("GIT_", StringComparison.Ordinal) || n == "XDG_CONFIG_HOME").ToArray())
        {
            start.Environment.Remove(name);
        }
        using var child = Process.Start(start)!;
        await child.WaitForExitAsync();
        Assert.True(child.ExitCode == 0, $"the user-configuration case exited {child.ExitCode}");
    }

    private static async Task UserConfigurationIsRead(string root)
    {
        Directory.CreateDirectory(root);
        TestRepository.GitIn(root, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(root, "tracked.txt"), "tracked\n");
        TestRepository.GitIn(root, "add", "-A");
        TestRepository.GitIn(root, "commit", "-qm", "one");
        File.WriteAllText(Path.Combine(root, "token.secret"), "ignored through the user's excludes file\n");
        File.WriteAllText(Path.Combine(root, "visible.txt"), "untracked\n");
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);

        var value = InProcessGit.ConfigValue(root, "amp-parity.fromHome");
        Assert.NotNull(value);
        Assert.Equal("the user's value", await cli.GetConfigAsync("amp-parity.fromHome"));
        Assert.Equal(await cli.GetConfigAsync("amp-parity.fromHome"), value.Value);

        var records = InProcessGit.StatusRecords(root, includeUntracked: true);
        Assert.NotNull(records);
        Assert.Contains("? visible.txt", records);
        Assert.DoesNotContain("? token.secret", records);
        var expected = await cli.GetStatusAsync();
        var actual = await library.GetStatusAsync();
        Assert.True(expected.Entries.SequenceEqual(actual.Entries), "git status and the in-process status differ");
    }

    /// <summary>
    /// Inside one repository handle scope, a read after an edit of ~/.gitconfig sees the edit: the scope reopens a handle
    /// when the user's configuration file changed, which it can only notice when it knows where that file is (LibGit2Sharp's
    /// GlobalSettings answers no folder under Native AOT; the search path comes through Libgit2Interop).
    /// </summary>
    private static void AnEditOfTheUserConfigurationIsSeenInsideAScope(string root)
    {
        Directory.CreateDirectory(root);
        TestRepository.GitIn(root, "init", "-q", "-b", "main");
        var gitconfig = Path.Combine(Environment.GetEnvironmentVariable("HOME")!, ".gitconfig");
        using var scope = RepositoryHandles.Share();
        Assert.Equal("the user's value", InProcessGit.ConfigValue(root, "amp-parity.fromHome")?.Value);
        File.WriteAllText(gitconfig, File.ReadAllText(gitconfig).Replace("the user's value", "the user's value, edited during the scope"));
        Assert.Equal("the user's value, edited during the scope", InProcessGit.ConfigValue(root, "amp-parity.fromHome")?.Value);
        Assert.Equal(2, scope.Opened);
    }

    /// <summary>The interop binds the library LibGit2Sharp loaded: one libgit2 file mapped into this process.</summary>
    private static void OneLibgit2IsLoaded()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libgit2", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToArray();
        Assert.True(mapped.Length == 1, $"libgit2 files mapped: {string.Join(", ", mapped)}");
    }

    /// <summary>
    /// xunit's collection comparison makes generic methods and types at run time (MakeGenericMethod, MakeGenericType); native
    /// code exists only for the instantiations compiled ahead of time. The ones the cases need and the compiler cannot see
    /// are compiled here and in NativeInstantiations.rd.xml (an internal xunit type).
    /// </summary>
    private static void RootAssertInstantiations() =>
        GC.KeepAlive(Xunit.Sdk.CollectionTrackerExtensions.AsTracker(Array.Empty<(string Ref, string Target)>()));

    private static IEnumerable<object?[]> ArgumentsOf(MethodInfo method)
    {
        if (method.GetCustomAttribute<FactAttribute>() is null)
        {
            yield break;
        }
        if (method.GetCustomAttribute<TheoryAttribute>() is null)
        {
            yield return [];
            yield break;
        }
        foreach (var inline in method.GetCustomAttributes<InlineDataAttribute>())
        {
            foreach (var row in inline.GetData(method))
            {
                yield return row;
            }
        }
        foreach (var member in method.GetCustomAttributes<MemberDataAttribute>())
        {
            var rows = Cases.GetProperty(member.MemberName, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IEnumerable<object?[]>
                ?? throw new InvalidOperationException($"{method.Name}: no static property {member.MemberName} with rows");
            foreach (var row in rows)
            {
                yield return row;
            }
        }
    }
}
