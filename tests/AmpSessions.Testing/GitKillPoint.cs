using AmpSessions.Core.Processes;

namespace AmpSessions.Testing;

/// <summary>
/// A named place to stop the product in the middle of its work: a `git` wrapper (put first on PATH, or
/// given as the git executable) that runs the real git, except that when armed for a subcommand it
/// stops right before or right after that subcommand and waits there, announcing it with a file, until
/// the test kills the process tree or releases it. The real git is never changed.
/// </summary>
public sealed class GitKillPoint
{
    private readonly string signals;

    public GitKillPoint(string folder)
    {
        signals = Path.Combine(folder, "signals");
        BinDirectory = Path.Combine(folder, "bin");
        Directory.CreateDirectory(signals);
        Directory.CreateDirectory(BinDirectory);
        var realGit = ExecutableLocator.Find("git") ?? throw new InvalidOperationException("git is not on PATH");
        // The command is matched from the subcommand on (the first argument that is not an option;
        // -c and -C take a value), as a prefix: "worktree add", "merge --ff-only", or a shell glob
        // such as "update-ref -m amp-sessions: squash*". Claiming the arming file with mv makes only
        // one of several racing gits stop.
        WrapperPath = ExecutableScript.Write(Path.Combine(BinDirectory, "git"), $$"""
            dir='{{signals}}'
            real='{{realGit}}'
            rest=''; skip=0; found=0
            for a in "$@"; do
              if [ $found = 1 ]; then rest="$rest $a"; continue; fi
              if [ $skip = 1 ]; then skip=0; continue; fi
              case "$a" in
                -c|-C|--git-dir|--work-tree|--namespace) skip=1 ;;
                -*) ;;
                *) rest="$a"; found=1 ;;
              esac
            done
            stop() { : > "$dir/paused"; while [ -f "$dir/hold" ]; do sleep 0.05; done; }
            if [ -f "$dir/armed" ]; then
              want=$(cat "$dir/armed" 2>/dev/null)
              when=${want%% *}; pattern=${want#* }
              case "$rest" in
                $pattern|$pattern\ *)
                  if mv "$dir/armed" "$dir/claimed.$$" 2>/dev/null; then
                    if [ "$when" = before ]; then stop; exec "$real" "$@"; fi
                    "$real" "$@"; code=$?; stop; exit $code
                  fi ;;
              esac
            fi
            exec "$real" "$@"

            """);
    }

    /// <summary>The folder to put first on PATH.</summary>
    public string BinDirectory { get; }

    /// <summary>The wrapper itself, for AmpContextOptions.GitExecutable.</summary>
    public string WrapperPath { get; }

    /// <summary>Arms the point: <paramref name="when"/> is "before" or "after", <paramref name="subcommand"/> e.g. "worktree add" or "merge".</summary>
    public void Arm(string when, string subcommand)
    {
        File.WriteAllText(Path.Combine(signals, "hold"), "");
        File.Delete(Path.Combine(signals, "paused"));
        File.WriteAllText(Path.Combine(signals, "armed"), $"{when} {subcommand}");
    }

    public bool IsPaused => File.Exists(Path.Combine(signals, "paused"));

    /// <summary>Lets a paused git go on.</summary>
    public void Release() => File.Delete(Path.Combine(signals, "hold"));

    /// <summary>Waits until some git stopped at the point; fails when <paramref name="running"/> ended first.</summary>
    public async Task WaitUntilPausedAsync(Task running, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!IsPaused)
        {
            if (running.IsCompleted)
            {
                var outcome = running is Task<CliResult> cli ? (await cli).ToString() : running.Exception?.ToString() ?? "it ended";
                throw new InvalidOperationException($"the run never reached {what}: {outcome}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the run never reached {what}");
            }
            await Task.Delay(25);
        }
    }

    /// <summary>PATH with the wrapper first, for a CLI run.</summary>
    public string SearchPath => BinDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
}
