using System.Runtime.ExceptionServices;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Tracking.Face;

/// <summary>
/// A thread of its own for the face tracker, so that a frame's face mesh runs while the caller's thread runs the pose
/// model (<see cref="TrackerOptions.ParallelFaceAndBody"/>). <see cref="Begin"/> hands it a frame and
/// <see cref="End"/> waits for it; the two always come in pairs, one frame at a time. The frame and the observation
/// stay the caller's: the worker only reads the one and fills the other between the two calls. No allocation per
/// frame (two semaphores, fields for the hand-over).
/// </summary>
internal sealed class FaceWorker : IDisposable
{
    private readonly Action<VideoFrame, FaceObservation> _track;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0, 1);
    private readonly SemaphoreSlim _done = new(0, 1);
    private VideoFrame? _frame;
    private FaceObservation? _observation;
    private ExceptionDispatchInfo? _error;
    private volatile bool _stopping;
    private bool _disposed;

    /// <param name="track">What the worker runs on each frame: the face tracker's <c>Process</c>.</param>
    public FaceWorker(Action<VideoFrame, FaceObservation> track)
    {
        _track = track;
        _thread = new Thread(Loop) { IsBackground = true, Name = "capture face tracker" };
        _thread.Start();
    }

    /// <summary>Starts tracking the face in <paramref name="frame"/> into <paramref name="face"/> on the worker's thread.</summary>
    public void Begin(VideoFrame frame, FaceObservation face)
    {
        _frame = frame;
        _observation = face;
        _start.Release();
    }

    /// <summary>Waits for the frame given to <see cref="Begin"/>; rethrows what the face tracker threw on it.</summary>
    public void End()
    {
        _done.Wait();
        _frame = null;
        _observation = null;
        if (_error is { } error)
        {
            _error = null;
            error.Throw();
        }
    }

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping)
            {
                return;
            }

            try
            {
                _track(_frame!, _observation!);
            }
            catch (Exception ex)
            {
                _error = ExceptionDispatchInfo.Capture(ex);
            }

            _done.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stopping = true;
        _start.Release();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
