using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;

namespace AmpSessions.Cli;

// The CLI's own --json shapes (what the core returns is written as it is). Named records rather than
// anonymous types, so the JSON metadata is generated at compile time for the native CLI.

/// <summary>{"error": {"id", "message"}} on stdout with --json when a command fails.</summary>
internal sealed record ErrorView(ErrorView.Detail Error)
{
    internal sealed record Detail(string Id, string Message);
}

/// <summary>`batch validate --json` of a file with problems.</summary>
internal sealed record BatchInvalidView(bool Valid, IReadOnlyList<BatchFileError> Errors);

/// <summary>`batch validate --json` of a valid file.</summary>
internal sealed record BatchValidView(bool Valid, string File, string Name, int Items, int Selected, string? Shard,
    IReadOnlyList<string> Agents, IReadOnlyList<BatchValidView.Task> Tasks, IReadOnlyList<string> ItemIds)
{
    internal sealed record Task(string Id, BatchTaskType Type, int Items);
}

/// <summary>`batch merge --output`.</summary>
internal sealed record BatchMergeView(string Output, IReadOnlyList<string> Journals, int Items, int MissingItems, int Unfinished);

/// <summary>`batch report --output`.</summary>
internal sealed record BatchReportView(string Output, ReportFormat Format, int Items);

/// <summary>`eval mine`.</summary>
internal sealed record MinedView(string OutputPath, string RepositoryPath, int Examined, IReadOnlyList<MinedView.Instance> Instances, IReadOnlyList<MinedView.Rejection> Rejected)
{
    internal sealed record Instance(string InstanceId, string BaseCommit, IReadOnlyList<string> FailToPass, int PassToPass);

    internal sealed record Rejection(string Commit, string Subject, string? Reason);
}

/// <summary>`template remove`.</summary>
internal sealed record TemplateRemovedView(string? Removed);

/// <summary>Generated JSON metadata for the CLI's own shapes; the core's context answers for the rest.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ErrorView))]
[JsonSerializable(typeof(BatchInvalidView))]
[JsonSerializable(typeof(BatchValidView))]
[JsonSerializable(typeof(BatchMergeView))]
[JsonSerializable(typeof(BatchReportView))]
[JsonSerializable(typeof(MinedView))]
[JsonSerializable(typeof(TemplateRemovedView))]
[JsonSerializable(typeof(Commands.StatusView.GitView))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}
