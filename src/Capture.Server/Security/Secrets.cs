using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Capture.Server.Security;

/// <summary>Random tokens and constant-time comparison for API keys and per-session tokens.</summary>
public static class Secrets
{
    /// <summary>Token strength: 128 bits from the OS random source (the design's minimum).</summary>
    public const int TokenBytes = 16;

    /// <summary>A new random token, base64url without padding (22 characters for 128 bits).</summary>
    public static string NewToken(int bytes = TokenBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, TokenBytes);
        Span<byte> raw = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(raw);
        return Base64Url.EncodeToString(raw);
    }

    /// <summary>A short random identifier (not a secret: sessions are guarded by their tokens), base64url.</summary>
    public static string NewId(int bytes = 12)
    {
        Span<byte> raw = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(raw);
        return Base64Url.EncodeToString(raw);
    }

    /// <summary>
    /// True when <paramref name="presented"/> equals <paramref name="expected"/>. Both are hashed
    /// first, so the comparison time depends on neither the length nor the first differing character.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        Span<byte> a = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> b = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(presented, a);
        Hash(expected, b);
        return CryptographicOperations.FixedTimeEquals(a, b) && presented.Length > 0;
    }

    private static void Hash(ReadOnlySpan<char> text, Span<byte> destination)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = max > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[512];
        int n = Encoding.UTF8.GetBytes(text, utf8);
        SHA256.HashData(utf8[..n], destination);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
