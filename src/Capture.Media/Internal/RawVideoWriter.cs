using System.Runtime.CompilerServices;
using Capture.Core.Frames;

namespace Capture.Media.Internal;

/// <summary>
/// The shared half of every sink: an ffmpeg child reading raw frames of one fixed size from its
/// stdin; ffmpeg's encoder is the back-pressure. A write to an ffmpeg that died reports ffmpeg's
/// own error, naming the output.
/// </summary>
internal sealed class RawVideoWriter : IAsyncDisposable
{
    private readonly FfmpegProcess _process;
    private readonly Stream _stdin;
    private readonly string _outputName;
    private readonly string _outputUrl;
    private bool _completed;
    private bool _disposed;

    public RawVideoWriter(IReadOnlyList<string> arguments, int frameBytes, string outputName, string outputUrl)
    {
        FrameBytes = frameBytes;
        _outputName = outputName;
        _outputUrl = outputUrl;
        _process = FfmpegProcess.Start("ffmpeg", arguments, readStdout: false, writeStdin: true);
        _stdin = _process.StandardInput;
    }

    public int FrameBytes { get; }

    public long FramesWritten { get; private set; }

    internal int ProcessId => _process.Id;

    /// <summary>Writes one frame synchronously (a <see cref="VideoFrame"/>'s pixels are only a span).</summary>
    public void Write(ReadOnlySpan<byte> frame)
    {
        CheckWritable(frame.Length);
        try
        {
            _stdin.Write(frame);
        }
        catch (IOException ex)
        {
            throw Failed("ffmpeg stopped reading frames", ex);
        }

        FramesWritten++;
    }

    /// <summary>
    /// Writes one frame without holding a thread while ffmpeg's pipe is full (pipe writes are
    /// epoll-driven on Linux). Cancelling mid-frame would leave ffmpeg out of step, so a cancelled
    /// write kills ffmpeg and the sink cannot be used again.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        CheckWritable(frame.Length);
        try
        {
            await _stdin.WriteAsync(frame, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _completed = true;
            _process.Kill();
            throw;
        }
        catch (IOException ex)
        {
            throw Failed("ffmpeg stopped reading frames", ex);
        }

        FramesWritten++;
    }

    private void CheckWritable(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException($"{_outputName}: the sink is already complete.");
        }

        if (length != FrameBytes)
        {
            throw new ArgumentException($"A frame for {_outputName} must be {FrameBytes} bytes, not {length}.", "frame");
        }
    }

    /// <summary>Closes stdin (end of stream) and waits for ffmpeg to finish the file; throws its error if it failed.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            return;
        }

        _completed = true;
        try
        {
            await _stdin.FlushAsync(ct).ConfigureAwait(false);
            _stdin.Close();
        }
        catch (IOException ex)
        {
            throw Failed("ffmpeg stopped reading frames", ex);
        }

        int code;
        try
        {
            code = await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw;
        }

        if (code != 0)
        {
            throw Failed($"ffmpeg exit {code}", inner: null);
        }
    }

    private IOException Failed(string what, Exception? inner)
    {
        if (inner is not null)
        {
            // Let ffmpeg finish printing why it stopped before quoting it.
            _process.WaitForExitAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(5));
        }

        return new IOException($"{_outputName}: writing failed ({what}: {_process.ErrorSummary(_outputUrl, _outputName)})", inner);
    }

    /// <summary>Kills ffmpeg if <see cref="CompleteAsync"/> did not finish: the output is then incomplete.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _process.DisposeAsync().ConfigureAwait(false);
    }
}
