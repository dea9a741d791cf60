using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Detection;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;
using Capture.Tracking.Smoothing;

namespace Capture.Tracking.Hands;

/// <summary>
/// Both hands, two ways of finding them (docs/tracking.md, "Hands"):
/// <list type="bullet">
/// <item>With a body this frame (the tracker runs pose), as MediaPipe Holistic does: each side's region from the
/// pose's wrist, index and pinky points, refined by the re-crop model, or the previous frame's landmark rect when
/// Holistic's tracking rule keeps it; a side whose wrist the pose does not see (visibility &lt; 0.1) has no hand.
/// The side comes from the body. The palm detector runs only on a frame where a visible wrist's hand was not found
/// there, and a palm at that wrist is taken for it (Holistic has no such second look).</item>
/// <item>Otherwise, as MediaPipe Hands does: each tracked hand's region from its previous landmarks; the palm
/// detector runs only while fewer than two hands are tracked (or on every still), and its palms overlapping a
/// tracked hand's region are dropped. The hand model runs on every region; where that gives more than two hands
/// (MediaPipe then reports them all), the two with the highest hand flag stay. The side comes from the hand
/// model's handedness, averaged over the track.</item>
/// </list>
/// A hand whose hand flag falls below the tracking threshold is lost (its slot empty) and its smoothing forgotten.
/// Landmarks are One-Euro smoothed in pixels and metres (speed in hand sizes a second). Allocation-free per frame.
/// </summary>
internal sealed class HandTracker : IDisposable
{
    /// <summary>Holistic's HandVisibilityFromHandLandmarksFromPose threshold on the pose's wrist visibility.</summary>
    private const float MinWristVisibility = 0.1f;

    /// <summary>MediaPipe Hands' AssociationNormRectCalculator: a palm's region overlapping a tracked one by more is the same hand.</summary>
    private const float SameHandOverlap = 0.5f;

    private const int MaxHands = 2;

    /// <summary>
    /// The re-crop model is skipped on a frame where the track's rect was kept the last time it ran and the pose's
    /// wrist has moved less than this share of the rect's side since: the re-crop rect would only confirm the kept one
    /// (Holistic keeps it within 0.2 of the side, so half that leaves room for the re-crop's own wobble).
    /// </summary>
    private const float RecropSkipDrift = 0.1f;

    /// <summary>At most this many frames in a row without the re-crop model (so a hand that slides off its rect is caught as Holistic would, a frame or two late at worst).</summary>
    private const int MaxRecropSkips = 2;

    /// <summary>After a look with the palm detector that found no hand for a side, that side's next look waits this many frames (a hand out of view stays out of view for a while; each look costs more than both hand-model runs).</summary>
    private const int PalmRetryFrames = 3;

    /// <summary>
    /// Hands followed at once within a frame: the two tracked plus up to two new palms. MediaPipe Hands runs the hand
    /// model on every tracked region and every palm that overlaps none; with only two slots the two surest stay.
    /// </summary>
    private const int MaxCandidates = 2 * MaxHands;

    // BlazePose points of each hand, [left, right]: wrist, pinky knuckle, index knuckle.
    private static readonly int[] s_poseWrist = [15, 16];
    private static readonly int[] s_posePinky = [17, 18];
    private static readonly int[] s_poseIndex = [19, 20];

    private readonly LetterboxDetector _palms;
    private readonly HandLandmarkModel _model;
    private readonly HandRecropModel? _recrop;
    private readonly TrackerOptions _options;
    private readonly HandTrack[] _tracks;
    private readonly RawDetection[] _detections = new RawDetection[MaxHands];
    private readonly float[] _pixels = new float[TrackingFrame.HandLandmarkCount * 3];
    private readonly float[] _world = new float[TrackingFrame.HandLandmarkCount * 3];
    private readonly int[] _palmWait = new int[MaxHands];

    /// <summary>Takes ownership of the models. Without <paramref name="recrop"/> hands always come from the palm detector.</summary>
    public HandTracker(TensorModel palmDetector, TensorModel landmarks, TensorModel? recrop, TrackerOptions options)
    {
        _options = options;
        _palms = new LetterboxDetector(palmDetector, SsdAnchors.Palm(), 18, 7, options.MinDetectionConfidence, 0f, 1f);
        _model = new HandLandmarkModel(landmarks);
        _recrop = recrop is null ? null : new HandRecropModel(recrop);
        _tracks = new HandTrack[MaxCandidates];
        for (int i = 0; i < _tracks.Length; i++)
        {
            _tracks[i] = new HandTrack(options.HandSmoothing);
        }
    }

    /// <summary>How many times the palm detector ran.</summary>
    public long PalmDetectorRuns => _palms.Runs;

