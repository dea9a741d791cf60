using System.Numerics;
using Capture.Core.Tracking;
using static Capture.Core.Tracking.FaceTopology;

namespace Capture.Tracking.Face;

/// <summary>
/// ARKit-52 blendshapes measured from face-mesh geometry with the head pose removed (canonical
/// space, cm), each relative to a neutral face (by default the canonical face; calibrate with
/// <see cref="SetNeutral(ReadOnlySpan{System.Numerics.Vector3})"/>). Every value is a clamped, linear ratio of a distance against its
/// neutral; the full-scale figures are stated beside each one and are first guesses tuned on the
/// shared clips, not fitted to ARKit data.
/// </summary>
/// <remarks>
/// Measured: eyeBlink, eyeWide, eyeSquint, jawOpen, jawLeft/Right, jawForward, mouthClose,
/// mouthFunnel, mouthPucker, mouthLeft/Right, mouthSmile, mouthFrown, mouthStretch, mouthRollLower/Upper,
/// mouthPress, mouthLowerDown, mouthUpperUp, browDown, browInnerUp, browOuterUp, cheekPuff,
/// cheekSquint, noseSneer, and the eight eyeLook* when iris points are given (attention model:
/// the iris centre inside the eye opening, against the neutral's). Always 0: eyeLook* without iris,
/// mouthDimple, mouthShrugLower/Upper and tongueOut (no reliable landmark signal).
/// Subject's left (ARKit "Left") is image right for an unmirrored camera: MediaPipe's left-eye
/// points (263, 362, 386, 374 …) drive the *Left shapes.
/// </remarks>
public sealed class BlendshapeEstimator
{
    /// <summary>
    /// Iris-centre offset from the eye-corner midpoint, in eye widths, that reads as a full look sideways.
    /// The iris travels about a third of the eye width between straight and a hard side glance; 0.15 is
    /// the measured offset of clear (not extreme) side glances in the shared clips (docs/tracking.md).
    /// </summary>
    internal const float LookSidewaysFullScale = 0.15f;

    /// <summary>
    /// The same for up and down: the lids follow a vertical gaze, so the iris moves less inside the opening,
    /// but where it rests differs more between people (0.055–0.11 on the frontal photos), hence the wider scale.
    /// </summary>
    internal const float LookVerticalFullScale = 0.12f;

    private Measures _neutral;
    private Gaze _neutralGaze = Gaze.Default;

    public BlendshapeEstimator(CanonicalFaceGeometry canonical)
    {
        _neutral = Measures.From(canonical.Landmarks);
    }

    /// <summary>Uses <paramref name="neutralCanonicalSpace"/> (468 points, pose removed) as the rest face.</summary>
    public void SetNeutral(ReadOnlySpan<Vector3> neutralCanonicalSpace)
    {
        _neutral = Measures.From(neutralCanonicalSpace);
        _neutralGaze = Gaze.Default;
    }

    /// <summary>Uses a rest face with its 10 iris points (canonical space) as the zero of every shape, eyeLook* included.</summary>
    public void SetNeutral(ReadOnlySpan<Vector3> neutralCanonicalSpace, ReadOnlySpan<Vector3> neutralIrisCanonicalSpace)
    {
        _neutral = Measures.From(neutralCanonicalSpace);
        _neutralGaze = Gaze.From(neutralCanonicalSpace, neutralIrisCanonicalSpace);
    }

    /// <summary>
    /// Writes 52 values (ARKit order) for landmarks and the 10 iris points (468–477 of the attention
    /// model), both in canonical space: as <see cref="Estimate(ReadOnlySpan{Vector3}, Span{float})"/> plus the eyeLook* shapes.
    /// </summary>
    public void Estimate(ReadOnlySpan<Vector3> canonicalSpace, ReadOnlySpan<Vector3> irisCanonicalSpace, Span<float> blendshapes)
    {
        Estimate(canonicalSpace, blendshapes);
        Gaze g = Gaze.From(canonicalSpace, irisCanonicalSpace);
        Gaze n = _neutralGaze;

        // Sideways offsets are positive toward the subject's left: the right eye then looks in (to the
        // nose), the left eye out. Up is +y in canonical space.
        float right = (g.RightSideways - n.RightSideways) / LookSidewaysFullScale;
        float left = (g.LeftSideways - n.LeftSideways) / LookSidewaysFullScale;
        Set(blendshapes, ArkitBlendshape.EyeLookInRight, right);
        Set(blendshapes, ArkitBlendshape.EyeLookOutRight, -right);
        Set(blendshapes, ArkitBlendshape.EyeLookOutLeft, left);
        Set(blendshapes, ArkitBlendshape.EyeLookInLeft, -left);
        float rightUp = (g.RightUp - n.RightUp) / LookVerticalFullScale;
        float leftUp = (g.LeftUp - n.LeftUp) / LookVerticalFullScale;
        Set(blendshapes, ArkitBlendshape.EyeLookUpRight, rightUp);
        Set(blendshapes, ArkitBlendshape.EyeLookDownRight, -rightUp);
        Set(blendshapes, ArkitBlendshape.EyeLookUpLeft, leftUp);
        Set(blendshapes, ArkitBlendshape.EyeLookDownLeft, -leftUp);
    }

