using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capture.Core.Tracking;

namespace Capture.Retargeting;

/// <summary>
/// ARKit blendshapes → face-mesh points: a linear basis, for motion that carries blendshapes but no landmarks
/// (a Live Link Face CSV) or no face at all (a BVH: the neutral face, turned with the head). A face is
/// <c>Neutral + Σ (w − NeutralWeights) · Basis[b]</c> over the 52 shapes, for the 468 mesh points and the 10
/// iris points, then turned by the head and placed in a square image (<see cref="Synthesize"/>).
/// <para>
/// Basis space: the face frontal (the tracker's head pose removed), x right, y down, z away from the camera
/// (the landmarks' own axes), the midpoint between the eye centres at the origin, 1 = the distance between
/// the eye centres (so a distance in it is a normalized mean error against the inter-ocular distance).
/// Fitted by <c>capture models basis</c> from clips Capture tracked itself (ridge regression of each frame's
/// pose-free displacement from the clip's neutral on its blendshapes less the neutral's); the file
/// (<c>models/face-basis-v1.json</c>) says which clips and how well it fits them; docs/face-basis.md.
/// </para>
/// </summary>
public sealed class BlendshapeBasis
{
    /// <summary>The value of the file's "format" key.</summary>
    public const string FormatName = "capture-face-basis";

    /// <summary>The file version this build reads and writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The file, under models/.</summary>
    public const string FileName = "face-basis-v1.json";

    /// <summary>Mesh points and iris points.</summary>
    public const int PointCount = TrackingFrame.FaceLandmarkCount + TrackingFrame.IrisLandmarkCount;

    /// <summary>
    /// The eye-centre distance as a share of a synthesized image's side: 0.16 puts a face about 40 % of the
    /// image high, the size of the shared clips' faces, well inside the frame when the head turns.
    /// </summary>
    public const float EyeDistanceInImage = 0.16f;

    /// <summary>Where the eye midpoint sits in a synthesized image (x, y as shares of its side): a little above the centre, as in a portrait.</summary>
    public static readonly Vector2 EyesInImage = new(0.5f, 0.44f);

    public BlendshapeBasis(Vector3[] neutral, float[] neutralWeights, Vector3[] basis)
    {
        ArgumentNullException.ThrowIfNull(neutral);
        ArgumentNullException.ThrowIfNull(neutralWeights);
        ArgumentNullException.ThrowIfNull(basis);
        if (neutral.Length != PointCount || neutralWeights.Length != ArkitBlendshapes.Count || basis.Length != PointCount * ArkitBlendshapes.Count)
        {
            throw new ArgumentException($"a basis has {PointCount} neutral points, {ArkitBlendshapes.Count} neutral weights and {ArkitBlendshapes.Count}×{PointCount} displacements");
        }

        Neutral = neutral;
        NeutralWeights = neutralWeights;
        Basis = basis;
    }

    /// <summary>The mean neutral face of the clips it was fitted on, in basis space (<see cref="PointCount"/> points).</summary>
    public Vector3[] Neutral { get; }

    /// <summary>The blendshape values of that neutral face (what the tracker reads at rest): weights are taken relative to them.</summary>
    public float[] NeutralWeights { get; }

    /// <summary>Displacement of each point per unit of each blendshape: <c>[b * PointCount + i]</c>.</summary>
    public Vector3[] Basis { get; }

    /// <summary>Free-form facts the file carries (how it was made, the clips, the fit's errors); kept when saving.</summary>
    public JsonObject? Description { get; init; }

