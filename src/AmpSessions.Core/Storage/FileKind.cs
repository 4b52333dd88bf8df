using System.Runtime.InteropServices;

namespace AmpSessions.Core.Storage;

/// <summary>What a path names, without following a symbolic link.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    /// <summary>A FIFO, a device (/dev/null, /dev/full, /dev/stdout's target), a socket: written through, never replaced.</summary>
    Special,
}

/// <summary>
/// The file type of a path. .NET reports FIFOs and devices as ordinary files (FileAttributes.Normal),
/// and no well-kept managed library exposes lstat without a native library of its own, so this asks
/// the C library directly: statx on Linux (one layout on every architecture), lstat on macOS.
/// </summary>
public static class FileKinds
{
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            return OfLinux(path);
        }
        if (OperatingSystem.IsMacOS())
        {
            return OfMac(path);
        }
        // Windows has no FIFOs or device files under ordinary paths.
        var info = new FileInfo(path);
        if (info.Exists)
        {
            return info.LinkTarget is null ? FileKind.Regular : FileKind.SymbolicLink;
        }
        return Directory.Exists(path) ? FileKind.Directory : FileKind.Missing;
    }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;

    // Strings marshal as UTF-8 on Unix; a byte[] is pinned and passed as a pointer (no unsafe code).
    [DllImport("libc", EntryPoint = "statx")]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat")]
    private static extern int LstatArm64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    [DllImport("libc", EntryPoint = "lstat$INODE64")]
    private static extern int LstatX64([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    private static FileKind OfLinux(string path)
    {
        // struct statx: stx_mode is the u16 at byte 28.
        var buffer = new byte[256];
        return Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) == 0
            ? FromMode(BitConverter.ToUInt16(buffer, 28))
            : FileKind.Missing;
    }

    private static FileKind OfMac(string path)
    {
        // struct stat (64-bit inodes): st_dev is an i32, st_mode the u16 at byte 4.
        var buffer = new byte[256];
        var result = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? LstatX64(path, buffer) : LstatArm64(path, buffer);
        return result == 0 ? FromMode(BitConverter.ToUInt16(buffer, 4)) : FileKind.Missing;
    }

    private static FileKind FromMode(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        _ => FileKind.Special,
    };
}
