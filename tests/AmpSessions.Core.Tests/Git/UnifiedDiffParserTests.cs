using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>The patch parser fed with real <c>git diff</c> output.</summary>
public sealed class UnifiedDiffParserTests : IDisposable
{
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    private async Task<IReadOnlyDictionary<string, FileDiff>> DiffAsync(string from, string to)
    {
        var patch = await new GitClient(repo.Root).DiffPatchAsync([from, to]);
        var files = UnifiedDiffParser.Parse(patch);
        Assert.Equal(files.Count, files.Select(f => f.Path).Distinct().Count());
        return files.ToDictionary(f => f.Path);
    }

    [Fact]
    public async Task Added_deleted_modified_and_renamed_files()
    {
        repo.WriteFile("docs/guide.md", string.Concat(Enumerable.Range(1, 10).Select(i => $"line {i}\n")));
        var first = repo.CommitAll("first");
        repo.WriteFile("added.txt", "one\ntwo\n");
        repo.Git("rm", "--quiet", "README.md");
        repo.Git("mv", "docs/guide.md", "docs/manual ü.md");
        repo.WriteFile("docs/manual ü.md", string.Concat(Enumerable.Range(1, 10).Select(i => i == 5 ? "line five\n" : $"line {i}\n")));
        repo.WriteFile("src/greet.ts", "export function hello(name: string): string {\n  return `Hi, ${name}`\n}\n");
        var second = repo.CommitAll("second");

        var files = await DiffAsync(first, second);

        Assert.Equal(4, files.Count);
        var added = files["added.txt"];
        Assert.Equal(FileChangeKind.Added, added.Change);
        Assert.Null(added.OldPath);
        Assert.Equal((2, 0), (added.AddedLineCount, added.RemovedLineCount));
        Assert.Equal([1, 2], added.Hunks.Single().Lines.Select(l => l.NewLineNumber!.Value));

        var deleted = files["README.md"];
        Assert.Equal(FileChangeKind.Deleted, deleted.Change);
        Assert.Equal((0, 1), (deleted.AddedLineCount, deleted.RemovedLineCount));
        Assert.Equal("# sample", deleted.Hunks.Single().Lines.Single().Text);

        var renamed = files["docs/manual ü.md"];
        Assert.Equal(FileChangeKind.Renamed, renamed.Change);
        Assert.Equal("docs/guide.md", renamed.OldPath);
        var hunk = renamed.Hunks.Single();
        Assert.Equal("line 5", hunk.Lines.Single(l => l.Kind == DiffLineKind.Removed).Text);
        var addedLine = hunk.Lines.Single(l => l.Kind == DiffLineKind.Added);
        Assert.Equal(("line five", 5), (addedLine.Text, addedLine.NewLineNumber!.Value));

        var modified = files["src/greet.ts"];
        Assert.Equal(FileChangeKind.Modified, modified.Change);
        var context = modified.Hunks.Single().Lines.Where(l => l.Kind == DiffLineKind.Context).ToArray();
        Assert.Equal(["export function hello(name: string): string {", "}"], context.Select(l => l.Text));
        Assert.Equal([(1, 1), (3, 3)], context.Select(l => (l.OldLineNumber!.Value, l.NewLineNumber!.Value)));
    }

    [Fact]
    public async Task Binary_files_are_marked_binary()
    {
        var first = repo.Git("rev-parse", "HEAD");
        File.WriteAllBytes(repo.Path("image.bin"), Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(repo.Path("with space.bin"), [0, 1, 2, 0, 255]);
        var second = repo.CommitAll("binary");

        var files = await DiffAsync(first, second);

        Assert.Equal(2, files.Count);
        Assert.All(files.Values, f =>
        {
            Assert.True(f.IsBinary);
            Assert.Equal(FileChangeKind.Added, f.Change);
            Assert.Empty(f.Hunks);
        });
        Assert.Contains("with space.bin", files.Keys);
    }

    [Fact]
    public async Task A_missing_newline_at_the_end_is_a_marker_not_a_line()
    {
        repo.WriteFile("nonl.txt", "a\nb");
        var first = repo.CommitAll("first");
        repo.WriteFile("nonl.txt", "a\nc");
        var second = repo.CommitAll("second");

        var file = (await DiffAsync(first, second))["nonl.txt"];

        var lines = file.Hunks.Single().Lines;
        Assert.Equal(
            [DiffLineKind.Context, DiffLineKind.Removed, DiffLineKind.NoNewlineMarker, DiffLineKind.Added, DiffLineKind.NoNewlineMarker],
            lines.Select(l => l.Kind));
        Assert.Equal((1, 1), (file.AddedLineCount, file.RemovedLineCount));
    }

    [Fact]
    public async Task Quoted_paths_with_tabs_quotes_and_spaces_are_unquoted()
    {
        var first = repo.Git("rev-parse", "HEAD");
        repo.WriteFile("tab\there.txt", "t\n");
        repo.WriteFile("quote\"d.txt", "q\n");
        repo.WriteFile("back\\slash.txt", "b\n");
        repo.WriteFile("two words.txt", "w\n");
        var second = repo.CommitAll("odd names");

        var files = await DiffAsync(first, second);

        Assert.Equal(["back\\slash.txt", "quote\"d.txt", "tab\there.txt", "two words.txt"], files.Keys.Order(StringComparer.Ordinal));
        Assert.All(files.Values, f => Assert.Equal(FileChangeKind.Added, f.Change));
    }

    [Fact]
    public async Task Octal_escaped_non_ascii_paths_are_decoded_as_utf8()
    {
        var first = repo.Git("rev-parse", "HEAD");
        repo.WriteFile("naïve 日本.txt", "n\n");
        var second = repo.CommitAll("non-ascii");
        // With core.quotePath on (git's default), git writes the bytes as octal escapes.
        var patch = repo.Git("-c", "core.quotePath=true", "diff", "--patch", first, second);
        Assert.Contains("\\303\\257", patch);

        var file = UnifiedDiffParser.Parse(patch + "\n").Single();

        Assert.Equal("naïve 日本.txt", file.Path);
        Assert.Equal("n", file.Hunks.Single().Lines.Single().Text);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_pure_rename_and_a_mode_change_have_no_hunks()
    {
        repo.WriteFile("script one.sh", "#!/bin/sh\necho hi\n");
        var first = repo.CommitAll("first");
        Directory.CreateDirectory(repo.Path("tools"));
        repo.Git("mv", "script one.sh", "tools/script two.sh");
        repo.Git("update-index", "--chmod=+x", "src/greet.ts");
        repo.Git("commit", "--quiet", "-m", "rename and chmod");
        var second = repo.Git("rev-parse", "HEAD");

        var files = await DiffAsync(first, second);

        var renamed = files["tools/script two.sh"];
        Assert.Equal(FileChangeKind.Renamed, renamed.Change);
        Assert.Equal("script one.sh", renamed.OldPath);
        Assert.Empty(renamed.Hunks);
        var chmod = files["src/greet.ts"];
        Assert.Equal(FileChangeKind.Modified, chmod.Change);
        Assert.Empty(chmod.Hunks);
    }

    [Fact]
    public void An_empty_patch_has_no_files() => Assert.Empty(UnifiedDiffParser.Parse(""));
}
