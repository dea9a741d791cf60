using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Calibration;
using Capture.Generation;
using Capture.Retargeting.Rigs;
using Capture.Tracking.Face;

namespace Capture.Server.Live;

/// <summary>
/// The server's one use of the render stages: character rig + performer profile → retarget → generate one
/// RGB frame into a buffer reused frame after frame (<see cref="Frame"/>), and its alpha (<see cref="Alpha"/>) when the
/// character has one (its picture's, or its figure cut out; a body character's figure always). Performers that send landmarks
/// only are completed by <see cref="LandmarkFaceSolver"/> first. Without a profile the performer's neutral
/// is the mean of their first tracked frames (<c>calibrationFrames</c>); until then the character is drawn
/// at rest. A body character (<see cref="LiveRenderer(BodyCharacter, int, PerformerProfile?, int, RetargetGains?)"/>)
/// is driven by the frames' pose landmarks too (<see cref="BodyRetargeter"/>, the same as <c>capture render --body</c>)
/// and rendered through the same warp graph, its face (if it has one) riding on the head; the graph's second output is
/// the figure's alpha (the RGB stays the figure over its filled background, as a face cut-out keeps its own background).
/// Allocation-free per frame after calibration; not thread-safe (the session's render loop owns it).
/// </summary>
public sealed class LiveRenderer : IDisposable
{
    /// <summary>Background behind a character with transparency (JPEG has no alpha): the light grey `capture render` uses.</summary>
    public static readonly (byte R, byte G, byte B) Background = (235, 235, 235);

    private readonly CharacterRig? _rig;
    private readonly BodyCharacter? _body;
    private readonly DrivenBody? _drivenBody;
    private readonly BodyPose _pose = new();
    private BodyRetargeter? _bodyRetargeter;
    private readonly PerformerProfile? _profile;
    private readonly int _calibrationFrames;
    private readonly RetargetGains _gains;
    private readonly WarpGenerator _generator;
    private readonly LandmarkFaceSolver _solver;
    private readonly DrivenFace _driven = new();
    private PerformerCalibrator _calibrator = new();
    private Retargeter? _retargeter;
    private readonly byte[]? _alpha;
    private PerformerCapabilities _capabilities = new(true, true, false);

