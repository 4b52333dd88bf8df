using System.Text.Json.Serialization;

namespace AmpSessions.Core.Agents;

/// <summary>Token counts of one message or a whole turn.</summary>
public readonly record struct TokenUsage(long Input, long Output, long CacheCreation, long CacheRead)
{
    public static TokenUsage Zero => default;

    public long Total => Input + Output + CacheCreation + CacheRead;

    public TokenUsage Add(TokenUsage other) => this + other;

    public static TokenUsage operator +(TokenUsage a, TokenUsage b) =>
        new(a.Input + b.Input, a.Output + b.Output, a.CacheCreation + b.CacheCreation, a.CacheRead + b.CacheRead);
}

/// <summary>Something the agent did during a turn, as it streamed it.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(AgentInitEvent), "init")]
[JsonDerivedType(typeof(AgentTextEvent), "text")]
[JsonDerivedType(typeof(AgentToolUseEvent), "toolUse")]
[JsonDerivedType(typeof(AgentToolResultEvent), "toolResult")]
[JsonDerivedType(typeof(AgentUsageEvent), "usage")]
[JsonDerivedType(typeof(AgentResultEvent), "result")]
[JsonDerivedType(typeof(AgentProtocolWarningEvent), "protocolWarning")]
[JsonDerivedType(typeof(AgentStderrEvent), "stderr")]
public abstract record AgentEvent;

/// <summary>The first line: the thread, tools and MCP servers of the run.</summary>
public sealed record AgentInitEvent(string? ThreadId, string? WorkingDirectory, IReadOnlyList<string> Tools, IReadOnlyList<string> McpServers, string? AgentMode) : AgentEvent;

/// <summary>Text the assistant wrote.</summary>
public sealed record AgentTextEvent(string Text) : AgentEvent;

/// <summary>The assistant asked to use a tool.</summary>
public sealed record AgentToolUseEvent(string Id, string Name, string InputJson) : AgentEvent;

/// <summary>A tool's answer.</summary>
public sealed record AgentToolResultEvent(string ToolUseId, string Content, bool IsError) : AgentEvent;

/// <summary>Tokens used by one assistant message.</summary>
public sealed record AgentUsageEvent(TokenUsage Usage) : AgentEvent;

/// <summary>The final line of the turn.</summary>
public sealed record AgentResultEvent(bool IsError, string? Subtype, string? Result, string? Error, long? DurationMs, int? NumTurns, string? ThreadId) : AgentEvent;

/// <summary>A line that did not follow the protocol (not JSON, not an object); recorded, never fatal.</summary>
public sealed record AgentProtocolWarningEvent(string Line, string Reason) : AgentEvent;

/// <summary>A line the agent wrote to stderr.</summary>
public sealed record AgentStderrEvent(string Line) : AgentEvent;
