using System.Text.RegularExpressions;
using AmpSessions.Core.Configuration;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>
/// Issue 13's acceptance "docs/CONFIGURATION.md with every key; the about topic points to it": every
/// key the readers accept has its row in the section that describes it, so a key added in code without
/// its documentation fails here.
/// </summary>
public sealed class ConfigurationDocumentationTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "CONFIGURATION.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The text of the page's `## heading` section, up to the next `## `.</summary>
    private static string Section(string heading)
    {
        var match = Regex.Match(Page, $@"^## {Regex.Escape(heading)}\n(.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, $"docs/CONFIGURATION.md has no '## {heading}' section");
        return match.Groups[1].Value;
    }

    private static void AssertRows(string section, IEnumerable<string> keys)
    {
        var text = Section(section);
        var missing = keys.Where(k => !Regex.IsMatch(text, $@"^\| `{Regex.Escape(k)}`", RegexOptions.Multiline)
            && !text.Contains($"(`{k}`)", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"'## {section}' of docs/CONFIGURATION.md has no row for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_top_level_setting_and_section_has_its_row()
    {
        AssertRows("Top-level settings", ConfigurationKeys.Settings.Select(s => s.Key));
        foreach (var section in ConfigurationKeys.Sections)
        {
            Section(section);
        }
    }

    [Fact]
    public void Every_key_of_every_section_has_its_row()
    {
        AssertRows(ConfigurationKeys.Environments, ConfigurationKeys.EnvironmentKeys);
        AssertRows(ConfigurationKeys.Agents, ConfigurationKeys.AgentKeys);
        AssertRows(ConfigurationKeys.McpServers, ConfigurationKeys.McpServerKeys);
        AssertRows(ConfigurationKeys.Presets, ConfigurationKeys.PresetKeys);
        AssertRows(ConfigurationKeys.Commands, ConfigurationKeys.CommandKeys);
        AssertRows(ConfigurationKeys.Prices, ConfigurationKeys.PriceKeys);
        var presets = Section(ConfigurationKeys.Presets);
        Assert.All(ConfigurationKeys.PermissionRuleKeys, k => Assert.Contains($"`{k}`", presets, StringComparison.Ordinal));
        var commands = Section(ConfigurationKeys.Commands);
        Assert.All(ConfigurationKeys.CommandParameterKeys, k => Assert.Contains(k, commands, StringComparison.Ordinal));
    }

    [Fact]
    public void The_names_other_tools_rely_on_are_documented_as_they_are()
    {
        Assert.Contains($"`{ConfigurationKeys.RepositoryFileName}`", Page, StringComparison.Ordinal);
        Assert.Contains($"`{ConfigurationKeys.WorktreeIncludeFileName}`", Page, StringComparison.Ordinal);
        Assert.Contains($"`{ConfigurationKeys.RepositoryCommandsFolder}/<name>.md`", Page, StringComparison.Ordinal);
        Assert.Contains("`AMP_SESSION_PORT`", Page, StringComparison.Ordinal);
        Assert.Contains("`amp-sessions config get ports` (`--json`: `{\"key\",\"value\",\"source\"}`)", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void The_about_topic_points_to_the_page()
    {
        var about = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "about_AmpSessions.help.md"));
        Assert.Contains("docs/CONFIGURATION.md", about, StringComparison.Ordinal);
    }
}
