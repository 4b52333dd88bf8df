using AmpSessions.Core.Templates;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>The templates table.</summary>
public sealed class TemplateStore
{
    private const string Columns = "name, repo_root, base_branch, prompt, script_command, model_override, agent_mode, created_at, environment, agent, preset, mcp_servers, setup";
    private readonly Database database;

    public TemplateStore(Database database) => this.database = database;

    /// <summary>Inserts or replaces the template of that name.</summary>
    public void Save(SessionTemplate template) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT OR REPLACE INTO templates ({Columns}) VALUES ($name, $repo, $base, $prompt, $script, $model, $mode, $created, $environment, $agent, $preset, $mcp, $setup)";
        command.Parameters.AddWithValue("$name", template.Name);
        command.Parameters.AddWithValue("$repo", (object?)template.RepoRoot ?? DBNull.Value);
        command.Parameters.AddWithValue("$base", (object?)template.BaseBranch ?? DBNull.Value);
        command.Parameters.AddWithValue("$prompt", template.Prompt);
        command.Parameters.AddWithValue("$script", (object?)template.ScriptCommand ?? DBNull.Value);
        command.Parameters.AddWithValue("$model", (object?)template.ModelOverride ?? DBNull.Value);
        command.Parameters.AddWithValue("$mode", (object?)template.AgentMode ?? DBNull.Value);
        command.Parameters.AddWithValue("$created", SessionStore.FormatTime(template.CreatedAt));
        command.Parameters.AddWithValue("$environment", (object?)template.Environment ?? DBNull.Value);
        command.Parameters.AddWithValue("$agent", (object?)template.Agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$preset", (object?)template.Preset ?? DBNull.Value);
        command.Parameters.AddWithValue("$mcp", Serialization.JsonOutput.Serialize(template.McpServers, Serialization.JsonOutput.Compact));
        command.Parameters.AddWithValue("$setup", (object?)template.Setup ?? DBNull.Value);
        return command.ExecuteNonQuery();
    });

    public bool Delete(string name) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM templates WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteNonQuery() > 0;
    });

    public IReadOnlyList<SessionTemplate> List() => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM templates ORDER BY name";
        var list = new List<SessionTemplate>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(Read(reader));
        }
        return list;
    });

    private static SessionTemplate Read(SqliteDataReader r) => new()
    {
        Name = r.GetString(0),
        RepoRoot = r.IsDBNull(1) ? null : r.GetString(1),
        BaseBranch = r.IsDBNull(2) ? null : r.GetString(2),
        Prompt = r.GetString(3),
        ScriptCommand = r.IsDBNull(4) ? null : r.GetString(4),
        ModelOverride = r.IsDBNull(5) ? null : r.GetString(5),
        AgentMode = r.IsDBNull(6) ? null : r.GetString(6),
        CreatedAt = SessionStore.ParseTime(r.GetString(7)),
        Environment = r.IsDBNull(8) ? null : r.GetString(8),
        Agent = r.IsDBNull(9) ? null : r.GetString(9),
        Preset = r.IsDBNull(10) ? null : r.GetString(10),
        McpServers = Serialization.JsonOutput.Deserialize<string[]>(r.GetString(11), Serialization.JsonOutput.Compact) ?? [],
        Setup = r.IsDBNull(12) ? null : r.GetString(12),
    };
}
