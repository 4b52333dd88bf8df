using System.Text.Json;

namespace AmpSessions.Testing;

/// <summary>One invocation of the fake agent, as it wrote it to FAKE_AMP_RECORD.</summary>
public sealed record FakeAgentInvocation(IReadOnlyList<string> Arguments, string WorkingDirectory, string? StandardInput, IReadOnlyDictionary<string, string> Environment, bool ApiKeySet, int ProcessId);

/// <summary>Reads the fake agent's record file (one JSON line per invocation).</summary>
public static class FakeAgentRecord
{
    public static IReadOnlyList<FakeAgentInvocation> Read(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var invocations = new List<FakeAgentInvocation>();
        foreach (var line in ReadLinesBetweenWrites(path).Where(l => l.Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var environment = new Dictionary<string, string>();
            var apiKeySet = false;
            foreach (var variable in root.GetProperty("env").EnumerateObject())
            {
                if (variable.Name == "AMP_API_KEY_SET")
                {
                    apiKeySet = variable.Value.GetBoolean();
                }
                else
                {
                    environment[variable.Name] = variable.Value.GetString() ?? "";
                }
            }
            invocations.Add(new FakeAgentInvocation(
                root.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!).ToArray(),
                root.GetProperty("cwd").GetString()!,
                root.GetProperty("stdin").ValueKind == JsonValueKind.String ? root.GetProperty("stdin").GetString() : null,
                environment,
                apiKeySet,
                root.GetProperty("pid").GetInt32()));
        }
        return invocations;
    }

    // The fake appends under an exclusive lock, which on Unix also keeps readers out for that moment.
    private static string[] ReadLinesBetweenWrites(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return File.ReadAllLines(path);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>Waits until the record file holds at least <paramref name="count"/> invocations (the fake writes it once stdin is read).</summary>
    public static async Task<IReadOnlyList<FakeAgentInvocation>> WaitForAsync(string path, int count, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var invocations = Read(path);
            if (invocations.Count >= count || DateTime.UtcNow > deadline)
            {
                return invocations;
            }
            await Task.Delay(50);
        }
    }
}
