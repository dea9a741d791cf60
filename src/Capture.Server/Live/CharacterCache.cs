using System.Security.Cryptography;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;

namespace Capture.Server.Live;

/// <summary>
/// Characters already loaded, by the SHA-256 of their picture and rig bytes and the working size: a streamer
/// re-opening a session with the same picture skips the face tracking of the picture (~0.5 s). Rigs are read-only
/// once built, so sessions share them. Keeps the most recently used up to <see cref="ServerOptions.CharacterCacheBytes"/>
/// of pictures (a rig's size is its working picture's); a load under way counts once it has finished.
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
    public async Task<CharacterRig> GetAsync(string picturePath, string? rigPath, int maxWorkingSide, Action<string>? log, CancellationToken ct)
    {
        string key = await KeyAsync(picturePath, rigPath, maxWorkingSide, ct).ConfigureAwait(false);
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
                // Not the request's token: a cancelled request must not poison the entry for the next one.
                entry = new Entry(key, CharacterLoader.LoadAsync(picturePath, rigPath, maxWorkingSide, log, CancellationToken.None));
                _entries.AddFirst(entry);
            }
        }

        CharacterRig rig;
        try
        {
            rig = await entry.Rig.WaitAsync(ct).ConfigureAwait(false);
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
            entry.Bytes = rig.Picture.Pixels.LongLength;
            Trim();
        }

        return rig;
    }

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

    private sealed class Entry(string key, Task<CharacterRig> rig)
    {
        public string Key { get; } = key;

        public Task<CharacterRig> Rig { get; } = rig;

        /// <summary>The working picture's bytes once loaded; 0 while loading.</summary>
        public long Bytes { get; set; }
    }
}