    /// <summary>How many times the re-crop model ran (at most twice a frame with a body and both wrists visible; skipped while a kept hand's wrist stays put).</summary>
    public long RecropRuns { get; private set; }

    /// <summary>How many times the hand landmark model ran.</summary>
    public long LandmarkRuns { get; private set; }

    /// <summary>The region the hand model looked at for <paramref name="side"/> this frame, or null when that hand is absent.</summary>
    public RotatedRect? Region(Handedness side) => Seen(side) is { } t ? t.Looked : null;

    public void Reset()
    {
        foreach (HandTrack t in _tracks)
        {
            t.Lose();
        }

        Array.Clear(_palmWait);
    }

    /// <summary>
    /// Tracks both hands in <paramref name="frame"/> and fills <paramref name="result"/>'s hand slots (cleared by
    /// the caller). <paramref name="body"/> is this frame's body when the tracker runs pose, else null.
    /// </summary>
    public void Process(VideoFrame frame, BodyObservation? body, TrackingFrame result)
    {
        if (_options.StaticImage)
        {
            Reset();
        }

        foreach (HandTrack t in _tracks)
        {
            t.Seen = false;
        }

        if (_recrop is not null && body is { Present: true })
        {
            FromBody(frame, body);
        }
        else
        {
            FromPalms(frame);
        }

        foreach (HandTrack t in _tracks)
        {
            if (t.Seen)
            {
                Emit(frame, t, result.Hand(t.Side));
            }
        }
    }

    private HandTrack? Seen(Handedness side)
    {
        foreach (HandTrack t in _tracks)
        {
            if (t.Seen && t.Side == side)
            {
                return t;
            }
        }

        return null;
    }

    private HandTrack? Free()
    {
        foreach (HandTrack t in _tracks)
        {
            if (!t.IsTracking && !t.Seen)
            {
                return t;
            }
        }

        return null;
    }

    private void FromBody(VideoFrame frame, BodyObservation body)
    {
        // The body names the sides: each side continues the track filed under it, if any; every other track ends.
        HandTrack? left = null, right = null;
        foreach (HandTrack t in _tracks)
        {
            if (!t.IsTracking)
            {
                continue;
            }

            ref HandTrack? slot = ref t.Side == Handedness.Left ? ref left : ref right;
            if (slot is null)
            {
                slot = t;
            }
            else
            {
                t.Lose();
            }
        }

        int missing = 0;
        for (int s = 0; s < MaxHands; s++)
        {
            var side = (Handedness)s;
            HandTrack t = (side == Handedness.Left ? left : right) ?? Free()!;
            t.Side = side;
            Vector4 wrist = body.Landmarks[s_poseWrist[s]];
            if (wrist.W < MinWristVisibility)
            {
                t.Lose();
                continue;
            }

            Vector2 poseWrist = Pixel(frame, wrist);
            RotatedRect roi;
            if (t.IsTracking && t.KeptAt is { } keptAt && t.RecropSkips < MaxRecropSkips && !_options.StaticImage && !_options.HandRecropEveryFrame
                && Vector2.Distance(poseWrist, keptAt) <= RecropSkipDrift * t.Next.Width)
            {
                // Tracked from the previous frame's landmarks, as MediaPipe Hands does: the pose says the hand is
                // where it was when the re-crop last agreed with the track.
                roi = t.Next;
                t.RecropSkips++;
            }
            else
            {
                RotatedRect search = HandRegions.FromPose(poseWrist, Pixel(frame, body.Landmarks[s_posePinky[s]]), Pixel(frame, body.Landmarks[s_poseIndex[s]]));
                RotatedRect recrop = _recrop!.Run(frame, search);
                RecropRuns++;
                roi = recrop;
                t.RecropSkips = 0;
                if (t.IsTracking && HandRegions.KeepsTracking(t.Next, recrop, t.Pixels))
                {
                    roi = t.Next;
                    t.KeptAt = poseWrist;
                }
                else
                {
                    // A fresh region: the hand moved fast or was elsewhere; its filter starts again.
                    t.Restart();
                }
            }

            Run(frame, t, roi);
            if (!t.Seen)
            {
                missing |= 1 << s;
            }
        }

        // A side found, or whose wrist the body does not see, looks again at once when next missing.
        for (int s = 0; s < MaxHands; s++)
        {
            if ((missing & (1 << s)) == 0)
            {
                _palmWait[s] = 0;
            }
            else if (_palmWait[s] > 0)
            {
                _palmWait[s]--;
                missing &= ~(1 << s);
            }
        }

        if (missing != 0)
        {
            PalmsNearWrists(frame, body, missing);
        }
    }

