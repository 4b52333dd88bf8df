using System.Runtime.InteropServices;
using System.Text;
using LibGit2Sharp;

namespace AmpSessions.Core.Git;

/// <summary>
/// The libgit2 calls whose LibGit2Sharp 0.32 bindings do not survive Native AOT, bound here with source-generated
/// interop (blittable structs, pointers, UTF-8 strings marshalled by the generator) against the native library
/// LibGit2Sharp loads, found through LibGit2Sharp's own assembly (<see cref="ResolveAsLibGit2Sharp"/>): one file, loaded
/// once, in every host (the JIT CLI's deps.json, the native CLI's folder, the module's load context). Under Native AOT, LibGit2Sharp hands libgit2 a <c>git_buf</c> as a
/// formatted class by value, which the AOT marshaller copies in and never back: <c>Repository.Discover</c> answers
/// null and the global, XDG and system configuration files are never found, so <c>Repository.Config</c> misses the
/// user's settings (and, once built, replaces the repository's own complete configuration). Its patch builder reads
/// each line through a callback that takes formatted classes, which ends the process there (NullReferenceException).
/// Here a <c>git_buf</c> is a struct passed by pointer, configuration entries and patch lines are read through the
/// pointers libgit2 returns, and nothing calls back. Used under JIT too, so the parity tests prove these reads.
/// </summary>
internal static unsafe partial class Libgit2Interop
{
    /// <summary>The library LibGit2Sharp.NativeBinaries ships (libgit2-&lt;hash&gt;.so/.dylib, git2-&lt;hash&gt;.dll) and LibGit2Sharp binds.</summary>
    public const string LibraryName = "git2-5853918";

    private const int NotFound = -3;
    private const int IterationOver = -31;

    /// <summary>git_libgit2_opt_t's GIT_OPT_GET_SEARCH_PATH (the fifth option, after the memory-window ones; include/git2/common.h).</summary>
    private const int OptionGetSearchPath = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct GitBuffer
    {
        public byte* Pointer;
        public nuint Reserved;
        public nuint Size;
    }

