using System.Text;
using System.Text.Json.Nodes;

namespace AmpSessions.FakeAgent;

/// <summary>Really performs the file tools a transcript describes (edit_file, create_file).</summary>
internal static class ToolEffects
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Performs the tool if it is one the fake implements. Returns null when the tool succeeded or is
    /// not implemented (the transcript's tool_result stands), else the error text for the tool_result.
    /// </summary>
    public static string? Perform(string? name, JsonNode? input, string cwd)
    {
        try
        {
            return name switch
            {
                "edit_file" => EditFile(input, cwd),
                "create_file" => CreateFile(input, cwd),
                _ => null,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Runs a shell tool's command (Bash: cmd, shell_command: command) with sh -c (cmd /c on Windows) in
    /// the input's cwd or the agent's; null for any other tool.
    /// </summary>
    public static (string Output, int ExitCode)? RunShell(string? name, JsonNode? input, string cwd)
    {
        var command = name switch
        {
            "Bash" => Str(input, "cmd"),
            "shell_command" or "async_shell_command" => Str(input, "command"),
            _ => null,
        };
        if (command is null)
        {
            return null;
        }
        var start = OperatingSystem.IsWindows()
            ? new System.Diagnostics.ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } }
            : new System.Diagnostics.ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.WorkingDirectory = Str(input, "cwd") is { } dir ? Resolve(dir, cwd) : cwd;
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (stdout + stderr.Result, process.ExitCode);
    }

    private static string? EditFile(JsonNode? input, string cwd)
    {
        var path = Str(input, "path");
        var oldStr = Str(input, "old_str");
        var newStr = Str(input, "new_str") ?? "";
        if (path is null || oldStr is null)
        {
            return "edit_file needs path and old_str";
        }

        var full = Resolve(path, cwd);
        if (!File.Exists(full))
        {
            return $"File not found: {full}";
        }

        var bytes = File.ReadAllBytes(full);
        var bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;
        var text = Utf8.GetString(bytes, bom ? 3 : 0, bytes.Length - (bom ? 3 : 0));
        var at = text.IndexOf(oldStr, StringComparison.Ordinal);
        if (at < 0)
        {
            return "old_str not found";
        }

        var edited = string.Concat(text.AsSpan(0, at), newStr, text.AsSpan(at + oldStr.Length));
        var body = Utf8.GetBytes(edited);
        using var stream = new FileStream(full, FileMode.Create, FileAccess.Write);
        if (bom)
        {
            stream.Write([0xEF, 0xBB, 0xBF]);
        }

        stream.Write(body);
        return null;
    }

    private static string? CreateFile(JsonNode? input, string cwd)
    {
        var path = Str(input, "path");
        var content = Str(input, "content") ?? "";
        if (path is null)
        {
            return "create_file needs path";
        }

        WriteFile(Resolve(path, cwd), content, append: false);
        return null;
    }

    /// <summary>Writes (or appends) UTF-8 text without BOM, creating parent directories.</summary>
    public static void WriteFile(string fullPath, string content, bool append)
    {
        var dir = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        if (append)
        {
            File.AppendAllText(fullPath, content, Utf8);
        }
        else
        {
            File.WriteAllText(fullPath, content, Utf8);
        }
    }

    public static string Resolve(string path, string cwd) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(cwd, path));

    private static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
