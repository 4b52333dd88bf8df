using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Containment;

/// <summary>The ways an agent in a session worktree can reach the user's main checkout, as fake-agent scenario steps.</summary>
internal static class EscapeScenarios
{
    public const string EditOutside = "edit outside";
    public const string CdOutAndWrite = "cd .. and write";
    public const string CheckoutInMain = "git -C <main> checkout";
    public const string Push = "git push";

    public static readonly TheoryData<string> All = new() { EditOutside, CdOutAndWrite, CheckoutInMain, Push };

    /// <summary>A bare repository beside the main checkout, as its origin, so a push has somewhere to go.</summary>
    public static void AddOrigin(TestRepository repo)
    {
        var origin = repo.Scratch("origin.git");
        TestRepository.GitIn(origin, "init", "--quiet", "--bare");
        repo.Git("remote", "add", "origin", origin);
        repo.Git("push", "--quiet", "origin", "main");
    }

    /// <summary>The scenario file's JSON: one tool call that tries the escape, then success.</summary>
    public static string Scenario(string escape, string mainRoot)
    {
        object step = escape switch
        {
            EditOutside => new { toolUse = new { name = "create_file", input = new { path = "../../INTO_MAIN.txt", content = "from the agent\n" } } },
            CdOutAndWrite => new { toolUse = new { name = "Bash", input = new { cmd = "cd ../.. && echo from the agent > CD_OUT.txt" } } },
            CheckoutInMain => new { toolUse = new { name = "Bash", input = new { cmd = $"git -C '{mainRoot}' checkout -q -b agent-branch" } } },
            Push => new { toolUse = new { name = "Bash", input = new { cmd = "git push -q origin HEAD:refs/heads/pushed-by-agent" } } },
            _ => throw new ArgumentOutOfRangeException(nameof(escape)),
        };
        return JsonSerializer.Serialize(new { steps = new object[] { new { text = "trying " + escape }, step, new { success = "done" } } });
    }

    /// <summary>What the detector names for each escape.</summary>
    public static string Touched(string escape) => escape switch
    {
        EditOutside => "INTO_MAIN.txt",
        CdOutAndWrite => "CD_OUT.txt",
        CheckoutInMain => "HEAD",
        Push => "refs/remotes/origin/pushed-by-agent",
        _ => throw new ArgumentOutOfRangeException(nameof(escape)),
    };
}
