using System.Security.Cryptography;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;

namespace Capture.Server.Live;

/// <summary>
/// Characters already loaded, by the SHA-256 of their picture and rig bytes and the working size: a streamer
/// re-opening a session with the same picture skips the face tracking and the figure cut-out of the picture (~0.5–2 s;
/// live characters are loaded with their figure cut out, as the picture's alpha, for transparent viewers). Rigs are read-only
/// once built, so sessions share them. Keeps the most recently used up to <see cref="ServerOptions.CharacterCacheBytes"/>
/// of pictures (a rig's size is its working picture's and its figure's, <see cref="CharacterRig.PixelBytes"/>); a load under way counts once it has finished.
/// </summary>
public sealed class CharacterCache(ServerOptions options)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Entry> _entries = new();
    private readonly long _budget = options?.CharacterCacheBytes ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Bytes of the finished characters kept now.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _entries.Sum(e => e.Bytes);
            }
        }
    }

    /// <summary>Characters kept now (finished or loading).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// The character in <paramref name="picturePath"/> (+ <paramref name="rigPath"/>) with its picture at most
    /// <paramref name="maxWorkingSide"/> px a side, loaded once per content and size.
    /// </summary>
    public Task<CharacterRig> GetAsync(string picturePath, string? rigPath, int maxWorkingSide, Action<string>? log, CancellationToken ct) =>
        GetAsync(
            picturePath, rigPath, maxWorkingSide, "face",
            () => CharacterLoader.LoadAsync(picturePath, rigPath, maxWorkingSide, cutOut: true, log, CancellationToken.None),
            rig => rig.PixelBytes,
            ct);

    /// <summary>
    /// The body character in <paramref name="path"/> (a picture, or an Animated Drawings zip) with its optional rig
    /// file (the face's points), loaded once per content (<see cref="CharacterLoader.LoadBodyAsync"/>).
    /// </summary>
    public Task<BodyCharacter> GetBodyAsync(string path, string? rigPath, Action<string>? log, CancellationToken ct) =>
        GetAsync(
            path, rigPath, 0, "body",
            () => CharacterLoader.LoadBodyAsync(path, new BodyLoadOptions { RigPath = rigPath }, log, CancellationToken.None),
            body => PixelBytes(body),
            ct);

    // Picture, figure picture and background at 4 bytes a pixel, the mask at 1, and the face rig's own.
    private static long PixelBytes(BodyCharacter body) =>
        ((long)body.Picture.Width * body.Picture.Height * 9) + (body.Face?.PixelBytes ?? 0);

    private async Task<T> GetAsync<T>(string picturePath, string? rigPath, int maxWorkingSide, string kind, Func<Task<T>> load, Func<T, long> bytes, CancellationToken ct)
        where T : class
    {
        string key = kind + ":" + await KeyAsync(picturePath, rigPath, maxWorkingSide, ct).ConfigureAwait(false);
        Entry entry;
        lock (_lock)
        {
            LinkedListNode<Entry>? node = Find(e => e.Key == key);
            if (node is not null)
            {
                _entries.Remove(node);
                _entries.AddFirst(node);
                entry = node.Value;
            }
            else
            {
                // Loaded without the request's token: a cancelled request must not poison the entry for the next one.
                entry = new Entry(key, LoadAsObject(load));
                _entries.AddFirst(entry);
            }
        }

        T loaded;
        try
        {
            loaded = (T)await entry.Character.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // A picture that failed (no face, unreadable) is not kept: the error is reported, and a retry tries again.
            lock (_lock)
            {
                if (Find(e => ReferenceEquals(e, entry)) is { } failed)
                {
                    _entries.Remove(failed);
                }
            }

            throw;
        }

        lock (_lock)
        {
            entry.Bytes = bytes(loaded);
            Trim();
        }

        return loaded;
    }

    private static async Task<object> LoadAsObject<T>(Func<Task<T>> load)
        where T : class => await load().ConfigureAwait(false);

    // Drops the least recently used finished characters until the rest fit the budget (sessions using them keep them alive).
    private void Trim()
    {
        long total = _entries.Sum(e => e.Bytes);
        for (LinkedListNode<Entry>? node = _entries.Last; node is not null && total > _budget;)
        {
            LinkedListNode<Entry>? previous = node.Previous;
            if (node.Value.Bytes > 0)
            {
                total -= node.Value.Bytes;
                _entries.Remove(node);
            }

            node = previous;
        }
    }

    private LinkedListNode<Entry>? Find(Func<Entry, bool> match)
    {
        for (LinkedListNode<Entry>? node = _entries.First; node is not null; node = node.Next)
        {
            if (match(node.Value))
            {
                return node;
            }
        }

        return null;
    }

    private static async Task<string> KeyAsync(string picturePath, string? rigPath, int maxWorkingSide, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(await File.ReadAllBytesAsync(picturePath, ct).ConfigureAwait(false));
        hash.AppendData([0]);
        if (rigPath is not null)
        {
            hash.AppendData(await File.ReadAllBytesAsync(rigPath, ct).ConfigureAwait(false));
        }

        hash.AppendData(BitConverter.GetBytes(maxWorkingSide));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private sealed class Entry(string key, Task<object> character)
    {
        public string Key { get; } = key;

        /// <summary>The <see cref="CharacterRig"/> or <see cref="BodyCharacter"/> being (or already) loaded.</summary>
        public Task<object> Character { get; } = character;

        /// <summary>The working picture's bytes once loaded; 0 while loading.</summary>
        public long Bytes { get; set; }
    }
}
