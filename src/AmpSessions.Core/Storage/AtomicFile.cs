using System.Text;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Storage;

/// <summary>
/// Writes a whole output file so readers never see half of it: through a temporary file and a rename
/// when the target is a regular file (or new); a symbolic link is followed to what it names (the link
/// stays); a FIFO or device (/dev/stdout, /dev/null) is written through, never replaced.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string fullPath, Action<TextWriter> write, string errorId)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            WriteWith(fullPath, path =>
            {
                using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
                write(writer);
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AmpSessionsException(errorId, ErrorKind.PermissionDenied,
                $"Cannot write '{fullPath}' ({ex.Message})", fullPath, ex, remedy: $"choose a writable {Parameter.Output} path");
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> (which creates or truncates the file at the path it is given) so
    /// that the result lands at <paramref name="target"/> by the rule above.
    /// </summary>
    public static void WriteWith(string target, Action<string> write)
    {
        var final = target;
        if (FileKinds.Of(final) == FileKind.SymbolicLink)
        {
            final = new FileInfo(final).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? final;
        }
        if (FileKinds.Of(final) is FileKind.Special)
        {
            write(final);
            return;
        }
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(final))!, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temporary);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <inheritdoc cref="WriteWith(string, Action{string})"/>
    public static async Task WriteWithAsync(string target, Func<string, Task> write)
    {
        var final = target;
        if (FileKinds.Of(final) == FileKind.SymbolicLink)
        {
            final = new FileInfo(final).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? final;
        }
        if (FileKinds.Of(final) is FileKind.Special)
        {
            await write(final).ConfigureAwait(false);
            return;
        }
        var temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(final))!, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await write(temporary).ConfigureAwait(false);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