    /// <summary>git_config_entry: only its first two fields, the same in every libgit2 version.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ConfigEntry
    {
        public byte* Name;
        public byte* Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DiffLine
    {
        public byte Origin;
        public int OldLineNumber;
        public int NewLineNumber;
        public int LineCount;
        public nuint ContentLength;
        public long ContentOffset;
        public byte* Content;
    }

    /// <summary>git_diff_options, version 1, as libgit2 of LibGit2Sharp.NativeBinaries 2.0.324 lays it out (room to spare after it).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct DiffOptions
    {
        public uint Version;
        public uint Flags;
        public int IgnoreSubmodules;
        public IntPtr PathspecStrings;
        public nuint PathspecCount;
        public IntPtr NotifyCallback;
        public IntPtr ProgressCallback;
        public IntPtr Payload;
        public uint ContextLines;
        public uint InterhunkLines;
        public ushort IdAbbrev;
        public long MaxSize;
        public IntPtr OldPrefix;
        public IntPtr NewPrefix;
        public fixed byte Spare[64];
    }

    private const byte LineAddition = (byte)'+';
    private const uint DeltaFlagBinary = 1;
    private const uint DiffIncludeTypeChange = 1u << 14;

    [LibraryImport(LibraryName)]
    private static partial int git_libgit2_init();

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_repository_discover(GitBuffer* output, string startPath, int acrossFilesystems, string? ceilingDirectories);

    [LibraryImport(LibraryName)]
    private static partial void git_buf_dispose(GitBuffer* buffer);

    // git_libgit2_opts(int option, ...) is variadic, which source-generated interop cannot declare. For integer and pointer
    // arguments a fixed prototype passes them where a variadic call does on x64 (System V and Windows) and on arm64 Linux and
    // Windows. Apple's arm64 passes every variadic argument on the stack: there the first eight (register) arguments are
    // filled with padding so the level and the buffer land on the stack, in 8-byte slots.
    [LibraryImport(LibraryName)]
    private static partial int git_libgit2_opts(int option, int level, GitBuffer* buffer);

    [LibraryImport(LibraryName, EntryPoint = "git_libgit2_opts")]
    private static partial int git_libgit2_opts_apple_arm64(int option, nint pad1, nint pad2, nint pad3, nint pad4, nint pad5, nint pad6, nint pad7, nint level, GitBuffer* buffer);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_repository_open(IntPtr* repository, string path);

    [LibraryImport(LibraryName)]
    private static partial void git_repository_free(IntPtr repository);

    [LibraryImport(LibraryName)]
    private static partial int git_repository_config_snapshot(IntPtr* config, IntPtr repository);

    // include/git2/sys/repository.h: a null index drops the one the repository holds; the next use loads it from disk.
    [LibraryImport(LibraryName)]
    private static partial int git_repository_set_index(IntPtr repository, IntPtr index);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_config_open_ondisk(IntPtr* config, string path);

    [LibraryImport(LibraryName)]
    private static partial void git_config_free(IntPtr config);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_config_get_entry(ConfigEntry** entry, IntPtr config, string name);

    [LibraryImport(LibraryName)]
    private static partial void git_config_entry_free(ConfigEntry* entry);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_config_get_bool(int* value, IntPtr config, string name);

    [LibraryImport(LibraryName)]
    private static partial int git_config_iterator_new(IntPtr* iterator, IntPtr config);

    [LibraryImport(LibraryName)]
    private static partial int git_config_next(ConfigEntry** entry, IntPtr iterator);

    [LibraryImport(LibraryName)]
    private static partial void git_config_iterator_free(IntPtr iterator);

    [LibraryImport(LibraryName)]
    private static partial int git_blob_lookup(IntPtr* blob, IntPtr repository, byte* objectId);

    [LibraryImport(LibraryName)]
    private static partial void git_blob_free(IntPtr blob);

    [LibraryImport(LibraryName)]
    private static partial int git_diff_options_init(DiffOptions* options, uint version);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int git_patch_from_blobs(IntPtr* patch, IntPtr oldBlob, string? oldPath, IntPtr newBlob, string? newPath, DiffOptions* options);

    [LibraryImport(LibraryName)]
    private static partial uint* git_patch_get_delta(IntPtr patch);

    [LibraryImport(LibraryName)]
    private static partial nuint git_patch_num_hunks(IntPtr patch);

    [LibraryImport(LibraryName)]
    private static partial int git_patch_num_lines_in_hunk(IntPtr patch, nuint hunk);

    [LibraryImport(LibraryName)]
    private static partial int git_patch_get_line_in_hunk(DiffLine** line, IntPtr patch, nuint hunk, nuint lineOfHunk);

    [LibraryImport(LibraryName)]
    private static partial void git_patch_free(IntPtr patch);

    private static readonly Lazy<int> Initialized = new(git_libgit2_init);

    static Libgit2Interop() =>
        // The core's only import resolver; its other imports (libc, kernel32) resolve as before.
        NativeLibrary.SetDllImportResolver(typeof(Libgit2Interop).Assembly, ResolveAsLibGit2Sharp);

    /// <summary>
    /// libgit2 as LibGit2Sharp's assembly finds it (its load context, its folder, the runtime's probing for it): the module
    /// loads the core and LibGit2Sharp into different load contexts, and only LibGit2Sharp's knows the module's
    /// runtimes folder. Anything else, or nothing found, goes on to the usual search.
    /// </summary>
    private static IntPtr ResolveAsLibGit2Sharp(string libraryName, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibraryName && NativeLibrary.TryLoad(libraryName, typeof(Repository).Assembly, searchPath, out var handle) ? handle : IntPtr.Zero;

    /// <summary>libgit2 must be initialised before any call (it counts initialisations; LibGit2Sharp's own is one more).</summary>
    private static void EnsureInitialized()
    {
        if (Initialized.Value < 0)
        {
            throw new LibGit2SharpException("libgit2 could not be initialised");
        }
    }

    /// <summary>Repository.Discover: the git directory of the repository containing <paramref name="startPath"/>, null when there is none.</summary>
    public static string? Discover(string startPath)
    {
        EnsureInitialized();
        var buffer = default(GitBuffer);
        try
        {
            var result = git_repository_discover(&buffer, startPath, 0, null);
            if (result == NotFound)
            {
                return null;
            }
            Check(result);
            var path = Marshal.PtrToStringUTF8((IntPtr)buffer.Pointer, checked((int)buffer.Size));
            // libgit2 writes '/'; LibGit2Sharp hands out the platform's separator.
            return Path.DirectorySeparatorChar == '/' ? path : path.Replace('/', Path.DirectorySeparatorChar);
        }
        finally
        {
            git_buf_dispose(&buffer);
        }
    }

    /// <summary>
    /// GlobalSettings.GetConfigSearchPaths: the folders libgit2 looks in for the configuration files of one level (the
    /// user's: HOME for Global, XDG_CONFIG_HOME/git or ~/.config/git for Xdg; the system's, ProgramData's), as it has them now,
    /// whether or not a file is there yet. LibGit2Sharp's own answers "" under Native AOT (its git_buf is a class).
    /// </summary>
    public static IReadOnlyList<string> ConfigSearchPath(ConfigurationLevel level)
    {
        EnsureInitialized();
        var buffer = default(GitBuffer);
        try
        {
            Check(OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64
                ? git_libgit2_opts_apple_arm64(OptionGetSearchPath, 0, 0, 0, 0, 0, 0, 0, (int)level, &buffer)
                : git_libgit2_opts(OptionGetSearchPath, (int)level, &buffer));
            var joined = buffer.Pointer is null ? "" : Marshal.PtrToStringUTF8((IntPtr)buffer.Pointer, checked((int)buffer.Size));
            // libgit2 joins the folders with the platform's list separator (GIT_PATH_LIST_SEPARATOR).
            return joined.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            git_buf_dispose(&buffer);
        }
    }

    private static int Check(int result) =>
        result < 0 ? throw new LibGit2SharpException($"libgit2 answered {result}") : result;

    private static string? Utf8(byte* text) => text is null ? null : Marshal.PtrToStringUTF8((IntPtr)text);

    /// <summary>
    /// A repository libgit2 opened itself, for its configuration (every file git reads: the repository's, the user's
    /// global and XDG files, the system's, with includes and conditions) and patches between blobs.
    /// </summary>
    internal sealed class NativeRepository : IDisposable
    {
        private IntPtr repository;
        private IntPtr config;

        private NativeRepository(IntPtr repository) => this.repository = repository;

        /// <summary>Opens the repository whose git directory is <paramref name="gitDir"/>.</summary>
        public static NativeRepository Open(string gitDir)
        {
            EnsureInitialized();
            IntPtr handle;
            Check(git_repository_open(&handle, gitDir));
            return new NativeRepository(handle);
        }

        private IntPtr Config
        {
            get
            {
                if (config == IntPtr.Zero)
                {
                    IntPtr snapshot;
                    Check(git_repository_config_snapshot(&snapshot, repository));
                    config = snapshot;
                }
                return config;
            }
        }

        /// <summary>Drops the index libgit2 loaded (if any): whatever reads it next (attributes kept in the index) loads it from disk.</summary>
        public void ForgetIndex() => Check(git_repository_set_index(repository, IntPtr.Zero));

        /// <summary>config --get KEY (the last value of a multi-valued key); null when it is not set.</summary>
        public string? GetString(string key) => GetString(Config, key);

        /// <summary>A boolean setting as git reads it (true/yes/on/1, false/no/off/0, empty); null when it is not set.</summary>
        public bool? GetBool(string key) => GetBool(Config, key);

        /// <summary>The names of every configured value (lower-case section and key, as libgit2 keeps them).</summary>
        public IReadOnlyList<string> Names()
        {
            IntPtr iterator;
            Check(git_config_iterator_new(&iterator, Config));
            try
            {
                var names = new List<string>();
                ConfigEntry* entry;
                int result;
                while ((result = git_config_next(&entry, iterator)) == 0)
                {
                    names.Add(Utf8(entry->Name) ?? "");
                }
                if (result != IterationOver)
                {
                    Check(result);
                }
                return names;
            }
            finally
            {
                git_config_iterator_free(iterator);
            }
        }

        /// <summary>Reads one configuration file alone (a worktree's config.worktree) for a boolean.</summary>
        public static bool? GetBoolFromFile(string path, string key)
        {
            EnsureInitialized();
            IntPtr file;
            Check(git_config_open_ondisk(&file, path));
            try
            {
                return GetBool(file, key);
            }
            finally
            {
                git_config_free(file);
            }
        }

        private static string? GetString(IntPtr config, string key)
        {
            ConfigEntry* entry;
            var result = git_config_get_entry(&entry, config, key);
            if (result == NotFound)
            {
                return null;
            }
            Check(result);
            try
            {
                return Utf8(entry->Value);
            }
            finally
            {
                git_config_entry_free(entry);
            }
        }

        private static bool? GetBool(IntPtr config, string key)
        {
            int value;
            var result = git_config_get_bool(&value, config, key);
            return result == NotFound ? null : Check(result) == 0 ? value != 0 : null;
        }

        /// <summary>
        /// The lines a patch from <paramref name="oldBlob"/> (null: the file is new) to <paramref name="newBlob"/>
        /// adds, numbered in the new blob, text without its newline, with the options LibGit2Sharp's Compare passes
        /// (type changes as such, no context, Myers); <paramref name="binary"/> when libgit2 takes it for binary
        /// (its attributes say so, or its content), and then no lines.
        /// </summary>
        public IReadOnlyList<(int Line, string Text)> AddedLines(ObjectId? oldBlob, string path, ObjectId newBlob, out bool binary)
        {
            IntPtr old = IntPtr.Zero, added = IntPtr.Zero, patch = IntPtr.Zero;
            try
            {
                if (oldBlob is not null)
                {
                    old = LookupBlob(oldBlob);
                }
                added = LookupBlob(newBlob);
                DiffOptions options;
                Check(git_diff_options_init(&options, 1));
                options.Flags |= DiffIncludeTypeChange;
                options.ContextLines = 0;
                options.InterhunkLines = 0;
                Check(git_patch_from_blobs(&patch, old, path, added, path, &options));
                var delta = git_patch_get_delta(patch);
                // git_diff_delta: the status, then the flags.
                binary = (delta[1] & DeltaFlagBinary) != 0;
                var lines = new List<(int, string)>();
                if (binary)
                {
                    return lines;
                }
                var hunks = git_patch_num_hunks(patch);
                for (nuint hunk = 0; hunk < hunks; hunk++)
                {
                    var count = Check(git_patch_num_lines_in_hunk(patch, hunk));
                    for (nuint index = 0; index < (nuint)count; index++)
                    {
                        DiffLine* line;
                        Check(git_patch_get_line_in_hunk(&line, patch, hunk, index));
                        if (line->Origin == LineAddition)
                        {
                            var text = Encoding.UTF8.GetString(line->Content, checked((int)line->ContentLength));
                            lines.Add((line->NewLineNumber, text.EndsWith('\n') ? text[..^1] : text));
                        }
                    }
                }
                return lines;
            }
            finally
            {
                if (patch != IntPtr.Zero)
                {
                    git_patch_free(patch);
                }
                if (added != IntPtr.Zero)
                {
                    git_blob_free(added);
                }
                if (old != IntPtr.Zero)
                {
                    git_blob_free(old);
                }
            }
        }

        private IntPtr LookupBlob(ObjectId id)
        {
            var raw = id.RawId;
            IntPtr blob;
            fixed (byte* bytes = raw)
            {
                Check(git_blob_lookup(&blob, repository, bytes));
            }
            return blob;
        }

        public void Dispose()
        {
            if (config != IntPtr.Zero)
            {
                git_config_free(config);
                config = IntPtr.Zero;
            }
            if (repository != IntPtr.Zero)
            {
                git_repository_free(repository);
                repository = IntPtr.Zero;
            }
        }
    }
}
