using System.Buffers.Binary;

namespace Capture.Media.Internal;

/// <summary>
/// What the first bytes of a PNG or JPEG say before any pixel is decoded: the size (so an oversized
/// picture is refused before OpenCV allocates it), the EXIF orientation (OpenCV's IMREAD_UNCHANGED,
/// which keeps alpha and 16 bits, ignores it) and whether a JPEG ends (libjpeg decodes a cut-off JPEG
/// with grey rows and only a warning), and the embedded ICC colour profile (decoders ignore it; browsers apply it:
/// <see cref="IccColour"/>).
/// </summary>
internal readonly record struct ImageHeader(ImageKind Kind, int Width, int Height, int Orientation, bool JpegComplete)
{
    /// <summary>A profile larger than this is ignored: real ones are a few hundred bytes to a few KB (a PNG's is zlib-compressed: this also bounds its inflation).</summary>
    private const int MaxIccBytes = 1 << 20;

    /// <summary>The embedded ICC colour profile (a JPEG's APP2 ICC_PROFILE chunks joined, a PNG's iCCP inflated), or null.</summary>
    public byte[]? IccProfile { get; init; }

    public static ImageHeader Read(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 24 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])
            && b.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return new ImageHeader(ImageKind.Png, ClampInt(BinaryPrimitives.ReadUInt32BigEndian(b[16..])), ClampInt(BinaryPrimitives.ReadUInt32BigEndian(b[20..])), 1, true)
            {
                IccProfile = PngIcc(b),
            };
        }

        return b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8 ? ReadJpeg(b) : new ImageHeader(ImageKind.Other, 0, 0, 1, true);
    }

    private static int ClampInt(uint v) => v > int.MaxValue ? int.MaxValue : (int)v;

    // The iCCP chunk before the image data: a name, a NUL, the compression method (0), then zlib data.
    private static byte[]? PngIcc(ReadOnlySpan<byte> b)
    {
        int i = 8;
        while (i + 12 <= b.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(b[i..]);
            ReadOnlySpan<byte> type = b.Slice(i + 4, 4);
            if (length > int.MaxValue - 12 || i + 12 + (long)length > b.Length || type.SequenceEqual("IDAT"u8))
            {
                return null;
            }

            if (type.SequenceEqual("iCCP"u8))
            {
                ReadOnlySpan<byte> data = b.Slice(i + 8, (int)length);
                int nul = data.IndexOf((byte)0);
                if (nul < 0 || nul + 2 > data.Length || data[nul + 1] != 0)
                {
                    return null;
                }

                try
                {
                    using var zlib = new System.IO.Compression.ZLibStream(new MemoryStream(data[(nul + 2)..].ToArray()), System.IO.Compression.CompressionMode.Decompress);
                    var profile = new MemoryStream();
                    byte[] buffer = new byte[8192];
                    int n;
                    while ((n = zlib.Read(buffer)) > 0)
                    {
                        if (profile.Length + n > MaxIccBytes)
                        {
                            return null;
                        }

                        profile.Write(buffer, 0, n);
                    }

                    return profile.ToArray();
                }
                catch (InvalidDataException)
                {
                    return null; // a damaged profile: the picture is decoded as it is
                }
            }

            i += 12 + (int)length;
        }

        return null;
    }

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> b)
    {
        int width = 0, height = 0, orientation = 1;
        SortedDictionary<int, byte[]>? icc = null;
        int i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF)
            {
                break; // not a marker where one must be: let the decoder report it
            }

            byte marker = b[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2;
                continue;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            if (length < 2 || i + 2 + length > b.Length)
            {
                return new ImageHeader(ImageKind.Jpeg, width, height, orientation, false);
            }

            ReadOnlySpan<byte> payload = b.Slice(i + 4, length - 2);
            if (marker == 0xDA)
            {
                // Start of scan: entropy-coded data follows, where 0xFF is always stuffed (FF 00) or a
                // restart marker, so FF D9 after it can only be the end of the image.
                bool complete = b[(i + 2 + length)..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
                return new ImageHeader(ImageKind.Jpeg, width, height, orientation, complete) { IccProfile = Joined(icc) };
            }

            if (marker == 0xE1 && payload.Length > 14 && payload[..6].SequenceEqual("Exif\0\0"u8))
            {
                orientation = ExifOrientation(payload[6..]);
            }
            else if (marker == 0xE2 && payload.Length > 14 && payload[..12].SequenceEqual("ICC_PROFILE\0"u8))
            {
                // A profile too big for one segment comes in numbered chunks (ICC.1 annex B.4).
                icc ??= [];
                icc[payload[12]] = payload[14..].ToArray();
            }
            else if (marker is (>= 0xC0 and <= 0xCF) and not (0xC4 or 0xC8 or 0xCC) && payload.Length >= 5)
            {
                height = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(payload[3..]);
            }

            i += 2 + length;
        }

        return new ImageHeader(ImageKind.Jpeg, width, height, orientation, false);
    }

    private static byte[]? Joined(SortedDictionary<int, byte[]>? chunks)
    {
        if (chunks is null || chunks.Values.Sum(c => (long)c.Length) > MaxIccBytes)
        {
            return null;
        }

        return [.. chunks.Values.SelectMany(c => c)];
    }

    /// <summary>Tag 0x0112 of IFD0 in a TIFF block (either byte order); 1 when absent or out of range.</summary>
    internal static int ExifOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return 1;
        }

        bool little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        if (!little && !(tiff[0] == (byte)'M' && tiff[1] == (byte)'M'))
        {
            return 1;
        }

        uint ifd = U32(tiff[4..], little);
        if (ifd > (uint)tiff.Length - 2)
        {
            return 1;
        }

        int count = U16(tiff[(int)ifd..], little);
        for (int e = 0; e < count; e++)
        {
            int at = (int)ifd + 2 + (e * 12);
            if (at + 12 > tiff.Length)
            {
                break;
            }

            if (U16(tiff[at..], little) == 0x0112 && U16(tiff[(at + 2)..], little) == 3)
            {
                int value = U16(tiff[(at + 8)..], little);
                return value is >= 1 and <= 8 ? value : 1;
            }
        }

        return 1;
    }

    private static ushort U16(ReadOnlySpan<byte> b, bool little) => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b);

    private static uint U32(ReadOnlySpan<byte> b, bool little) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
}

internal enum ImageKind
{
    Other,
    Png,
    Jpeg,
}
