using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Calibration;

/// <summary>Rest value and observed peak of one ARKit blendshape for one performer.</summary>
public sealed record BlendshapeRange(float Neutral, float Max)
{
    /// <summary>Maps a raw value to 0..1 of this performer's own range.</summary>
    public float Normalize(float value) => Max - Neutral < 1e-3f ? Math.Clamp(value, 0, 1) : Math.Clamp((value - Neutral) / (Max - Neutral), 0, 1);
}

/// <summary>
/// How one performer's face looks at rest, so that only what they change is passed on to a
/// character. Saved as JSON (<c>capture calibrate</c>); fields are described in calibration/README.md.
/// </summary>
public sealed class PerformerProfile
{
    public const string FormatName = "capture-performer";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public string Format { get; set; } = FormatName;

    public int Version { get; set; } = CurrentVersion;

    public string Name { get; set; } = "default";

    /// <summary>The clip or camera the neutral came from (informational).</summary>
    public string? Source { get; set; }

    /// <summary>Frames averaged into the neutral.</summary>
    public int Frames { get; set; }

    /// <summary>
    /// The neutral face, 468 × (x, y, z), in eye-distance units, origin at the midpoint of the eye
    /// centres, axes as the camera saw them (x right, y down, z away). Null: take the neutral from
    /// the first second of each driving clip.
    /// </summary>
    public float[][]? NeutralLandmarks { get; set; }

    /// <summary>Eye distance at rest as a fraction of the image height.</summary>
    public float NeutralScale { get; set; }

    /// <summary>Eye midpoint at rest, in image-height units (x, y, z).</summary>
    public float[]? NeutralPosition { get; set; }

    /// <summary>
    /// Where the irises sit at rest, each in its eye's own frame (see <see cref="FaceMeasures.ToEyeFrame"/>):
    /// right x, right y, left x, left y. Null when the calibration frames had no iris points: then
    /// the character's gaze does not move.
    /// </summary>
    public float[]? NeutralGaze { get; set; }

    /// <summary>Per-blendshape rest value and peak, keyed by ARKit name.</summary>
    public Dictionary<string, BlendshapeRange> Blendshapes { get; set; } = [];

    /// <summary>True when this profile carries a neutral face.</summary>
    [JsonIgnore]
    public bool HasNeutral => NeutralLandmarks is not null;

    /// <summary>The neutral as vectors (copy). Throws when there is none.</summary>
    public Vector3[] NeutralVectors()
    {
        float[][] n = NeutralLandmarks ?? throw new InvalidOperationException("this profile has no neutral face");
        var result = new Vector3[n.Length];
        for (int i = 0; i < n.Length; i++)
        {
            result[i] = new Vector3(n[i][0], n[i][1], n[i][2]);
        }

        return result;
    }

    /// <summary>A profile with no neutral (first second of each clip) and full 0..1 blendshape ranges.</summary>
    public static PerformerProfile CreateDefault()
    {
        var profile = new PerformerProfile { Name = "default" };
        foreach (string name in ArkitBlendshapes.Names)
        {
            profile.Blendshapes[name] = new BlendshapeRange(0, 1);
        }

        return profile;
    }

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    public async Task SaveAsync(string path, CancellationToken ct = default)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await File.WriteAllTextAsync(path, ToJson(), ct).ConfigureAwait(false);
    }

    /// <summary>Reads and checks a profile; every problem is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static PerformerProfile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"performer profile {path} does not exist (make one with: capture calibrate CLIP -o {path})", path);
        }

        PerformerProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<PerformerProfile>(File.ReadAllText(path), s_json);
        }
        catch (JsonException ex)
        {
            // The serializer's own text names .NET types ("could not be converted to System.Int32"): say where instead.
            string where = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}");
            // A syntax error comes with the reader's (internal) JsonReaderException inside; anything else is JSON that
            // parsed but held a value of the wrong type at ex.Path.
            throw new InvalidDataException(
                ex.InnerException?.GetType().Name == "JsonReaderException" ? $"performer profile {path} is not valid JSON ({where})"
                : ex.Path is { Length: > 1 } field ? $"performer profile {path}: {field} has the wrong type ({where})"
                : $"performer profile {path} is not a profile: the top level must be an object ({where})", ex);
        }

        if (profile is null)
        {
            throw new InvalidDataException($"performer profile {path} is empty");
        }

        profile.Validate(path);
        return profile;
    }

    private void Validate(string path)
    {
        if (Format != FormatName)
        {
            throw new InvalidDataException($"performer profile {path}: format is '{Format}', expected '{FormatName}'");
        }

        if (Version != CurrentVersion)
        {
            throw new InvalidDataException($"performer profile {path}: version {Version} is not supported (this build reads {CurrentVersion})");
        }

        if (NeutralLandmarks is { } n)
        {
            if (n.Length != TrackingFrame.FaceLandmarkCount || n.Any(p => p is null || p.Length != 3 || p.Any(v => !float.IsFinite(v))))
            {
                throw new InvalidDataException($"performer profile {path}: neutralLandmarks must be {TrackingFrame.FaceLandmarkCount} finite [x, y, z] triples");
            }

            if (!(NeutralScale > 0) || NeutralPosition is not { Length: 3 })
            {
                throw new InvalidDataException($"performer profile {path}: a neutral needs neutralScale > 0 and neutralPosition [x, y, z]");
            }
        }

        foreach (string name in Blendshapes.Keys)
        {
            if (ArkitBlendshapes.IndexOf(name) < 0)
            {
                throw new InvalidDataException($"performer profile {path}: '{name}' is not an ARKit blendshape name");
            }
        }
    }
}
