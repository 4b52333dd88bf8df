namespace AmpSessions.Core.Evaluation;

/// <summary>The built-in agents that check a benchmark rather than solve it.</summary>
public enum ReferenceAgent
{
    /// <summary>Not a reference agent: a real agent runs in a session.</summary>
    None,
    /// <summary>Applies the instance's gold patch: must resolve every instance of a sound benchmark.</summary>
    Gold,
    /// <summary>Changes nothing: must resolve no instance (else its FAIL_TO_PASS tests pass without a fix).</summary>
    Null,
}