    /// <summary>Where each iris centre sits in its eye opening (canonical space, in eye widths).</summary>
    internal static Gaze MeasureGaze(ReadOnlySpan<Vector3> canonicalSpace, ReadOnlySpan<Vector3> irisCanonicalSpace) =>
        Gaze.From(canonicalSpace, irisCanonicalSpace);

    /// <summary>Writes 52 values (ARKit order) for landmarks in canonical space.</summary>
    public void Estimate(ReadOnlySpan<Vector3> canonicalSpace, Span<float> blendshapes)
    {
        Measures m = Measures.From(canonicalSpace);
        Measures n = _neutral;
        blendshapes[..ArkitBlendshapes.Count].Clear();

        // Eyes: aperture (lid gap over eye width) against neutral. Blink starts below 90 % of the
        // neutral aperture and is full at 40 %: the 468-point model rarely closes the lids completely.
        float rightOpen = m.RightEyeAperture / n.RightEyeAperture;
        float leftOpen = m.LeftEyeAperture / n.LeftEyeAperture;
        Set(blendshapes, ArkitBlendshape.EyeBlinkRight, (0.9f - rightOpen) / 0.5f);
        Set(blendshapes, ArkitBlendshape.EyeBlinkLeft, (0.9f - leftOpen) / 0.5f);
        Set(blendshapes, ArkitBlendshape.EyeWideRight, (rightOpen - 1.15f) / 0.35f);
        Set(blendshapes, ArkitBlendshape.EyeWideLeft, (leftOpen - 1.15f) / 0.35f);

        // Squint: the lower lid rising toward the eye line, full at 1 mm.
        Set(blendshapes, ArkitBlendshape.EyeSquintRight, (m.RightLowerLidRise - n.RightLowerLidRise) / 0.1f);
        Set(blendshapes, ArkitBlendshape.EyeSquintLeft, (m.LeftLowerLidRise - n.LeftLowerLidRise) / 0.1f);

        // Jaw: nose-base to chin distance, full open at +30 %; sideways and forward chin, full at 1 cm.
        float jawOpen = Clamp01(((m.NoseChin / n.NoseChin) - 1) / 0.3f);
        blendshapes[(int)ArkitBlendshape.JawOpen] = jawOpen;
        float jawSide = m.ChinSideways - n.ChinSideways;
        Set(blendshapes, ArkitBlendshape.JawLeft, jawSide / 1f);
        Set(blendshapes, ArkitBlendshape.JawRight, -jawSide / 1f);
        Set(blendshapes, ArkitBlendshape.JawForward, (m.ChinForward - n.ChinForward) / 1f);

        // Lips apart, full at 40 % of the neutral mouth width; mouthClose = jaw open with lips together.
        float lipGap = Clamp01((m.LipGap - n.LipGap) / (0.4f * n.MouthWidth));
        Set(blendshapes, ArkitBlendshape.MouthClose, jawOpen - lipGap);

        // Narrower mouth: pucker (full at −25 % width), funnel when the lips are also apart.
        float pucker = Clamp01((1 - (m.MouthWidth / n.MouthWidth)) / 0.25f);
        blendshapes[(int)ArkitBlendshape.MouthPucker] = pucker;
        Set(blendshapes, ArkitBlendshape.MouthFunnel, pucker * Clamp01(lipGap * 3));

        // Mouth centre sideways against the nose, full at 15 % of mouth width.
        float mouthSide = (m.MouthCentreSideways - n.MouthCentreSideways) / (0.15f * n.MouthWidth);
        Set(blendshapes, ArkitBlendshape.MouthLeft, mouthSide);
        Set(blendshapes, ArkitBlendshape.MouthRight, -mouthSide);

        // Corners up against the upper-lip centre: smile (full at 12 % of mouth width), down: frown (8 %).
        float rightCornerUp = (m.RightCornerHeight - n.RightCornerHeight) / n.MouthWidth;
        float leftCornerUp = (m.LeftCornerHeight - n.LeftCornerHeight) / n.MouthWidth;
        Set(blendshapes, ArkitBlendshape.MouthSmileRight, rightCornerUp / 0.12f);
        Set(blendshapes, ArkitBlendshape.MouthSmileLeft, leftCornerUp / 0.12f);
        Set(blendshapes, ArkitBlendshape.MouthFrownRight, -rightCornerUp / 0.08f);
        Set(blendshapes, ArkitBlendshape.MouthFrownLeft, -leftCornerUp / 0.08f);

        // Stretch: a corner moving outward without rising, full at 12 % of mouth width.
        float rightOut = (m.RightCornerOut - n.RightCornerOut) / n.MouthWidth;
        float leftOut = (m.LeftCornerOut - n.LeftCornerOut) / n.MouthWidth;
        Set(blendshapes, ArkitBlendshape.MouthStretchRight, (rightOut / 0.12f) - Clamp01(rightCornerUp / 0.12f));
        Set(blendshapes, ArkitBlendshape.MouthStretchLeft, (leftOut / 0.12f) - Clamp01(leftCornerUp / 0.12f));

        // Lip thickness: rolled in when thinner (full at −50 %); press = both thinner with lips together.
        float upperThin = 1 - (m.UpperLipThickness / n.UpperLipThickness);
        float lowerThin = 1 - (m.LowerLipThickness / n.LowerLipThickness);
        Set(blendshapes, ArkitBlendshape.MouthRollUpper, upperThin / 0.5f);
        Set(blendshapes, ArkitBlendshape.MouthRollLower, lowerThin / 0.5f);
        float press = Clamp01((upperThin + lowerThin) / 0.6f) * (1 - Clamp01(lipGap * 4));
        blendshapes[(int)ArkitBlendshape.MouthPressLeft] = press;
        blendshapes[(int)ArkitBlendshape.MouthPressRight] = press;

        // Lower lip toward the chin / upper lip toward the nose, full at −30 %.
        Set(blendshapes, ArkitBlendshape.MouthLowerDownRight, (1 - (m.RightLowerLipChin / n.RightLowerLipChin)) / 0.3f);
        Set(blendshapes, ArkitBlendshape.MouthLowerDownLeft, (1 - (m.LeftLowerLipChin / n.LeftLowerLipChin)) / 0.3f);
        Set(blendshapes, ArkitBlendshape.MouthUpperUpRight, (1 - (m.RightUpperLipNose / n.RightUpperLipNose)) / 0.3f);
        Set(blendshapes, ArkitBlendshape.MouthUpperUpLeft, (1 - (m.LeftUpperLipNose / n.LeftUpperLipNose)) / 0.3f);

        // Brows: height above the upper lid; up full at +6 mm, down full at −4 mm.
        float innerUp = ((m.RightInnerBrow - n.RightInnerBrow) + (m.LeftInnerBrow - n.LeftInnerBrow)) / 2;
        Set(blendshapes, ArkitBlendshape.BrowInnerUp, innerUp / 0.6f);
        Set(blendshapes, ArkitBlendshape.BrowOuterUpRight, (m.RightOuterBrow - n.RightOuterBrow) / 0.6f);
        Set(blendshapes, ArkitBlendshape.BrowOuterUpLeft, (m.LeftOuterBrow - n.LeftOuterBrow) / 0.6f);
        float rightDown = ((m.RightInnerBrow - n.RightInnerBrow) + (m.RightOuterBrow - n.RightOuterBrow)) / 2;
        float leftDown = ((m.LeftInnerBrow - n.LeftInnerBrow) + (m.LeftOuterBrow - n.LeftOuterBrow)) / 2;
        Set(blendshapes, ArkitBlendshape.BrowDownRight, -rightDown / 0.4f);
        Set(blendshapes, ArkitBlendshape.BrowDownLeft, -leftDown / 0.4f);

        // Cheeks: width across the cheeks (puff full at +8 %), cheek points rising (squint full at 3 mm).
        Set(blendshapes, ArkitBlendshape.CheekPuff, ((m.CheekWidth / n.CheekWidth) - 1) / 0.08f);
        Set(blendshapes, ArkitBlendshape.CheekSquintRight, (m.RightCheekHeight - n.RightCheekHeight) / 0.3f);
        Set(blendshapes, ArkitBlendshape.CheekSquintLeft, (m.LeftCheekHeight - n.LeftCheekHeight) / 0.3f);

        // Nostril wings rising, full at 2 mm.
        Set(blendshapes, ArkitBlendshape.NoseSneerRight, (m.RightNostrilHeight - n.RightNostrilHeight) / 0.2f);
        Set(blendshapes, ArkitBlendshape.NoseSneerLeft, (m.LeftNostrilHeight - n.LeftNostrilHeight) / 0.2f);
    }

