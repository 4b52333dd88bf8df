using System.Text.Json;

namespace AmpSessions.Testing;

/// <summary>
/// A benchmark written by hand in seed 002's commit-pair style, {id, repo, bug_commit, fix_commit,
/// test_command, prompt}, over a real repository whose tests are a shell script printing TAP (no
/// language runtime, no mining: cheap enough for any test that needs a real benchmark to run on).
/// On the bug commit addition subtracts and multiplication adds; each fix commit fixes one and adds
/// its test, so its test change is the hidden test patch and its source change the gold patch.
/// </summary>
public sealed class CommitPairBenchmark
{
    public const string AddId = "calc-add";
    public const string MultiplyId = "calc-mul";

    private CommitPairBenchmark(string repository, string pairsFile)
    {
        Repository = repository;
        PairsFile = pairsFile;
    }

    /// <summary>The calc repository (main at the second fix).</summary>
    public string Repository { get; }

    /// <summary>pairs.jsonl: two commit pairs, their repo a folder relative to the file.</summary>
    public string PairsFile { get; }

    public const int InstanceCount = 2;

    /// <summary>Writes the repository into <paramref name="repository"/> and the pairs file into <paramref name="benchmarkFolder"/>.</summary>
    public static CommitPairBenchmark Create(string repository, string benchmarkFolder)
    {
        Directory.CreateDirectory(repository);
        Directory.CreateDirectory(benchmarkFolder);
        TestRepository.GitIn(repository, "init", "--quiet", "--initial-branch=main");
        string Commit(string message, params (string Path, string Text)[] files)
        {
            foreach (var (path, text) in files)
            {
                var full = Path.Combine(repository, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, text);
            }
            TestRepository.GitIn(repository, "add", "--all");
            TestRepository.GitIn(repository, "commit", "--quiet", "-m", message);
            return TestRepository.GitIn(repository, "rev-parse", "HEAD");
        }
        const string Runs = "echo 'ok 1 - runs'\n";
        const string Adds = "if [ \"$(sh src/add.sh 2 3)\" = 5 ]; then echo 'ok 2 - adds'; else echo 'not ok 2 - adds'; fi\n";
        const string Multiplies = "if [ \"$(sh src/mul.sh 2 3)\" = 6 ]; then echo 'ok 3 - multiplies'; else echo 'not ok 3 - multiplies'; fi\n";
        var bug = Commit("Add and multiply", ("src/add.sh", "echo $(( $1 - $2 ))\n"), ("src/mul.sh", "echo $(( $1 + $2 ))\n"), ("tests/check.sh", Runs));
        var addFix = Commit("Fix addition", ("src/add.sh", "echo $(( $1 + $2 ))\n"), ("tests/check.sh", Runs + Adds));
        var mulFix = Commit("Fix multiplication", ("src/mul.sh", "echo $(( $1 * $2 ))\n"), ("tests/check.sh", Runs + Adds + Multiplies));
        var pairsFile = Path.Combine(benchmarkFolder, "pairs.jsonl");
        var folder = Path.GetRelativePath(benchmarkFolder, repository);
        File.WriteAllLines(pairsFile,
        [
            JsonSerializer.Serialize(new { id = AddId, repo = folder, bug_commit = bug, fix_commit = addFix, test_command = "sh tests/check.sh", prompt = "ADDITION: src/add.sh subtracts instead of adding." }),
            JsonSerializer.Serialize(new { id = MultiplyId, repo = folder, bug_commit = addFix, fix_commit = mulFix, test_command = "sh tests/check.sh", prompt = "MULTIPLICATION: src/mul.sh adds instead of multiplying." }),
        ]);
        return new CommitPairBenchmark(repository, pairsFile);
    }
}