    /// <summary>
    /// The face for <paramref name="weights"/> (52, ARKit order) in basis space, into <paramref name="points"/>
    /// (<see cref="PointCount"/>). Allocates nothing.
    /// </summary>
    public void Shape(ReadOnlySpan<float> weights, Span<Vector3> points)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(weights.Length, ArkitBlendshapes.Count, nameof(weights));
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Length, PointCount, nameof(points));
        Neutral.CopyTo(points);
        for (int b = 0; b < ArkitBlendshapes.Count; b++)
        {
            float w = weights[b] - NeutralWeights[b];
            if (w == 0)
            {
                continue;
            }

            ReadOnlySpan<Vector3> row = Basis.AsSpan(b * PointCount, PointCount);
            for (int i = 0; i < PointCount; i++)
            {
                points[i] += row[i] * w;
            }
        }
    }

    /// <summary>
    /// A tracked face made from blendshapes: <see cref="Shape"/>, turned by <paramref name="turn"/> (a rotation in
    /// the landmarks' axes, see <see cref="ImageRotation"/>) about the eye midpoint and placed in a square image
    /// of side <paramref name="imageSide"/>, the eye midpoint at <paramref name="eyes"/> and the eye centres
    /// <paramref name="eyeDistance"/> apart (shares of the side; default <see cref="EyesInImage"/>,
    /// <see cref="EyeDistanceInImage"/>). Writes the face's landmarks, iris, blendshapes (the weights as given),
    /// head pose and presence, and the frame's image size. <paramref name="scratch"/> holds <see cref="PointCount"/>
    /// points. Allocates nothing.
    /// </summary>
    public void Synthesize(ReadOnlySpan<float> weights, Quaternion turn, int imageSide, TrackingFrame frame, Span<Vector3> scratch, Vector2? eyes = null, float eyeDistance = EyeDistanceInImage)
    {
        Vector2 at0 = eyes ?? EyesInImage;
        ArgumentNullException.ThrowIfNull(frame);
        Shape(weights, scratch);
        frame.ImageWidth = imageSide;
        frame.ImageHeight = imageSide;
        FaceObservation face = frame.Face;
        face.Present = true;
        face.Score = 1;
        face.HasIris = true;
        for (int i = 0; i < PointCount; i++)
        {
            Vector3 p = Vector3.Transform(scratch[i], turn) * eyeDistance;
            var at = new Vector3(at0.X + p.X, at0.Y + p.Y, p.Z);
            if (i < TrackingFrame.FaceLandmarkCount)
            {
                face.Landmarks[i] = at;
            }
            else
            {
                face.Iris[i - TrackingFrame.FaceLandmarkCount] = at;
            }
        }

        weights[..ArkitBlendshapes.Count].CopyTo(face.Blendshapes);

        // The camera-space pose (x right, y up, looking down −z) of that turn, 50 cm in front of the camera.
        face.HeadPose = new HeadPose(CameraRotation(turn), new Vector3(0, 0, -50));
    }

    /// <summary>
    /// A camera-space head rotation (<see cref="HeadPose"/>: x right, y up, z toward the viewer) as a rotation in
    /// the landmarks' axes (x right, y down, z away): the same turn seen through the flip of y and z, a half
    /// turn about x, which keeps x and negates the quaternion's y and z.
    /// </summary>
    public static Quaternion ImageRotation(Quaternion camera) => new(camera.X, -camera.Y, -camera.Z, camera.W);

    /// <summary>The inverse of <see cref="ImageRotation"/> (the same flip: it is its own inverse).</summary>
    public static Quaternion CameraRotation(Quaternion image) => new(image.X, -image.Y, -image.Z, image.W);

    /// <summary>Loads a basis file; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static BlendshapeBasis Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a face basis file ({ex.Message})", ex);
        }

        if ((string?)root["format"] != FormatName)
        {
            throw new InvalidDataException($"{path}: not a face basis file (its \"format\" is not \"{FormatName}\")");
        }

        int version = (int?)root["version"] ?? 0;
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{path}: face basis version {version}; this build reads version {FormatVersion} (rebuild it with `capture models basis`)");
        }

        try
        {
            string[] names = [.. root["blendshapes"]!.AsArray().Select(n => (string)n!)];
            if (!names.SequenceEqual(ArkitBlendshapes.Names))
            {
                throw new InvalidDataException($"{path}: its blendshapes are not the 52 ARKit names in ARKit order");
            }

            float[] neutral = Floats(root["neutral"]!, PointCount * 3, path, "neutral");
            float[] weights = [.. root["neutralBlendshapes"]!.AsArray().Select(n => (float)n!)];
            float[] basis = Halves((string)root["basis"]!, PointCount * 3 * ArkitBlendshapes.Count, path);
            if (weights.Length != ArkitBlendshapes.Count)
            {
                throw new InvalidDataException($"{path}: neutralBlendshapes has {weights.Length} values, not {ArkitBlendshapes.Count}");
            }

            return new BlendshapeBasis([.. MemoryMarshal.Cast<float, Vector3>(neutral)], weights, [.. MemoryMarshal.Cast<float, Vector3>(basis)])
            {
                Description = root["description"]?.AsObject().DeepClone().AsObject(),
            };
        }
        catch (Exception ex) when (ex is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a face basis field is missing or malformed ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Writes the file: the neutral face as float32 (exact), the displacements as float16 (a tenth of a
    /// percent of each value: far below what the fit can tell apart, and half the size), base64.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var halves = new Half[Basis.Length * 3];
        ReadOnlySpan<float> flat = MemoryMarshal.Cast<Vector3, float>(Basis);
        for (int i = 0; i < flat.Length; i++)
        {
            halves[i] = (Half)flat[i];
        }

        var root = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["points"] = PointCount,
            ["space"] = "frontal face, x right, y down, z away from the camera; origin the eye-centre midpoint; 1 = eye-centre distance",
            ["blendshapes"] = new JsonArray([.. ArkitBlendshapes.Names.Select(n => (JsonNode)n)]),
            ["neutralBlendshapes"] = new JsonArray([.. NeutralWeights.Select(w => (JsonNode)MathF.Round(w, 5))]),
            ["neutral"] = Convert.ToBase64String(MemoryMarshal.AsBytes(MemoryMarshal.Cast<Vector3, float>(Neutral))),
            ["basis"] = Convert.ToBase64String(MemoryMarshal.AsBytes(halves.AsSpan())),
            ["description"] = Description?.DeepClone(),
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static float[] Floats(JsonNode node, int count, string path, string field)
    {
        byte[] bytes = Convert.FromBase64String((string)node!);
        if (bytes.Length != count * sizeof(float))
        {
            throw new InvalidDataException($"{path}: {field} holds {bytes.Length} bytes, not {count} float32 values");
        }

        return [.. MemoryMarshal.Cast<byte, float>(bytes)];
    }

    private static float[] Halves(string base64, int count, string path)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        if (bytes.Length != count * 2)
        {
            throw new InvalidDataException($"{path}: basis holds {bytes.Length} bytes, not {count} float16 values");
        }

        ReadOnlySpan<Half> halves = MemoryMarshal.Cast<byte, Half>(bytes);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)halves[i];
        }

        return values;
    }
}
