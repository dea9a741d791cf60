using System.IO.Compression;
using Capture.Retargeting.Rigs;

namespace Capture.Pipeline.Characters;

/// <summary>
/// The three files of an Animated Drawings character — <c>texture.png</c> (the drawing), <c>mask.png</c> (white = figure)
/// and <c>char_cfg.yaml</c> (its 16 joints) — read from a folder or from a zip of one (the folder zipped whole, or its
/// three files at the zip's top). Sizes are checked before anything is read: a zip's declared sizes, then the bytes
/// actually inflated.
/// </summary>
public sealed record AnimatedDrawingsFiles(string Name, string Source, byte[] Texture, byte[] Mask, string Config)
{
    public const string TextureName = "texture.png";
    public const string MaskName = "mask.png";

    /// <summary>A picture or mask larger than this is refused (the character picture limit).</summary>
    public const long MaxFileBytes = 100L * 1024 * 1024;

    /// <summary>A zip with more entries than this is not a character folder.</summary>
    public const int MaxZipEntries = 1000;

    private static readonly string[] s_names = [TextureName, MaskName, AnimatedDrawingsConfig.FileName];

    /// <summary>
    /// True when <paramref name="path"/> is a folder or a zip: an Animated Drawings character rather than a picture. A zip is
    /// told by its content (<see cref="IsZip(Stream)"/>), never by its name: a zip saved as <c>character.bin</c> is a drawing
    /// and a PNG named <c>x.zip</c> is a picture, on the command line, in jobs and in live sessions alike.
    /// </summary>
    public static bool IsCharacterFolder(string path) => Directory.Exists(path) || IsZip(path);

    /// <summary>True when the file at <paramref name="path"/> starts with the zip signature; false for a missing file (the picture loader names it).</summary>
    public static bool IsZip(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using FileStream file = File.OpenRead(path);
        return IsZip(file);
    }

    /// <summary>
    /// True when <paramref name="stream"/>, read from its current position, starts with a zip's local file header
    /// signature (<c>PK\x03\x04</c>, the first four bytes of any zip that holds a file). Reads at most four bytes; the
    /// caller owns the stream and its position afterwards.
    /// </summary>
    public static bool IsZip(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> head = stackalloc byte[4];
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\u0003\u0004"u8);
    }

    /// <summary>Reads the three files; a missing file, a bad zip or a file over the limits is an <see cref="InvalidDataException"/> naming it.</summary>
    public static async Task<AnimatedDrawingsFiles> ReadAsync(string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
            byte[][] files = new byte[3][];
            for (int i = 0; i < 3; i++)
            {
                string file = Path.Combine(path, s_names[i]);
                var info = new FileInfo(file);
                if (!info.Exists)
                {
                    throw new InvalidDataException(
                        $"{path}: no {s_names[i]}; an Animated Drawings character folder holds texture.png (the drawing), mask.png (white = figure) and char_cfg.yaml (its joints)");
                }

                CheckSize(file, info.Length);
                files[i] = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
            }

            return new AnimatedDrawingsFiles(name, path, files[0], files[1], DecodeText(files[2], Path.Combine(path, AnimatedDrawingsConfig.FileName)));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file or folder", path);
        }

        try
        {
            using ZipArchive zip = ZipFile.OpenRead(path);
            if (zip.Entries.Count > MaxZipEntries)
            {
                throw new InvalidDataException($"{path}: {zip.Entries.Count} entries; an Animated Drawings character zip holds its three files");
            }

            // The folder inside the zip that holds char_cfg.yaml (the zip's top or one folder); the other two must sit beside it.
            ZipArchiveEntry[] configs = [.. zip.Entries.Where(e => e.Name == AnimatedDrawingsConfig.FileName)];
            if (configs.Length != 1)
            {
                throw new InvalidDataException(configs.Length == 0
                    ? $"{path}: no char_cfg.yaml in the zip; zip an Animated Drawings character folder (texture.png, mask.png, char_cfg.yaml)"
                    : $"{path}: {configs.Length} char_cfg.yaml files in the zip ({string.Join(", ", configs.Select(c => c.FullName))}); zip one character");
            }

            string folder = configs[0].FullName[..^configs[0].Name.Length];
            byte[][] files = new byte[3][];
            for (int i = 0; i < 3; i++)
            {
                ZipArchiveEntry entry = zip.GetEntry(folder + s_names[i])
                    ?? throw new InvalidDataException($"{path}: no {folder}{s_names[i]} in the zip beside {configs[0].FullName}");
                string label = $"{path}:{entry.FullName}";
                CheckSize(label, entry.Length);
                files[i] = await ReadEntryAsync(entry, label, ct).ConfigureAwait(false);
            }

            string name = folder.Length > 0 ? folder.TrimEnd('/').Split('/')[^1] : Path.GetFileNameWithoutExtension(path);
            return new AnimatedDrawingsFiles(name, path, files[0], files[1], DecodeText(files[2], $"{path}:{folder}{AnimatedDrawingsConfig.FileName}"));
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // System.IO.Compression's own (a damaged archive, an unsupported method).
            throw new InvalidDataException($"{path}: not a readable zip ({ex.Message})", ex);
        }
    }

    private static void CheckSize(string name, long bytes)
    {
        if (bytes > MaxFileBytes)
        {
            throw new InvalidDataException($"{name}: {bytes} bytes, over the {MaxFileBytes}-byte limit for a character file");
        }
    }

    // The declared size may lie: read at most one byte past the limit and refuse what inflates further.
    private static async Task<byte[]> ReadEntryAsync(ZipArchiveEntry entry, string label, CancellationToken ct)
    {
        await using Stream stream = entry.Open();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            CheckSize(label, buffer.Length);
        }

        return buffer.ToArray();
    }

    private static string DecodeText(byte[] bytes, string name)
    {
        if (bytes.Length > AnimatedDrawingsConfig.MaxBytes)
        {
            throw new InvalidDataException($"{name}: {bytes.Length} bytes is too large for a character configuration");
        }

        try
        {
            return new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new InvalidDataException($"{name}: not UTF-8 text");
        }
    }
}
