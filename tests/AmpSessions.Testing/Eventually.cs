namespace AmpSessions.Testing;

/// <summary>Waiting for something another process does (a file appears, a row changes).</summary>
public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; throws TimeoutException after <paramref name="within"/> (default 30 s).</summary>
    public static async Task WaitAsync(Func<bool> condition, TimeSpan? within = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what ?? "a condition"}");
            }
            await Task.Delay(50);
        }
    }
}