    /// <param name="rig">The character (shared read-only; may be cached across sessions).</param>
    /// <param name="size">Output side, 256 or 512.</param>
    /// <param name="profile">The performer's calibrated profile, or null to calibrate from their first frames.</param>
    /// <param name="calibrationFrames">Tracked frames averaged into the neutral when there is no profile.</param>
    public LiveRenderer(CharacterRig rig, int size, PerformerProfile? profile, int calibrationFrames, RetargetGains? gains = null)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationFrames, 1);
        _rig = rig;
        _profile = profile is { HasNeutral: true } ? profile : null;
        _calibrationFrames = calibrationFrames;
        _gains = gains ?? new RetargetGains();
        _solver = new LandmarkFaceSolver(CanonicalFace.Geometry);
        // One ORT thread a session: sessions run side by side on the cores; a second thread per
        // session would only contend with the other sessions' loops.
        _generator = new WarpGenerator(size, intraOpThreads: 1, withAlpha: rig.HasAlpha);
        try
        {
            _generator.SetCharacter(rig);
            Frame = VideoFrame.CreateUnpooled(size, size);
            _alpha = rig.HasAlpha ? new byte[size * size] : null;
            _driven.SetNeutral(rig.Neutral);
            _generator.Generate(_driven);
            CopyOut();
        }
        catch
        {
            _generator.Dispose();
            throw;
        }

        if (_profile is not null)
        {
            _retargeter = new Retargeter(rig, _profile, _gains);
        }
    }

    /// <param name="body">The body character (shared read-only; may be cached across sessions).</param>
    /// <param name="width">Output width (256 or 512); the height keeps the character's frame shape (<see cref="BodyCharacter.OutputSize"/>).</param>
    /// <param name="profile">The performer's calibrated profile, or null to calibrate the face from their first frames.</param>
    /// <param name="calibrationFrames">Tracked frames with a face averaged into the neutral when there is no profile.</param>
    public LiveRenderer(BodyCharacter body, int width, PerformerProfile? profile, int calibrationFrames, RetargetGains? gains = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfLessThan(calibrationFrames, 1);
        _body = body;
        _rig = body.Face;
        _profile = profile is { HasNeutral: true } ? profile : null;
        _calibrationFrames = calibrationFrames;

        // The body places the head; the face keeps its rotation and expression (as `capture render --body`).
        _gains = (gains ?? new RetargetGains()) with { FollowHeadPosition = false };
        _solver = new LandmarkFaceSolver(CanonicalFace.Geometry);
        _drivenBody = new DrivenBody();
        _drivenBody.SetRest(body.Body);
        _bodyRetargeter = new BodyRetargeter(body.Body);
        (int w, int h) = body.OutputSize(width);
        _generator = WarpGenerator.ForBody(w, h, intraOpThreads: 1, withAlpha: true);
        try
        {
            _generator.SetCharacter(body, Background);
            Frame = VideoFrame.CreateUnpooled(w, h);
            _alpha = new byte[w * h];
            if (_rig is not null)
            {
                _driven.SetNeutral(_rig.Neutral);
            }

            _generator.GenerateInto(_driven, _drivenBody, Frame, 0, 0, Background);
            _generator.CopyAlphaTo(_alpha);
        }
        catch
        {
            _generator.Dispose();
            throw;
        }

        if (_profile is not null && _rig is not null)
        {
            _retargeter = new Retargeter(_rig, _profile, _gains);
        }
    }

    /// <summary>The output's width (its side for a face character).</summary>
    public int Size => _generator.Width;

    /// <summary>The output's height: <see cref="Size"/> for a face character, the figure's frame shape for a body character.</summary>
    public int Height => _generator.Height;

    /// <summary>True when the performer's pose drives the character's body.</summary>
    public bool HasBody => _body is not null;

    /// <summary>The last rendered frame, RGB24 <see cref="Size"/> × <see cref="Height"/>. Owned by the renderer; overwritten by the next <see cref="Render"/>.</summary>
    public VideoFrame Frame { get; }

    /// <summary>
    /// The last rendered frame's alpha, <see cref="Size"/> × <see cref="Height"/> bytes (255 = the character), or null for an
    /// opaque face character. Owned by the renderer; overwritten by the next <see cref="Render"/>.
    /// </summary>
    public ReadOnlySpan<byte> Alpha => _alpha;

    /// <summary>True when <see cref="Alpha"/> is there: the picture's own alpha, or its figure cut out (every body character).</summary>
    public bool HasAlpha => _alpha is not null;

    /// <summary>
    /// What <see cref="Frame"/>'s colour was composited over where <see cref="Alpha"/> is below 255: <see cref="Background"/>
    /// for a picture with its own alpha (its colours outside the figure mean nothing); null for a cut-out character,
    /// whose frame is the picture's own colours, background included (what old viewers showed, and "bg=original"), and for
    /// a body character, whose frame is the figure over its filled background (no one colour to take out of its edges).
    /// </summary>
    public (byte R, byte G, byte B)? Matte => _alpha is not null && _body is null && !_rig!.AlphaIsCutOut ? Background : null;

    /// <summary>True once the performer's face neutral is known (from the profile or their first frames).</summary>
    public bool Calibrated => _retargeter is not null;

    /// <summary>A (new) performer connected: remember what their frames carry; without a profile, calibrate afresh.</summary>
    public void BeginPerformer(PerformerCapabilities capabilities)
    {
        _capabilities = capabilities;
        if (_profile is null)
        {
            _retargeter = null;
            _calibrator = new PerformerCalibrator();
        }

        if (_body is not null)
        {
            // Root motion is measured from the new performer's own first half second with a body.
            _bodyRetargeter = new BodyRetargeter(_body.Body);
        }
    }

    /// <summary>Renders one tracked frame into <see cref="Frame"/>. <paramref name="frame"/> is completed in place (pose, blendshapes) when the performer sends landmarks only.</summary>
    public void Render(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _solver.Complete(frame, _capabilities);
        if (_rig is null)
        {
            // A body character with no face the trackers read (a drawing): its head moves whole with the body.
        }
        else if (_retargeter is null)
        {
            _calibrator.AddNeutral(frame);
            if (_calibrator.NeutralFrames >= _calibrationFrames)
            {
                _retargeter = new Retargeter(_rig, _calibrator.Build("live performer", "first frames of the live session"), _gains);
            }

            _driven.SetNeutral(_rig.Neutral);
        }
        else
        {
            _retargeter.Update(frame, _driven);
        }

        if (_drivenBody is not null)
        {
            // The body needs no face calibration: it moves from the first frame with a pose.
            _pose.SetFromFrame(frame);
            _bodyRetargeter!.Update(_pose, _drivenBody);
            _generator.GenerateInto(_driven, _drivenBody, Frame, 0, 0, Background);
            _generator.CopyAlphaTo(_alpha);
            return;
        }

        _generator.Generate(_driven);
        CopyOut();
    }

    private void CopyOut()
    {
        if (_rig!.AlphaIsCutOut)
        {
            _generator.CopyColourTo(Frame, 0, 0);
        }
        else
        {
            _generator.CopyTo(Frame, 0, 0, Background);
        }

        if (_alpha is not null)
        {
            _generator.CopyAlphaTo(_alpha);
        }
    }

    public void Dispose() => _generator.Dispose();
}
