using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Capture.Core.Frames;
using Capture.Core.Timing;

namespace Capture.Media.Internal;

/// <summary>How a source stamps its frames.</summary>
internal enum FrameClock
{
    /// <summary>Presentation time of a constant-rate output: <c>Sequence / FrameRate</c>.</summary>
    Presentation,

    /// <summary>
    /// The moment the frame finished arriving, on <see cref="CaptureClock"/> (live devices). A live
    /// source never makes the camera wait: when the consumer is behind, the oldest queued frame is
    /// dropped (and counted) so the next one read is the newest.
    /// </summary>
    Arrival,
}

/// <summary>
/// Frames from an ffmpeg child writing raw RGB24 to its stdout. A dedicated reader thread rents a
/// frame from the pool, reads exactly one frame's bytes from the pipe straight into
/// <see cref="VideoFrame.Pixels"/> (a span, so a blocking read on a thread of our own rather than an
/// async read), stamps it and queues it; the consumer takes frames from that queue. ffmpeg can so
/// decode ahead by up to the pool's capacity, and nothing is allocated per frame.
/// </summary>
internal class FfmpegFrameSource : IFrameSource
{
    private readonly FfmpegProcess _process;
    private readonly FramePool _pool;
    private readonly Channel<VideoFrame> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private readonly FrameClock _clock;
    private readonly string _inputName;
    private readonly string? _inputUrl;
    private ExceptionDispatchInfo? _error;
    private long _delivered;
    private long _dropped;
    private int _disposed;

    protected FfmpegFrameSource(
        FfmpegProcess process, int width, int height, double frameRate, long? frameCount, int poolCapacity,
        FrameClock clock, string inputName, string? inputUrl, string description)
    {
        _process = process;
        Width = width;
        Height = height;
        FrameRate = frameRate;
        FrameCount = frameCount;
        _clock = clock;
        _inputName = inputName;
        _inputUrl = inputUrl;
        Description = description;
        _pool = new FramePool(width, height, poolCapacity);
        // Never fuller than the pool, since every queued item holds a pool frame: writes cannot fail.
        _queue = Channel.CreateBounded<VideoFrame>(new BoundedChannelOptions(poolCapacity)
        {
            // A live source's reader thread takes back stale frames, so it is a second reader.
            SingleReader = clock != FrameClock.Arrival,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "ffmpeg reader" };
        _reader.Start();
    }

    public int Width { get; }

    public int Height { get; }

    public double FrameRate { get; }

    public long? FrameCount { get; }

    public string Description { get; }

    /// <summary>Frames dropped because the consumer was behind (live sources only; otherwise 0).</summary>
    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>Starts reading: an <see cref="ILiveFrameSource"/> for <see cref="FrameClock.Arrival"/>, a plain source otherwise.</summary>
    public static FfmpegFrameSource Start(
        FfmpegProcess process, int width, int height, double frameRate, long? frameCount, int poolCapacity,
        FrameClock clock, string inputName, string? inputUrl, string description) =>
        clock == FrameClock.Arrival
            ? new LiveFfmpegFrameSource(process, width, height, frameRate, frameCount, poolCapacity, inputName, inputUrl, description)
            : new FfmpegFrameSource(process, width, height, frameRate, frameCount, poolCapacity, clock, inputName, inputUrl, description);

    /// <summary>The ffmpeg child's process id (tests check it is gone after dispose or cancel).</summary>
    internal int ProcessId => _process.Id;

    internal bool ProcessHasExited => _process.HasExited;

    internal FramePool Pool => _pool;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<VideoFrame?> ReadAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                if (_queue.Reader.TryRead(out VideoFrame? frame))
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // A cancelled read stops the source for good: kill ffmpeg now rather than at dispose.
            Stop();
            throw;
        }

