using System.Buffers;
using System.Diagnostics;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Protocol.Transport;
using MessagePack;

namespace Capture.Protocol.Recording;

/// <summary>What a recording's first value says about it.</summary>
public sealed record RecordingHeader(int Major, int Minor, string Source, DateTime CreatedUtc)
{
    /// <summary>The value of the "format" key, so a stray file is recognised as not ours.</summary>
    public const string FormatName = "capture-mpk";
}

/// <summary>
/// Writes a <c>.mpk</c> recording: a plain concatenation of MessagePack values, the header map first,
/// then each packet exactly as it went over the wire. Any MessagePack stream reader can read it.
/// Does not own the stream unless <c>ownsStream</c> is true.
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly PooledBufferWriter _buffer = new(256);

    public RecordingWriter(Stream stream, string source, bool ownsStream = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _ownsStream = ownsStream;
        var w = new MessagePackWriter(_buffer);
        w.WriteMapHeader(4);
        w.Write("format");
        w.Write(RecordingHeader.FormatName);
        w.Write("version");
        w.WriteArrayHeader(2);
        w.Write(ProtocolVersion.Major);
        w.Write(ProtocolVersion.Minor);
        w.Write("source");
        w.Write(source);
        w.Write("created");
        w.Write(DateTime.UtcNow);
        w.Flush();
        _stream.Write(_buffer.WrittenSpan);
    }

    public long PacketCount { get; private set; }

    /// <summary>Appends one packet (a complete MessagePack value, as <see cref="ProtocolWriter"/> writes it).</summary>
    public void Write(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
        {
            throw new ArgumentException("A packet is one whole MessagePack value; this one is empty", nameof(packet));
        }

        _stream.Write(packet);
        PacketCount++;
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _stream.Flush();
        _buffer.Dispose();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }
}

/// <summary>
/// Streams packets out of a <c>.mpk</c> recording without loading it whole. A value cut short at the end
/// of the file (a recording interrupted mid-write) throws <see cref="InvalidDataException"/> naming its
/// offset, after every complete packet before it has been returned.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    private readonly Stream _stream;
    private readonly string _name;
    private readonly bool _ownsStream;
    private readonly MessagePackLimits _limits;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;

    public RecordingReader(Stream stream, string name, bool ownsStream = false, MessagePackLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _name = name;
        _ownsStream = ownsStream;
        _limits = limits ?? MessagePackLimits.Trusted;
        Header = ReadHeader();
    }

    public static RecordingReader Open(string path) =>
        new(File.OpenRead(path), path, ownsStream: true);

    public RecordingHeader Header { get; }

    /// <summary>Packets returned so far.</summary>
    public long PacketCount { get; private set; }

    /// <summary>File offset of the next value.</summary>
    public long Offset => _bufferOffset + _start;

    /// <summary>
    /// The next packet, valid until the next call; false at a clean end of file.
    /// </summary>
    public bool TryReadNext(out ReadOnlyMemory<byte> packet)
    {
        if (!TryNextValue(out packet))
        {
            return false;
        }

        PacketCount++;
        return true;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    private RecordingHeader ReadHeader()
    {
        if (!TryNextValue(out ReadOnlyMemory<byte> value))
        {
            throw new InvalidDataException($"{_name}: empty file; a recording starts with a header value");
        }

        var r = new MessagePackReader(value);
        try
        {
            if (r.NextMessagePackType != MessagePackType.Map)
            {
                throw new InvalidDataException($"{_name}: not a Capture recording (its first value is of MessagePack type {r.NextMessagePackType}, where a recording starts with its header map)");
            }

            int n = r.ReadMapHeader();
            string? format = null;
            string source = "";
            int major = -1;
            int minor = 0;
            DateTime created = default;
            for (int i = 0; i < n; i++)
            {
                string? key = UntrustedReads.ReadString(ref r, _limits);
                switch (key)
                {
                    case "format": format = UntrustedReads.ReadString(ref r, _limits); break;
                    case "source": source = UntrustedReads.ReadString(ref r, _limits) ?? ""; break;
                    case "created": created = r.ReadDateTime(); break;
                    case "version":
                        int parts = UntrustedReads.ReadArrayHeader(ref r, _limits);
                        major = parts > 0 ? r.ReadInt32() : -1;
                        minor = parts > 1 ? r.ReadInt32() : 0;
                        for (int p = 2; p < parts; p++)
                        {
                            UntrustedReads.Skip(ref r, _limits);
                        }

                        break;
                    default: UntrustedReads.Skip(ref r, _limits); break;
                }
            }

            if (format != RecordingHeader.FormatName)
            {
                throw new InvalidDataException($"{_name}: not a Capture recording (header format is '{format}', expected '{RecordingHeader.FormatName}')");
            }

            if (major != ProtocolVersion.Major)
            {
                throw new InvalidDataException($"{_name}: recorded with protocol {major}.{minor}; this build reads {ProtocolVersion.Major}.x");
            }

            return new RecordingHeader(major, minor, source, created);
        }
        catch (Exception ex) when ((ex as MessagePackFormatException ?? UntrustedReads.Translate(ex, r.Consumed)) is { } bad)
        {
            throw new InvalidDataException($"{_name}: bad header value: {bad.Message}", ex);
        }
    }

    private bool TryNextValue(out ReadOnlyMemory<byte> value)
    {
        while (true)
        {
            int available = _end - _start;
            if (available < _buffer.Length / 2 && !_eof)
            {
                // Top the buffer up while it is half empty: a value running past the buffered bytes is found by
                // the reader throwing, and an exception every few packets is garbage (and time) per frame.
                Fill();
                available = _end - _start;
            }

            if (available == 0)
            {
                value = default;
                return false;
            }

            int window = Math.Min(available, _limits.MaxMessageSize);
            var r = new MessagePackReader(_buffer.AsMemory(_start, window));
            MessagePackFormatException? bad;
            try
            {
                UntrustedReads.Skip(ref r, _limits);
                int length = (int)r.Consumed;
                value = _buffer.AsMemory(_start, length);
                _start += length;
                return true;
            }
            catch (Exception ex) when ((ex as MessagePackFormatException ?? UntrustedReads.Translate(ex, r.Consumed)) is { } b)
            {
                bad = b;
            }

            if (bad.IsTruncated && window < _limits.MaxMessageSize && Fill())
            {
                // Needed more bytes than were buffered; Fill() read more, try the value again.
                continue;
            }

            if (bad.IsTruncated)
            {
                throw new InvalidDataException(
                    $"{_name}: the recording ends inside a value that starts at byte offset {Offset} (only {_end - _start} bytes of it are there); " +
                    $"the {PacketCount} packets before it were read", bad);
            }

            throw new InvalidDataException($"{_name}: bad value at byte offset {Offset}: {bad.Message}", bad);
        }
    }

    /// <summary>Reads more bytes after the buffered ones, compacting or growing the buffer. False at end of file.</summary>
    private bool Fill()
    {
        if (_eof)
        {
            return false;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0)
        {
            _eof = true;
            return false;
        }

        _end += n;
        return true;
    }
}