    private static void Set(Span<float> b, ArkitBlendshape shape, float value) => b[(int)shape] = Clamp01(value);

    private static float Clamp01(float v) => float.IsNaN(v) ? 0 : Math.Clamp(v, 0f, 1f);

    /// <summary>
    /// Iris centres against the eye-corner midpoints, in eye widths: sideways along the corner line
    /// (positive toward the subject's left), up along canonical +y.
    /// </summary>
    internal readonly record struct Gaze(float RightSideways, float RightUp, float LeftSideways, float LeftUp)
    {
        /// <summary>
        /// Rest gaze when no neutral frame with iris was given, as measured on the frontal photos looking
        /// into the camera (docs/tracking.md): each iris centre 0.02 eye widths outward of the corner
        /// midpoint and 0.075 above the corner line.
        /// </summary>
        public static Gaze Default { get; } = new(-RestOutward, DefaultUp, RestOutward, DefaultUp);

        internal const float RestOutward = 0.02f;

        internal const float DefaultUp = 0.075f;

        public static Gaze From(ReadOnlySpan<Vector3> p, ReadOnlySpan<Vector3> iris)
        {
            if (iris.Length < TrackingFrame.IrisLandmarkCount)
            {
                throw new ArgumentException($"expected {TrackingFrame.IrisLandmarkCount} iris points, got {iris.Length}", nameof(iris));
            }

            // Iris centres: 468 (iris[0]) in the subject's right eye, 473 (iris[5]) in the left.
            (float rs, float ru) = Offset(p[RightEyeOuter], p[RightEyeInner], iris[FaceObservation.RightIrisCenter]);
            (float ls, float lu) = Offset(p[LeftEyeInner], p[LeftEyeOuter], iris[FaceObservation.LeftIrisCenter]);
            return new Gaze(rs, ru, ls, lu);
        }

        /// <summary><paramref name="towardLeft"/> is the corner nearer the subject's left.</summary>
        private static (float Sideways, float Up) Offset(Vector3 towardRight, Vector3 towardLeft, Vector3 irisCentre)
        {
            Vector3 axis = towardLeft - towardRight;
            float width = axis.Length();
            if (!(width > 1e-6f))
            {
                return (0, DefaultUp);
            }

            Vector3 d = irisCentre - ((towardLeft + towardRight) / 2);
            return (Vector3.Dot(d, axis) / (width * width), d.Y / width);
        }
    }

