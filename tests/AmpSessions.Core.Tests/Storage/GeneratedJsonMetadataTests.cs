using System.Text.Json;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Storage;

/// <summary>
/// The product's JSON goes through compile-time metadata only, in the JIT module as in the native CLI: a type that
/// no context lists fails here, in every JIT test that writes it, rather than only in the native executable.
/// </summary>
public sealed class GeneratedJsonMetadataTests
{
    private sealed record NotListed(string Name);

    [Fact]
    public void A_type_no_context_lists_is_refused_not_serialized_by_reflection()
    {
        var error = Assert.Throws<NotSupportedException>(() => JsonOutput.Serialize(new NotListed("x")));

        Assert.Contains(nameof(NotListed), error.Message);
    }

    [Fact]
    public void Listed_types_keep_the_product_shape_camel_case_enums_as_names_nulls_written()
    {
        var session = new Session
        {
            Id = "abcd2345",
            Name = "n",
            Prompt = "p",
            RepoRoot = "/r",
            BaseBranch = "main",
            BaseCommit = new string('a', 40),
            BranchName = "amp/n/20260101-000000",
            WorktreePath = "/r/.worktrees/abcd2345",
            Status = SessionStatus.Archived,
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
        };

        var json = JsonDocument.Parse(JsonOutput.Serialize(session)).RootElement;

        Assert.Equal("Archived", json.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("scriptCommand").ValueKind);
        Assert.Equal("abcd2345", JsonOutput.Deserialize<Session>(json, JsonOutput.Options)!.Id);
    }
}
