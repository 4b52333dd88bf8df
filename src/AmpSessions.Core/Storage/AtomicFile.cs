using System.Text;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Storage;

/// <summary>Writes a whole text file through a temporary file and a rename, so readers never see half of it.</summary>
internal static class AtomicFile
{
    public static void Write(string fullPath, Action<TextWriter> write, string errorId)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            var temporary = fullPath + ".tmp";
            using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
            {
                write(writer);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AmpSessionsException(errorId, ErrorKind.PermissionDenied,
                $"Cannot write '{fullPath}' ({ex.Message})", fullPath, ex, remedy: $"choose a writable {Parameter.Output} path");
        }
    }
}
