using Capture.Core.Frames;

namespace Capture.Tracking;

/// <summary>
/// MediaPipe's tracking scheme, shared by the face and the body: a detector finds the region of
/// interest, a landmark model runs on it, and the next frame's region comes from this frame's
/// landmarks. The detector runs only when there is no track (or for every still in static mode)
/// and, when the landmark model's presence flag drops, again in the same frame rather than the next.
/// </summary>
internal abstract class RoiLandmarkTracker(TrackerOptions options)
{
    protected TrackerOptions Options { get; } = options;

    /// <summary>True while the last frame's landmarks gave this frame's region.</summary>
    public bool IsTracking { get; private set; }

    /// <summary>Runs the detector and sets the region from its best detection; false when it finds nothing.</summary>
    protected abstract bool Detect(VideoFrame frame);

    /// <summary>Runs the landmark model on the current region; returns its presence flag (0..1).</summary>
    protected abstract float RunLandmarks(VideoFrame frame);

    /// <summary>
    /// Detects or tracks, then runs the landmark model. True with <paramref name="flag"/> when this
    /// frame has landmarks (the caller then sets the next region); false when the target is lost.
    /// </summary>
    protected bool TrackLandmarks(VideoFrame frame, out float flag)
    {
        flag = 0;
        bool detected = false;
        if (!IsTracking || Options.StaticImage)
        {
            if (!Detect(frame))
            {
                return Lose();
            }

            detected = true;
        }

        flag = RunLandmarks(frame);
        if (flag < Options.MinTrackingConfidence && !detected)
        {
            // Lost track: look for the target again in this same frame rather than waiting a frame.
            if (!Detect(frame))
            {
                return Lose();
            }

            flag = RunLandmarks(frame);
        }

        if (flag < Options.MinTrackingConfidence)
        {
            return Lose();
        }

        IsTracking = true;
        return true;
    }

    /// <summary>Forgets the track: the next frame starts with the detector.</summary>
    protected void StopTracking() => IsTracking = false;

    private bool Lose()
    {
        IsTracking = false;
        return false;
    }
}
