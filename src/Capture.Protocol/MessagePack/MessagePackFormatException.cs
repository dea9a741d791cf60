namespace Capture.Protocol.MessagePack;

/// <summary>
/// Bad MessagePack input: truncated, nested too deep, longer than a <see cref="MessagePackLimits"/> allows,
/// or of a type the reader did not expect. The message names the byte offset and what was wrong; when
/// MessagePack-CSharp's reader found it, its exception is the inner exception.
/// </summary>
public class MessagePackFormatException : FormatException
{
    public MessagePackFormatException(string message, long offset, bool isTruncated = false)
        : base($"{message} (at byte offset {offset})")
    {
        Offset = offset;
        IsTruncated = isTruncated;
    }

    /// <summary>Bad input MessagePack-CSharp's reader found (<paramref name="innerException"/>), at <paramref name="offset"/>.</summary>
    public MessagePackFormatException(string message, long offset, bool isTruncated, Exception? innerException)
        : base($"{message} (at byte offset {offset})", innerException)
    {
        Offset = offset;
        IsTruncated = isTruncated;
    }

    public MessagePackFormatException()
    {
    }

    public MessagePackFormatException(string message)
        : base(message)
    {
    }

    public MessagePackFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Byte offset in the input where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>True when the input ended in the middle of a value (more bytes might complete it).</summary>
    public bool IsTruncated { get; }
}