    /// <summary>
    /// Beyond Holistic: a side whose wrist the body sees but whose hand the model did not find where the body put it
    /// (the pose's hand points are off, or the hand moves fast) gets one look with the palm detector: a palm whose wrist
    /// keypoint lies within a hand's length of that pose wrist, and that is not the other hand, is taken for it.
    /// </summary>
    private void PalmsNearWrists(VideoFrame frame, BodyObservation body, int missing)
    {
        int found = _palms.Detect(frame, _detections, out RotatedRect letterbox);
        for (int k = 0; k < found; k++)
        {
            RotatedRect roi = HandRegions.FromPalm(_detections[k], letterbox);
            Vector2 palmWrist = letterbox.ToImage(_detections[k].Keypoints[0].X, _detections[k].Keypoints[0].Y);
            for (int s = 0; s < MaxHands; s++)
            {
                if ((missing & (1 << s)) == 0)
                {
                    continue;
                }

                Vector2 wrist = Pixel(frame, body.Landmarks[s_poseWrist[s]]);
                HandTrack? other = Seen(s == 0 ? Handedness.Right : Handedness.Left);
                bool near = Vector2.Distance(palmWrist, wrist) <= roi.Width / 2.6f;
                if (!near || (other is not null && other.Looked.UnrotatedIou(roi) > SameHandOverlap))
                {
                    continue;
                }

                HandTrack t = Free()!;
                t.Side = (Handedness)s;
                t.Restart();
                Run(frame, t, roi);
                if (t.Seen)
                {
                    missing &= ~(1 << s);
                    break;
                }
            }
        }

        // A side the palms did not give waits before the next look.
        for (int s = 0; s < MaxHands; s++)
        {
            if ((missing & (1 << s)) != 0)
            {
                _palmWait[s] = PalmRetryFrames;
            }
        }
    }

    private void FromPalms(VideoFrame frame)
    {
        int tracking = 0;
        foreach (HandTrack t in _tracks)
        {
            tracking += t.IsTracking ? 1 : 0;
        }

        if (tracking < MaxHands)
        {
            int found = _palms.Detect(frame, _detections, out RotatedRect letterbox);
            for (int k = 0; k < found; k++)
            {
                RotatedRect roi = HandRegions.FromPalm(_detections[k], letterbox);
                bool known = false;
                foreach (HandTrack t in _tracks)
                {
                    if (t.IsTracking || t.Seen)
                    {
                        known |= (t.Seen ? t.Looked : t.Next).UnrotatedIou(roi) > SameHandOverlap;
                    }
                }

                if (!known && Free() is { } fresh)
                {
                    fresh.Restart();
                    Run(frame, fresh, roi);
                }
            }
        }

        foreach (HandTrack t in _tracks)
        {
            if (t.IsTracking && !t.Seen)
            {
                Run(frame, t, t.Next);
            }
        }

        // Regions that converged on one hand: keep the surer (MediaPipe drops the overlapping rect the same way).
        for (int i = 0; i < _tracks.Length; i++)
        {
            for (int j = i + 1; j < _tracks.Length; j++)
            {
                HandTrack a = _tracks[i], b = _tracks[j];
                if (a.Seen && b.Seen && a.Next.UnrotatedIou(b.Next) > SameHandOverlap)
                {
                    (a.Flag < b.Flag ? a : b).Lose();
                }
            }
        }

        // More hands than slots (tracked ones plus new palms): the two with the highest hand flag stay.
        while (CountSeen() > MaxHands)
        {
            HandTrack? weakest = null;
            foreach (HandTrack t in _tracks)
            {
                if (t.Seen && (weakest is null || t.Flag < weakest.Flag))
                {
                    weakest = t;
                }
            }

            weakest!.Lose();
        }

        AssignSides();
    }

    private int CountSeen()
    {
        int n = 0;
        foreach (HandTrack t in _tracks)
        {
            n += t.Seen ? 1 : 0;
        }

        return n;
    }

    /// <summary>Palm mode: the side of each hand seen from its track's mean handedness; with two, the more right-handed is the right.</summary>
    private void AssignSides()
    {
        HandTrack? a = null, b = null;
        foreach (HandTrack t in _tracks)
        {
            if (t.Seen)
            {
                if (a is null)
                {
                    a = t;
                }
                else
                {
                    b = t;
                }
            }
        }

        if (a is null)
        {
            return;
        }

        if (b is null)
        {
            a.Side = a.MeanRightHand >= 0.5f ? Handedness.Right : Handedness.Left;
            return;
        }

        a.Side = a.MeanRightHand >= b.MeanRightHand ? Handedness.Right : Handedness.Left;
        b.Side = Other(a.Side);
    }

    private static Handedness Other(Handedness side) => side == Handedness.Left ? Handedness.Right : Handedness.Left;

    private static Vector2 Pixel(VideoFrame frame, Vector4 landmark) => new(landmark.X * frame.Width, landmark.Y * frame.Height);

