using System.Numerics;

namespace Capture.Core.Tracking;

/// <summary>Which hand: the performer's own left or right (not the side of the image it appears on).</summary>
public enum Handedness
{
    Left = 0,
    Right = 1,
}

/// <summary>
/// One hand of a <see cref="TrackingFrame"/>: MediaPipe's 21 hand landmarks (<see cref="HandTopology"/>),
/// in the image and in metres. A frame holds two, filed by the performer's own side
/// (<see cref="TrackingFrame.LeftHand"/>, <see cref="TrackingFrame.RightHand"/>). Arrays are allocated once.
/// </summary>
public sealed class HandObservation(Handedness side)
{
    /// <summary>Which hand this slot holds.</summary>
    public Handedness Side { get; } = side;

    public bool Present { get; set; }

    /// <summary>Hand presence, 0..1: the hand-landmark model's hand flag.</summary>
    public float Score { get; set; }

    /// <summary>
    /// How sure the hand-landmark model is that this is <see cref="Side"/>, 0..1 (its handedness output turned
    /// to the performer's own side). Below 0.5 when the hand was filed by the body's wrist against the model's call.
    /// </summary>
    public float HandednessScore { get; set; }

    /// <summary>
    /// 21 points normalized as the face's: x, y in [0, 1] of the image width and height (a hand at the border
    /// reaches outside), z depth relative to the wrist in x's scale, smaller = nearer the camera.
    /// </summary>
    public Vector3[] Landmarks { get; } = new Vector3[TrackingFrame.HandLandmarkCount];

    /// <summary>
    /// 21 points in metres, MediaPipe's world landmarks: the origin at the hand's geometric centre, the camera's
    /// axes (x right, y down, z away from the camera).
    /// </summary>
    public Vector3[] WorldLandmarks { get; } = new Vector3[TrackingFrame.HandLandmarkCount];

    /// <summary>Landmark <paramref name="index"/> in pixels of an image of the given size.</summary>
    public Vector2 Pixel(int index, int imageWidth, int imageHeight) =>
        new(Landmarks[index].X * imageWidth, Landmarks[index].Y * imageHeight);

    public void Clear()
    {
        Present = false;
        Score = 0;
        HandednessScore = 0;
        Array.Clear(Landmarks);
        Array.Clear(WorldLandmarks);
    }

    /// <summary>Copies every value (not <see cref="Side"/>) into <paramref name="destination"/> without allocating.</summary>
    public void CopyTo(HandObservation destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Present = Present;
        destination.Score = Score;
        destination.HandednessScore = HandednessScore;
        Landmarks.CopyTo(destination.Landmarks, 0);
        WorldLandmarks.CopyTo(destination.WorldLandmarks, 0);
    }
}
