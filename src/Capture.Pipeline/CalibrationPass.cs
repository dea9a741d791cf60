using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline.Motion;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Pipeline;

/// <summary>What a <see cref="CalibrationPass"/> looks at, in seconds of the clip.</summary>
public sealed record CalibrationWindow
{
    /// <summary>Seconds of frames with a face taken as the performer at rest (at least one frame).</summary>
    public double NeutralSeconds { get; init; } = 1;

    /// <summary>How far into the clip to look for those frames (faceless frames are skipped).</summary>
    public double SearchSeconds { get; init; } = 5;

    /// <summary>
    /// Seconds after the neutral frames watched for blendshape peaks: 0 none (render's pass),
    /// <see cref="double.PositiveInfinity"/> the rest of the clip.
    /// </summary>
    public double RangeSeconds { get; init; }

    /// <summary>Keep every tracked frame, so the caller can use them instead of tracking the window again.</summary>
    public bool KeepFrames { get; init; }
}

/// <summary>
/// The one calibration loop (used by <c>capture calibrate</c> and by render): reads tracked frames from a
/// motion driver (a video through the tracker, or a motion file), averages the first <see cref="CalibrationWindow.NeutralSeconds"/> of faces
/// into the performer's neutral and watches the following frames for blendshape peaks. The caller
/// owns the driver, which is left where the pass stopped: a render restarts it with the frames kept,
/// so a video's window is tracked once.
/// </summary>
public sealed class CalibrationPass
{
    private readonly List<TrackingFrame> _kept = [];

    private CalibrationPass()
    {
    }

    /// <summary>The calibrator holding the neutral and the peaks; <see cref="PerformerCalibrator.Build"/> makes the profile.</summary>
    public PerformerCalibrator Calibrator { get; } = new();

    /// <summary>Frames read and tracked.</summary>
    public long FramesRead { get; private set; }

    /// <summary>Frames watched for peaks after the neutral ones.</summary>
    public long RangeFrames { get; private set; }

    /// <summary>The square around the first face found (left, top, side in pixels), or null when none was.</summary>
    public Vector4? FirstFaceCrop { get; private set; }

    /// <summary>Height of the frames read (0 when none was).</summary>
    public int FrameHeight { get; private set; }

    /// <summary>Every tracked frame in order, when <see cref="CalibrationWindow.KeepFrames"/> asked for them; else empty.</summary>
    public IReadOnlyList<TrackingFrame> Frames => _kept;

    /// <summary>Runs the pass over a frame source and tracker the caller owns (both are left where the pass stopped).</summary>
    public static async Task<CalibrationPass> RunAsync(
        IFrameSource source, Tracker tracker, CalibrationWindow window, IProgress<(long Frame, bool Neutral)>? progress = null, CancellationToken ct = default)
    {
        await using VideoMotionDriver driver = VideoMotionDriver.Over(source, tracker);
        return await RunAsync(driver, window, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the pass over a motion driver (a video through the tracker, or a motion file), left where the pass
    /// stopped. <paramref name="progress"/> gets (frames read, still in the neutral part) after each frame.
    /// </summary>
    public static async Task<CalibrationPass> RunAsync(
        IMotionDriver driver, CalibrationWindow window, IProgress<(long Frame, bool Neutral)>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(window);
        if (!(window.NeutralSeconds > 0) || window.SearchSeconds < 0 || window.RangeSeconds < 0)
        {
            throw new ArgumentException("calibration needs more than 0 seconds of neutral and no negative search or range", nameof(window));
        }

        var pass = new CalibrationPass();
        double fps = driver.Info.FrameRate > 0 ? driver.Info.FrameRate : 30;
        long neutralFrames = Math.Max(1, (long)Math.Round(window.NeutralSeconds * fps));
        long searchFrames = Math.Max(neutralFrames, (long)(window.SearchSeconds * fps));
        double rangeLimit = Math.Ceiling(window.RangeSeconds * fps);
        var scratch = new TrackingFrame();
        while (true)
        {
            bool neutral = pass.Calibrator.NeutralFrames < neutralFrames;
            if (neutral ? pass.FramesRead >= searchFrames : pass.RangeFrames >= rangeLimit)
            {
                break;
            }

            TrackingFrame tracking = window.KeepFrames ? new TrackingFrame() : scratch;
            MotionStep step = await driver.ReadAsync(tracking, ct).ConfigureAwait(false);
            if (!step.HasFrame)
            {
                break;
            }

            step.Picture?.Dispose();
            pass.FrameHeight = tracking.ImageHeight;
            if (window.KeepFrames)
            {
                pass._kept.Add(tracking);
            }

            if (neutral)
            {
                pass.Calibrator.AddNeutral(tracking);
                if (pass.FirstFaceCrop is null && tracking.Face.Present)
                {
                    pass.FirstFaceCrop = FaceCrop(tracking);
                }
            }
            else
            {
                pass.Calibrator.Observe(tracking);
                pass.RangeFrames++;
            }

            pass.FramesRead++;
            progress?.Report((pass.FramesRead, neutral));
        }

        return pass;
    }

    /// <summary>
    /// Calibrates a performer from a clip or camera: at rest for the first <see cref="CalibrationWindow.NeutralSeconds"/>,
    /// then making faces. Tracks with MediaPipe's attention model (iris) as render does.
    /// </summary>
    public static async Task<(PerformerProfile Profile, CalibrationPass Pass)> CalibrateAsync(
        string input, string name, CalibrationWindow window, CameraIntrinsics? camera = null, IProgress<(long Frame, bool Neutral)>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        await using IFrameSource source = await FrameSources.OpenAsync(input, null, ct).ConfigureAwait(false);
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, RefineLandmarks = true, Camera = camera }, ct).ConfigureAwait(false);
        CalibrationPass pass = await RunAsync(source, tracker, window, progress, ct).ConfigureAwait(false);
        return (pass.Calibrator.Build(name, input), pass);
    }

    /// <summary>A square around a tracked face (left, top, side in pixels), chosen as a character's crop is (<see cref="CharacterRigBuilder.FaceSquare"/>).</summary>
    public static Vector4 FaceCrop(TrackingFrame tracking)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        Span<Vector3> pixels = stackalloc Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < pixels.Length; i++)
        {
            Vector3 p = tracking.Face.Landmarks[i];
            pixels[i] = new Vector3(p.X * tracking.ImageWidth, p.Y * tracking.ImageHeight, 0);
        }

        (float left, float top, float side) = CharacterRigBuilder.FaceSquare(pixels, tracking.ImageWidth, tracking.ImageHeight, mayPad: true);
        return new Vector4(left, top, side, 0);
    }
}
