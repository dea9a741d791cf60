namespace Capture.Retargeting;

/// <summary>How strongly the performer's motion is passed to the character.</summary>
public sealed record RetargetGains
{
    /// <summary>Expression intensity 1..5 (as Act-Two's slider): 3 is the performer's own amount.</summary>
    public float Intensity { get; init; } = 3;

    /// <summary>Extra gain on lip and jaw motion.</summary>
    public float Mouth { get; init; } = 1;

    /// <summary>Extra gain on lid and blink motion.</summary>
    public float Eyes { get; init; } = 1;

    /// <summary>Gain on head rotation, translation and lean (0 keeps the head still).</summary>
    public float HeadMotion { get; init; } = 1;

    /// <summary>
    /// Move the face with the performer's head position and lean (toward the camera). Off when a body
    /// carries the head (<c>BodyRetargeter</c>): the head's place comes from the body, the face keeps
    /// its rotation and expression.
    /// </summary>
    public bool FollowHeadPosition { get; init; } = true;

    /// <summary>Seconds to ease to neutral when the face is lost, and back when it returns.</summary>
    public float EaseSeconds { get; init; } = 0.3f;

    /// <summary>
    /// Keep the character alive while the face is lost (<see cref="IdleMotion"/>: breathing, blinks, glances, eased in
    /// and out with the face over <see cref="EaseSeconds"/>); false leaves it still at neutral.
    /// </summary>
    public bool Idle { get; init; } = true;

    /// <summary>Multiplier on expression for an intensity 1..5: 0.6, 0.8, 1.0, 1.25, 1.5 (linear between).</summary>
    public static float IntensityScale(float intensity)
    {
        float i = Math.Clamp(intensity, 1, 5);
        return i <= 3 ? 0.6f + (0.2f * (i - 1)) : 1f + (0.25f * (i - 3));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values a user could mistype.</summary>
    public void Validate()
    {
        if (Intensity is < 1 or > 5 || float.IsNaN(Intensity))
        {
            throw new ArgumentOutOfRangeException(nameof(Intensity), Intensity, "intensity must be between 1 and 5");
        }

        foreach ((string name, float value) in new[] { ("mouth", Mouth), ("eyes", Eyes), ("head motion", HeadMotion) })
        {
            if (value is < 0 or > 4 || float.IsNaN(value))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} gain must be between 0 and 4");
            }
        }
    }
}