    /// <summary>The distances every blendshape is read from, in canonical space (cm; y up, x to the subject's left).</summary>
    internal readonly record struct Measures
    {
        public float RightEyeAperture { get; init; }
        public float LeftEyeAperture { get; init; }
        public float RightLowerLidRise { get; init; }
        public float LeftLowerLidRise { get; init; }
        public float NoseChin { get; init; }
        public float ChinSideways { get; init; }
        public float ChinForward { get; init; }
        public float LipGap { get; init; }
        public float MouthWidth { get; init; }
        public float MouthCentreSideways { get; init; }
        public float RightCornerHeight { get; init; }
        public float LeftCornerHeight { get; init; }
        public float RightCornerOut { get; init; }
        public float LeftCornerOut { get; init; }
        public float UpperLipThickness { get; init; }
        public float LowerLipThickness { get; init; }
        public float RightLowerLipChin { get; init; }
        public float LeftLowerLipChin { get; init; }
        public float RightUpperLipNose { get; init; }
        public float LeftUpperLipNose { get; init; }
        public float RightInnerBrow { get; init; }
        public float LeftInnerBrow { get; init; }
        public float RightOuterBrow { get; init; }
        public float LeftOuterBrow { get; init; }
        public float CheekWidth { get; init; }
        public float RightCheekHeight { get; init; }
        public float LeftCheekHeight { get; init; }
        public float RightNostrilHeight { get; init; }
        public float LeftNostrilHeight { get; init; }

        public static Measures From(ReadOnlySpan<Vector3> p)
        {
            float rightEyeY = (p[RightEyeOuter].Y + p[RightEyeInner].Y) / 2;
            float leftEyeY = (p[LeftEyeOuter].Y + p[LeftEyeInner].Y) / 2;
            float rightEyeWidth = Vector3.Distance(p[RightEyeOuter], p[RightEyeInner]);
            float leftEyeWidth = Vector3.Distance(p[LeftEyeOuter], p[LeftEyeInner]);
            float rightUpperLidY = p[RightEyeTop].Y;
            float leftUpperLidY = p[LeftEyeTop].Y;
            float midX = (p[NoseBridge].X + p[NoseBase].X) / 2;   // the face's midline: nose bridge and nose base
            float upperLipY = p[UpperLipOuter].Y;
            return new Measures
            {
                RightEyeAperture = (Vector3.Distance(p[RightEyeTop], p[RightEyeBottom]) + Vector3.Distance(p[RightEyeTopInner], p[RightEyeBottomInner]) + Vector3.Distance(p[RightEyeTopOuter], p[RightEyeBottomOuter])) / (3 * rightEyeWidth),
                LeftEyeAperture = (Vector3.Distance(p[LeftEyeTop], p[LeftEyeBottom]) + Vector3.Distance(p[LeftEyeTopInner], p[LeftEyeBottomInner]) + Vector3.Distance(p[LeftEyeTopOuter], p[LeftEyeBottomOuter])) / (3 * leftEyeWidth),
                RightLowerLidRise = p[RightEyeBottom].Y - rightEyeY,
                LeftLowerLidRise = p[LeftEyeBottom].Y - leftEyeY,
                NoseChin = Vector3.Distance(p[NoseBase], p[Chin]),
                ChinSideways = p[Chin].X - midX,
                ChinForward = p[Chin].Z - p[NoseBridge].Z,
                LipGap = Vector3.Distance(p[UpperLipInner], p[LowerLipInner]),
                MouthWidth = Vector3.Distance(p[MouthRight], p[MouthLeft]),
                MouthCentreSideways = ((p[MouthRight].X + p[MouthLeft].X) / 2) - midX,
                RightCornerHeight = p[MouthRight].Y - upperLipY,
                LeftCornerHeight = p[MouthLeft].Y - upperLipY,
                RightCornerOut = midX - p[MouthRight].X,
                LeftCornerOut = p[MouthLeft].X - midX,
                UpperLipThickness = Vector3.Distance(p[UpperLipOuter], p[UpperLipInner]),
                LowerLipThickness = Vector3.Distance(p[LowerLipInner], p[LowerLipOuter]),
                RightLowerLipChin = Vector3.Distance(p[LowerLipInnerRight], p[Chin]),
                LeftLowerLipChin = Vector3.Distance(p[LowerLipInnerLeft], p[Chin]),
                RightUpperLipNose = Vector3.Distance(p[UpperLipInnerRight], p[NoseBase]),
                LeftUpperLipNose = Vector3.Distance(p[UpperLipInnerLeft], p[NoseBase]),
                RightInnerBrow = p[RightBrowInner].Y - rightUpperLidY,
                LeftInnerBrow = p[LeftBrowInner].Y - leftUpperLidY,
                RightOuterBrow = p[RightBrowOuter].Y - rightUpperLidY,
                LeftOuterBrow = p[LeftBrowOuter].Y - leftUpperLidY,
                CheekWidth = Vector3.Distance(p[RightCheek], p[LeftCheek]),
                RightCheekHeight = p[RightCheek].Y - rightEyeY,
                LeftCheekHeight = p[LeftCheek].Y - leftEyeY,
                RightNostrilHeight = p[RightNostril].Y - rightEyeY,
                LeftNostrilHeight = p[LeftNostril].Y - leftEyeY,
            };
        }
    }
}