/// <summary>What <see cref="RecordingReplayer.ReplayAsync"/> did.</summary>
public readonly record struct ReplayResult(long Packets, long Bytes, long Skipped, TimeSpan Elapsed);

/// <summary>Sends a recording's packets over a transport, at the original timing or as fast as it goes.</summary>
public static class RecordingReplayer
{
    /// <summary>
    /// Replays every packet. Timing comes from the packets themselves (a frame's capture timestamp, an audio
    /// chunk's timestamp); other messages go out at once. Packets too large for the transport are skipped and
    /// counted; undecodable ones are still sent (the receiver decides), but carry no timing.
    /// </summary>
    public static async Task<ReplayResult> ReplayAsync(
        RecordingReader recording, IPacketTransport transport, bool fast, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(transport);
        var reader = new ProtocolReader(MessagePackLimits.Trusted);
        var clock = Stopwatch.StartNew();
        long? firstUs = null;
        long packets = 0;
        long bytes = 0;
        long skipped = 0;
        while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (packet.Length > transport.MaxPacketSize)
            {
                skipped++;
                continue;
            }

            long? atUs = null;
            try
            {
                atUs = reader.Read(packet.Span) switch
                {
                    MessageKind.TrackingFrame => reader.Frame.CaptureTimestampUs,
                    MessageKind.AudioChunk => reader.Audio.TimestampUs,
                    _ => null,
                };
            }
            catch (Exception ex) when (ex is MessagePackFormatException or ProtocolVersionException)
            {
                atUs = null;
            }

            if (!fast && atUs is long us)
            {
                firstUs ??= us;
                TimeSpan due = TimeSpan.FromMicroseconds(Math.Max(0, us - firstUs.Value));
                TimeSpan wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }

            // The send is awaited before the next read, which is when the recording reuses its buffer.
            await transport.SendAsync(packet, cancellationToken);
            packets++;
            bytes += packet.Length;
            progress?.Report(recording.Offset);
        }

        return new ReplayResult(packets, bytes, skipped, clock.Elapsed);
    }
}