    /// <summary>Runs the hand model for <paramref name="t"/> on <paramref name="roi"/>; the track keeps the hand or loses it.</summary>
    private void Run(VideoFrame frame, HandTrack t, in RotatedRect roi)
    {
        float flag = _model.Run(frame, roi, t.Pixels, t.World, out float rightHand);
        LandmarkRuns++;
        if (flag < _options.MinTrackingConfidence)
        {
            t.Lose();
            return;
        }

        t.Seen = true;
        t.IsTracking = !_options.StaticImage;
        t.Flag = flag;
        t.RightHand = rightHand;
        t.RightHandSum += rightHand;
        t.RightHandFrames++;
        t.Looked = roi;
        t.Next = HandRegions.FromLandmarks(t.Pixels);
    }

    private void Emit(VideoFrame frame, HandTrack t, HandObservation hand)
    {
        t.Pixels.CopyTo(_pixels, 0);
        t.World.CopyTo(_world, 0);
        if (_options.Smoothing && !_options.StaticImage)
        {
            t.PixelFilter.Apply(_pixels, frame.TimestampUs, MeanBoxSide(_pixels));
            t.WorldFilter.Apply(_world, frame.TimestampUs, MeanBoxSide(_world));
        }

        hand.Present = true;
        hand.Score = t.Flag;
        hand.HandednessScore = hand.Side == Handedness.Right ? t.RightHand : 1 - t.RightHand;
        float w = frame.Width;
        float h = frame.Height;
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            hand.Landmarks[i] = new Vector3(_pixels[3 * i] / w, _pixels[(3 * i) + 1] / h, _pixels[(3 * i) + 2] / w);
            hand.WorldLandmarks[i] = new Vector3(_world[3 * i], _world[(3 * i) + 1], _world[(3 * i) + 2]);
        }
    }

    /// <summary>The mean side of the points' x–y box: the hand's size the smoothing measures speed in.</summary>
    private static float MeanBoxSide(ReadOnlySpan<float> xyz)
    {
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        for (int i = 0; i < xyz.Length; i += 3)
        {
            minX = MathF.Min(minX, xyz[i]);
            maxX = MathF.Max(maxX, xyz[i]);
            minY = MathF.Min(minY, xyz[i + 1]);
            maxY = MathF.Max(maxY, xyz[i + 1]);
        }

        return ((maxX - minX) + (maxY - minY)) / 2;
    }

    public void Dispose()
    {
        _palms.Dispose();
        _model.Dispose();
        _recrop?.Dispose();
    }

    /// <summary>One hand being followed: where to look next, its handedness so far and its smoothing.</summary>
    private sealed class HandTrack(OneEuroParameters smoothing)
    {
        public Handedness Side { get; set; }

        /// <summary>True while this frame's landmarks give the next frame's region (<see cref="Next"/>).</summary>
        public bool IsTracking { get; set; }

        /// <summary>True when this frame has landmarks for this hand.</summary>
        public bool Seen { get; set; }

        public RotatedRect Next { get; set; }

        public RotatedRect Looked { get; set; }

        public float Flag { get; set; }

        public float RightHand { get; set; }

        public float RightHandSum { get; set; }

        public int RightHandFrames { get; set; }

        /// <summary>The handedness averaged over the track (one frame's call can flip while the hand turns).</summary>
        public float MeanRightHand => RightHandFrames == 0 ? 0.5f : RightHandSum / RightHandFrames;

        /// <summary>The pose's wrist (pixels) when the re-crop model last agreed with this track (kept its rect); null until it has.</summary>
        public Vector2? KeptAt { get; set; }

        /// <summary>Frames in a row this track went without the re-crop model.</summary>
        public int RecropSkips { get; set; }

        /// <summary>This frame's (or the last frame's) raw landmarks, pixels.</summary>
        public float[] Pixels { get; } = new float[TrackingFrame.HandLandmarkCount * 3];

        /// <summary>This frame's raw world landmarks, metres.</summary>
        public float[] World { get; } = new float[TrackingFrame.HandLandmarkCount * 3];

        public OneEuroFilterBank PixelFilter { get; } = new(TrackingFrame.HandLandmarkCount * 3, smoothing);

        public OneEuroFilterBank WorldFilter { get; } = new(TrackingFrame.HandLandmarkCount * 3, smoothing);

        /// <summary>A new hand (or the same one found afresh): forget the smoothing and the handedness so far.</summary>
        public void Restart()
        {
            PixelFilter.Reset();
            WorldFilter.Reset();
            RightHandSum = 0;
            RightHandFrames = 0;
            KeptAt = null;
            RecropSkips = 0;
        }

        public void Lose()
        {
            IsTracking = false;
            Seen = false;
            Restart();
        }
    }
}
