using System.Security.Cryptography;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;

namespace Capture.Server.Live;

/// <summary>
/// Characters already loaded, by the SHA-256 of their picture and rig bytes: a streamer re-opening a session
/// with the same picture skips the face tracking of the picture (~0.5 s). Rigs are read-only once built, so
/// sessions share them. Keeps the <see cref="Capacity"/> most recently used.
/// </summary>
public sealed class CharacterCache
{
    /// <summary>Eight characters: a rig holds its working picture (≤ 2048² RGBA floats are not kept; bytes, a few MB).</summary>
    public const int Capacity = 8;

    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, Task<CharacterRig> Rig)> _entries = new();

    /// <summary>The character in <paramref name="picturePath"/> (+ <paramref name="rigPath"/>), loaded once per content.</summary>
    public async Task<CharacterRig> GetAsync(string picturePath, string? rigPath, Action<string>? log, CancellationToken ct)
    {
        string key = await KeyAsync(picturePath, rigPath, ct).ConfigureAwait(false);
        Task<CharacterRig> load;
        lock (_lock)
        {
            LinkedListNode<(string Key, Task<CharacterRig> Rig)>? node = _entries.First;
            while (node is not null && node.Value.Key != key)
            {
                node = node.Next;
            }

            if (node is not null)
            {
                _entries.Remove(node);
                _entries.AddFirst(node);
                load = node.Value.Rig;
            }
            else
            {
                // Not the request's token: a cancelled request must not poison the entry for the next one.
                load = CharacterLoader.LoadAsync(picturePath, rigPath, log, CancellationToken.None);
                _entries.AddFirst((key, load));
                while (_entries.Count > Capacity)
                {
                    _entries.RemoveLast();
                }
            }
        }

        try
        {
            return await load.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // A picture that failed (no face, unreadable) is not kept: the error is reported, and a retry tries again.
            lock (_lock)
            {
                LinkedListNode<(string Key, Task<CharacterRig> Rig)>? node = _entries.First;
                while (node is not null && !ReferenceEquals(node.Value.Rig, load))
                {
                    node = node.Next;
                }

                if (node is not null)
                {
                    _entries.Remove(node);
                }
            }

            throw;
        }
    }

    private static async Task<string> KeyAsync(string picturePath, string? rigPath, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(await File.ReadAllBytesAsync(picturePath, ct).ConfigureAwait(false));
        hash.AppendData([0]);
        if (rigPath is not null)
        {
            hash.AppendData(await File.ReadAllBytesAsync(rigPath, ct).ConfigureAwait(false));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
