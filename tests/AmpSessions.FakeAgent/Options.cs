namespace AmpSessions.FakeAgent;

/// <summary>How the final output is shaped.</summary>
internal enum OutputMode
{
    /// <summary>One JSON object per line (amp --stream-json, claude --output-format stream-json).</summary>
    StreamJson,

    /// <summary>Only the result object (claude --output-format json).</summary>
    Json,

    /// <summary>Only the final text (no --stream-json).</summary>
    Text,
}

/// <summary>The command line, parsed the way amp (commander.js) parses it.</summary>
internal sealed class Options
{
    public string? ContinueThreadId { get; private set; }
    public bool Execute { get; private set; }
    public string? ExecuteValue { get; private set; }
    public bool StreamJson { get; private set; }
    public bool DangerouslyAllowAll { get; private set; }
    public string? Mode { get; private set; }
    public string? McpConfig { get; private set; }
    public string? SettingsFile { get; private set; }
    public List<string> Labels { get; } = [];
    public string? Title { get; private set; }
    public bool NoArchiveAfterExecute { get; private set; }
    public string? LogLevel { get; private set; }
    public string? LogFile { get; private set; }
    public bool NoNotifications { get; private set; }
    public bool NoIde { get; private set; }
    public bool Version { get; private set; }

    // Claude Code preset flags.
    public bool Print { get; private set; }
    public string? OutputFormat { get; private set; }
    public bool Verbose { get; private set; }
    public string? Resume { get; private set; }
    public string? Model { get; private set; }
    public string? PositionalPrompt { get; private set; }

    /// <summary>Claude mode: -p given instead of -x.</summary>
    public bool ClaudeMode => Print && !Execute;

    /// <summary>The thread to continue (amp `threads continue` or claude `--resume`), if any.</summary>
    public string? ThreadToContinue => ContinueThreadId ?? Resume;

    /// <summary>The prompt given on the command line (-x value or claude positional), if any.</summary>
    public string? CommandLinePrompt => ExecuteValue ?? PositionalPrompt;

    public OutputMode OutputMode
    {
        get
        {
            if (ClaudeMode)
            {
                return OutputFormat switch
                {
                    "stream-json" => OutputMode.StreamJson,
                    "json" => OutputMode.Json,
                    _ => OutputMode.Text,
                };
            }

            return StreamJson ? OutputMode.StreamJson : OutputMode.Text;
        }
    }

    private static readonly HashSet<string> ValueOptions =
    [
        "-m", "--mode", "--mcp-config", "--settings-file", "-l", "--label", "--title",
        "--log-level", "--log-file", "--output-format", "--resume", "-r", "--model",
    ];

    /// <summary>Parses <paramref name="args"/>; returns null and sets <paramref name="error"/> on failure.</summary>
    public static Options? Parse(string[] args, out string? error)
    {
        var o = new Options();
        error = null;
        var i = 0;
        var positionals = new List<string>();

        if (args.Length > 0 && args[0] == "threads")
        {
            if (args.Length < 2)
            {
                error = "error: missing required argument 'command'";
                return null;
            }

            if (args[1] != "continue")
            {
                error = $"error: unknown command '{args[1]}'";
                return null;
            }

            if (args.Length < 3 || args[2].StartsWith('-'))
            {
                error = "error: missing required argument 'threadId'";
                return null;
            }

            o.ContinueThreadId = args[2];
            i = 3;
        }

        for (; i < args.Length; i++)
        {
            var token = args[i];
            string name = token;
            string? inlineValue = null;
            if (token.StartsWith("--", StringComparison.Ordinal) && token.IndexOf('=', StringComparison.Ordinal) is var eq and > 2)
            {
                name = token[..eq];
                inlineValue = token[(eq + 1)..];
            }

            string? value = null;
            if (ValueOptions.Contains(name))
            {
                if (inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }
                else
                {
                    error = $"error: option '{name}' argument missing";
                    return null;
                }
            }
            else if (inlineValue is not null && name is not ("-x" or "--execute"))
            {
                // Boolean flags take no value.
                if (IsBooleanFlag(name))
                {
                    error = $"error: option '{name}' does not take an argument";
                }
                else
                {
                    error = $"error: unknown option '{token}'";
                }

                return null;
            }

            switch (name)
            {
                case "-x":
                case "--execute":
                    o.Execute = true;
                    if (inlineValue is not null)
                    {
                        o.ExecuteValue = inlineValue;
                    }
                    else if (i + 1 < args.Length && !args[i + 1].StartsWith('-'))
                    {
                        // amp quirk: -x takes an optional value, so a following bare token is the prompt.
                        o.ExecuteValue = args[++i];
                    }

                    break;
                case "--stream-json": o.StreamJson = true; break;
                case "--dangerously-allow-all": o.DangerouslyAllowAll = true; break;
                case "-m":
                case "--mode": o.Mode = value; break;
                case "--mcp-config": o.McpConfig = value; break;
                case "--settings-file": o.SettingsFile = value; break;
                case "-l":
                case "--label": o.Labels.Add(value!); break;
                case "--title": o.Title = value; break;
                case "--no-archive-after-execute": o.NoArchiveAfterExecute = true; break;
                case "--log-level": o.LogLevel = value; break;
                case "--log-file": o.LogFile = value; break;
                case "--no-notifications": o.NoNotifications = true; break;
                case "--no-ide": o.NoIde = true; break;
                case "--version":
                case "-V": o.Version = true; break;
                case "-p":
                case "--print": o.Print = true; break;
                case "--output-format":
                    if (value is not ("text" or "json" or "stream-json"))
                    {
                        error = $"error: option '--output-format <format>' argument '{value}' is invalid. Allowed choices are text, json, stream-json.";
                        return null;
                    }

                    o.OutputFormat = value;
                    break;
                case "--verbose": o.Verbose = true; break;
                case "-r":
                case "--resume": o.Resume = value; break;
                case "--model": o.Model = value; break;
                default:
                    if (token.StartsWith('-') && token != "-")
                    {
                        error = $"error: unknown option '{token}'";
                        return null;
                    }

                    positionals.Add(token);
                    break;
            }
        }

        if (positionals.Count > 0)
        {
            if (o.ClaudeMode && positionals.Count == 1)
            {
                // claude -p "prompt": the prompt is a positional argument.
                o.PositionalPrompt = positionals[0];
            }
            else
            {
                error = $"error: unexpected argument '{positionals[o.ClaudeMode ? 1 : 0]}'";
                return null;
            }
        }

        if (o.Version)
        {
            return o;
        }

        if (o.StreamJson && !o.Execute)
        {
            error = "error: --stream-json requires --execute (-x)";
            return null;
        }

        if (!o.Execute && !o.Print)
        {
            error = "error: fake-amp supports only execute mode: pass -x (amp) or -p (claude)";
            return null;
        }

        if (o.ClaudeMode && o.OutputFormat == "stream-json" && !o.Verbose)
        {
            error = "Error: When using --print, --output-format=stream-json requires --verbose";
            return null;
        }

        return o;
    }

    private static bool IsBooleanFlag(string name) => name is
        "--stream-json" or "--dangerously-allow-all" or "--no-archive-after-execute" or "--no-notifications"
        or "--no-ide" or "--version" or "--print" or "--verbose";
}