        _error?.Throw();
        return null;
    }

    private void Stop()
    {
        _stop.Cancel();
        _process.Kill();
    }

    private void ReadLoop()
    {
        Stream stdout = _process.StandardOutput;
        long sequence = 0;
        double usPerFrame = FrameRate > 0 ? 1_000_000.0 / FrameRate : 0;
        int frameBytes = Width * Height * 3;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                VideoFrame frame = _clock == FrameClock.Arrival ? RentDroppingOldest() : Rent();
                int got;
                try
                {
                    got = stdout.ReadAtLeast(frame.Pixels, frameBytes, throwOnEndOfStream: false);
                }
                catch
                {
                    frame.Dispose();
                    throw;
                }

                if (got < frameBytes)
                {
                    frame.Dispose();
                    Finish(partialBytes: got);
                    return;
                }

                frame.Sequence = sequence;
                frame.TimestampUs = _clock == FrameClock.Arrival ? CaptureClock.NowUs : (long)Math.Round(sequence * usPerFrame);
                sequence++;
                if (!_queue.Writer.TryWrite(frame))
                {
                    frame.Dispose();
                    throw new InvalidOperationException("Frame queue refused a frame although it is sized to the pool.");
                }

                Interlocked.Increment(ref _delivered);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (_stop.IsCancellationRequested && ex is IOException or ObjectDisposedException)
        {
        }
        catch (IOException ex)
        {
            _error = ExceptionDispatchInfo.Capture(new MediaInputException(
                _inputName, $"reading frames from ffmpeg failed ({ex.Message}; ffmpeg: {_process.ErrorSummary(_inputUrl, _inputName)})", ex));
        }
        catch (Exception ex)
        {
            _error = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            _queue.Writer.TryComplete();
        }
    }

    /// <summary>A free frame if there is one, else the oldest frame still queued (dropped), else wait for the consumer.</summary>
    private VideoFrame RentDroppingOldest()
    {
        if (_pool.TryRent(out VideoFrame free))
        {
            return free;
        }

        if (_queue.Reader.TryRead(out VideoFrame? stale))
        {
            // Still rented, now by us again: overwritten in place, so nothing is allocated.
            Interlocked.Increment(ref _dropped);
            return stale;
        }

        return Rent();
    }

    private VideoFrame Rent()
    {
        ValueTask<VideoFrame> rent = _pool.RentAsync(_stop.Token);
        return rent.IsCompletedSuccessfully ? rent.Result : rent.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>End of the pipe: a clean end, or ffmpeg's error naming the input after the frames that decoded.</summary>
    private void Finish(int partialBytes)
    {
        int code = _process.WaitForExit();
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        long delivered = Interlocked.Read(ref _delivered);
        if (code != 0)
        {
            string what = delivered == 0 ? "could not be decoded" : $"decoding stopped after {delivered} frames";
            _error = ExceptionDispatchInfo.Capture(new MediaInputException(
                _inputName, $"{what} (ffmpeg exit {code}: {_process.ErrorSummary(_inputUrl, _inputName)})"));
        }
        else if (partialBytes > 0)
        {
            _error = ExceptionDispatchInfo.Capture(new MediaInputException(
                _inputName, $"the last frame was cut short ({partialBytes} of {Width * Height * 3} bytes) after {delivered} frames"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Stop();
        // The kill closed the pipe, so the reader's blocking read has returned (or will at once).
        await Task.Run(() => _reader.Join(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        await _process.DisposeAsync().ConfigureAwait(false);
        while (_queue.Reader.TryRead(out VideoFrame? frame))
        {
            frame.Dispose();
        }

        _stop.Dispose();
    }
}

/// <summary>The same source, marked live: arrival-time stamps and drop-oldest (see <see cref="FrameClock.Arrival"/>).</summary>
internal sealed class LiveFfmpegFrameSource(
    FfmpegProcess process, int width, int height, double frameRate, long? frameCount, int poolCapacity,
    string inputName, string? inputUrl, string description)
    : FfmpegFrameSource(process, width, height, frameRate, frameCount, poolCapacity, FrameClock.Arrival, inputName, inputUrl, description),
    ILiveFrameSource;
