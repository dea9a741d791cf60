using System.Numerics;
using System.Text.Json;
using Capture.Core.Geometry;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// A small JSON file of named face points for characters the tracker cannot read (anime, animals)
/// or reads badly. Format (docs/generator.md, "Rig files"):
/// <code>
/// { "format": "capture-rig", "version": 1, "imageSize": [W, H],
///   "points": { "rightEyeOuter": [x, y], "leftEyeOuter": [x, y], "mouthRight": [x, y], ... } }
/// </code>
/// "right" and "left" are the character's own (a character facing the camera has its right eye on
/// the image's left). Points are pixels of an image of size imageSize (scaled if the picture differs
/// by a uniform factor). The full 468-point face is derived by fitting the canonical face to them
/// (similarity, then a thin-plate correction through every given point), or, when the tracker
/// found a face, by bending the tracked face through them.
/// Optional for a character whose body moves (docs/figure.md): <c>"body"</c>, the joints in MediaPipe pose's names
/// (<c>{ "left_shoulder": [x, y], … }</c>, only the joints placed), and <c>"mask"</c>, the figure as a PNG data URL
/// (<c>"data:image/png;base64,…"</c>, white = figure) — what the rig page saves. With body joints the face points may be
/// left out (a stick figure has no face to mark).
/// </summary>
public sealed class RigFile
{
    public const string FormatName = "capture-rig";
    public const int CurrentVersion = 1;

    /// <summary>Point names and the mesh index each one sets.</summary>
    public static IReadOnlyDictionary<string, int> PointNames { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["rightEyeOuter"] = FaceTopology.RightEyeOuter,
        ["rightEyeInner"] = FaceTopology.RightEyeInner,
        ["rightEyeTop"] = FaceTopology.RightEyeTop,
        ["rightEyeBottom"] = FaceTopology.RightEyeBottom,
        ["leftEyeInner"] = FaceTopology.LeftEyeInner,
        ["leftEyeOuter"] = FaceTopology.LeftEyeOuter,
        ["leftEyeTop"] = FaceTopology.LeftEyeTop,
        ["leftEyeBottom"] = FaceTopology.LeftEyeBottom,
        ["rightBrowOuter"] = 70,
        ["rightBrowMiddle"] = 105,
        ["rightBrowInner"] = 107,
        ["leftBrowInner"] = 336,
        ["leftBrowMiddle"] = 334,
        ["leftBrowOuter"] = 300,
        ["noseBridge"] = 168,
        ["noseTip"] = FaceTopology.NoseTip,
        ["mouthRight"] = FaceTopology.MouthRight,
        ["mouthLeft"] = FaceTopology.MouthLeft,
        ["upperLipTop"] = FaceTopology.UpperLipOuter,
        ["upperLipInner"] = FaceTopology.UpperLipInner,
        ["lowerLipInner"] = FaceTopology.LowerLipInner,
        ["lowerLipBottom"] = FaceTopology.LowerLipOuter,
        ["chin"] = FaceTopology.Chin,
        ["foreheadTop"] = FaceTopology.ForeheadTop,
        ["rightCheek"] = FaceTopology.RightFaceSide,
        ["leftCheek"] = FaceTopology.LeftFaceSide,
        ["rightJaw"] = 172,
        ["leftJaw"] = 397,
    };

    /// <summary>The largest mask a rig file may carry (decoded from base64); a 4096² two-colour PNG is far below it.</summary>
    public const int MaxMaskBytes = 8 * 1024 * 1024;

    private const string MaskPrefix = "data:image/png;base64,";

    private RigFile(string path, int width, int height, IReadOnlyList<(string Name, int Index, Vector2 Point)> points, string? image, string? imageSha256)
    {
        Path = path;
        ImageWidth = width;
        ImageHeight = height;
        Points = points;
        Image = image;
        ImageSha256 = imageSha256;
    }

    public string Path { get; }

    /// <summary>The file name of the picture the points were placed on (<c>"image"</c>), as the rig page saw it; null when not given.</summary>
    public string? Image { get; }

    /// <summary>
    /// SHA-256 of the picture file's bytes (<c>"imageSha256"</c>, 64 lowercase hex digits) the points were placed on;
    /// null in rigs made before it was recorded (then only the picture's shape is checked).
    /// </summary>
    public string? ImageSha256 { get; }

    /// <summary>
    /// Refuses a picture other than the one the rig was made for (when the rig names it by content hash): two pictures
    /// of the same shape would otherwise take each other's points (a mouth placed on a chest).
    /// </summary>
    /// <param name="pictureSha256">SHA-256 of the picture file's bytes, lowercase hex.</param>
    /// <param name="pictureName">How the picture is named in the message.</param>
    /// <exception cref="InvalidDataException">The rig belongs to another picture; the message names it.</exception>
    public void CheckPicture(string pictureSha256, string pictureName)
    {
        ArgumentNullException.ThrowIfNull(pictureSha256);
        if (ImageSha256 is null || string.Equals(ImageSha256, pictureSha256, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        string owner = Image is { Length: > 0 } name ? $"'{name}'" : "another picture";
        throw new InvalidDataException(
            $"rig file {Path} belongs to the picture {owner} (SHA-256 {ImageSha256[..12]}…), not to {pictureName} (SHA-256 {pictureSha256[..12]}…): " +
            "mark this picture's face on the rig page and send the rig it saves, or send the picture the rig was made for");
    }

    public int ImageWidth { get; }

    /// <summary>
    /// The body joints placed on the rig page (<c>"body"</c>): 33 points in pose order, pixels of an ImageWidth × ImageHeight
    /// image, meaningful where <see cref="BodyKnown"/>; null when the rig has no body.
    /// </summary>
    public Vector2[]? BodyJoints { get; private init; }

    /// <summary>Which of <see cref="BodyJoints"/> were placed; null when the rig has no body.</summary>
    public bool[]? BodyKnown { get; private init; }

    /// <summary>The figure mask's PNG bytes (<c>"mask"</c>, white = figure, the picture's shape); null when none.</summary>
    public byte[]? MaskPng { get; private init; }

    /// <summary>The body joints scaled to a picture of the given size (the rig's own shape), or null when the rig has none.</summary>
    public Vector2[]? BodyJointsFor(int pictureWidth, int pictureHeight)
    {
        if (BodyJoints is null)
        {
            return null;
        }

        CheckShape(pictureWidth, pictureHeight);
        var scale = new Vector2((float)pictureWidth / ImageWidth, (float)pictureHeight / ImageHeight);
        return [.. BodyJoints.Select(j => j * scale)];
    }

    private void CheckShape(int pictureWidth, int pictureHeight)
    {
        float sx = (float)pictureWidth / ImageWidth;
        float sy = (float)pictureHeight / ImageHeight;
        if (MathF.Abs(sx - sy) > 0.02f * MathF.Max(sx, sy))
        {
            throw new InvalidDataException(
                $"rig file {Path}: imageSize {ImageWidth}x{ImageHeight} does not have the picture's shape ({pictureWidth}x{pictureHeight}); the points would land in the wrong places");
        }
    }

    public int ImageHeight { get; }

    /// <summary>True when the rig marks a face (named points); a body rig may have none.</summary>
    public bool HasFace => Points.Count > 0;

    /// <summary>The named points in file order, pixels of an ImageWidth × ImageHeight image.</summary>
    public IReadOnlyList<(string Name, int Index, Vector2 Point)> Points { get; }

    /// <summary>Reads and checks a rig file; every problem is an <see cref="InvalidDataException"/> naming the file and the field.</summary>
    public static RigFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"rig file {path} does not exist", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses rig JSON text; <paramref name="path"/> names it in errors.</summary>
    public static RigFile Parse(string json, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"rig file {path} is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "the top level must be an object");
            }

            string format = root.TryGetProperty("format", out JsonElement f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "";
            if (format != FormatName)
            {
                throw Error(path, $"\"format\" must be \"{FormatName}\"");
            }

            if (!root.TryGetProperty("version", out JsonElement v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version) || version != CurrentVersion)
            {
                throw Error(path, $"\"version\" must be {CurrentVersion}");
            }

            if (!root.TryGetProperty("imageSize", out JsonElement size) || !TryPair(size, out Vector2 wh) || wh.X < 1 || wh.Y < 1)
            {
                throw Error(path, "\"imageSize\" must be [width, height] in pixels, the size the points were measured on");
            }

            if (!root.TryGetProperty("points", out JsonElement pts) || pts.ValueKind != JsonValueKind.Object)
            {
                throw Error(path, "\"points\" must be an object of named [x, y] points");
            }

            var points = new List<(string, int, Vector2)>();
            foreach (JsonProperty p in pts.EnumerateObject())
            {
                if (!PointNames.TryGetValue(p.Name, out int index))
                {
                    throw Error(path, $"unknown point \"{p.Name}\"; known points: {string.Join(", ", PointNames.Keys)}");
                }

                if (!TryPair(p.Value, out Vector2 xy))
                {
                    throw Error(path, $"point \"{p.Name}\" must be [x, y] (two numbers)");
                }

                if (xy.X < -wh.X || xy.Y < -wh.Y || xy.X > 2 * wh.X || xy.Y > 2 * wh.Y)
                {
                    throw Error(path, $"point \"{p.Name}\" [{xy.X}, {xy.Y}] is far outside the {wh.X}x{wh.Y} image");
                }

                points.Add((p.Name, index, xy));
            }

            (Vector2[]? body, bool[]? known) = ParseBody(root, path, wh);
            bool right = points.Any(p => p.Item1.StartsWith("rightEye", StringComparison.Ordinal));
            bool left = points.Any(p => p.Item1.StartsWith("leftEye", StringComparison.Ordinal));
            bool mouth = points.Any(p => p.Item1.StartsWith("mouth", StringComparison.Ordinal) || p.Item1.Contains("Lip", StringComparison.Ordinal));
            // A body rig may leave the face out (a stick figure has none to mark); face points given must still make a face.
            if ((body is null || points.Count > 0) && (points.Count < 4 || !right || !left || !mouth))
            {
                throw Error(path, body is null
                    ? "needs at least 4 points, among them a rightEye… point, a leftEye… point and a mouth or lip point"
                    : "the face points need at least 4 points, among them a rightEye… point, a leftEye… point and a mouth or lip point (or none: the body alone)");
            }

            byte[]? mask = null;
            if (root.TryGetProperty("mask", out JsonElement m) && m.ValueKind != JsonValueKind.Null)
            {
                mask = ParseMask(m, path);
            }

            string? image = root.TryGetProperty("image", out JsonElement im) && im.ValueKind == JsonValueKind.String ? im.GetString() : null;
            string? sha = null;
            if (root.TryGetProperty("imageSha256", out JsonElement h) && h.ValueKind != JsonValueKind.Null)
            {
                sha = h.ValueKind == JsonValueKind.String ? h.GetString() : null;
                if (sha is null || sha.Length != 64 || !sha.All(char.IsAsciiHexDigit))
                {
                    throw Error(path, "\"imageSha256\" must be the picture file's SHA-256 as 64 hex digits");
                }

                sha = sha.ToLowerInvariant();
            }

            return new RigFile(path, (int)wh.X, (int)wh.Y, points, image, sha) { BodyJoints = body, BodyKnown = known, MaskPng = mask };
        }
    }

    private static (Vector2[]? Joints, bool[]? Known) ParseBody(JsonElement root, string path, Vector2 size)
    {
        if (!root.TryGetProperty("body", out JsonElement b) || b.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (b.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, "\"body\" must be an object of joints named as MediaPipe pose names them ({\"left_shoulder\": [x, y], …})");
        }

        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[TrackingFrame.BodyLandmarkCount];
        foreach (JsonProperty p in b.EnumerateObject())
        {
            int index = IndexOfJoint(p.Name);
            if (index < 0)
            {
                throw Error(path, $"unknown body joint \"{p.Name}\"; known joints: {string.Join(", ", BodyTopology.Names)}");
            }

            if (!TryPair(p.Value, out Vector2 xy))
            {
                throw Error(path, $"body joint \"{p.Name}\" must be [x, y] (two numbers)");
            }

            if (xy.X < 0 || xy.Y < 0 || xy.X > size.X || xy.Y > size.Y)
            {
                throw Error(path, $"body joint \"{p.Name}\" [{xy.X}, {xy.Y}] lies outside the {size.X}x{size.Y} image");
            }

            joints[index] = xy;
            known[index] = true;
        }

        return (joints, known);
    }

    private static int IndexOfJoint(string name)
    {
        for (int i = 0; i < BodyTopology.Names.Count; i++)
        {
            if (BodyTopology.Names[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static byte[] ParseMask(JsonElement m, string path)
    {
        string? text = m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (text is null || !text.StartsWith(MaskPrefix, StringComparison.Ordinal))
        {
            throw Error(path, "\"mask\" must be a PNG data URL (\"data:image/png;base64,…\"), white = figure");
        }

        if ((text.Length - MaskPrefix.Length) / 4 * 3 > MaxMaskBytes)
        {
            throw Error(path, $"\"mask\" is larger than {MaxMaskBytes / (1024 * 1024)} MiB");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text[MaskPrefix.Length..]);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"rig file {path}: \"mask\" is not valid base64 ({ex.Message})", ex);
        }

        ReadOnlySpan<byte> png = [0x89, (byte)'P', (byte)'N', (byte)'G'];
        if (bytes.Length < 8 || !bytes.AsSpan(0, 4).SequenceEqual(png))
        {
            throw Error(path, "\"mask\" is not a PNG picture");
        }

        return bytes;
    }

    /// <summary>
    /// The full face in pixels of a picture of the given size: the canonical face (centimetres,
    /// x right, y up, z toward the camera) fitted to the points by a 2-D similarity, then bent
    /// through every point; or, with <paramref name="tracked"/>, the tracked face bent through them.
    /// </summary>
    public Vector3[] FitFace(ReadOnlySpan<Vector3> canonical, int pictureWidth, int pictureHeight, ReadOnlySpan<Vector3> tracked = default)
    {
        CheckShape(pictureWidth, pictureHeight);
        float sx = (float)pictureWidth / ImageWidth;
        float sy = (float)pictureHeight / ImageHeight;
        int n = Points.Count;
        var targets = new Vector2[n];
        for (int i = 0; i < n; i++)
        {
            targets[i] = Points[i].Point * new Vector2(sx, sy);
        }

        var face = new Vector3[TrackingFrame.FaceLandmarkCount];
        if (tracked.Length == TrackingFrame.FaceLandmarkCount)
        {
            tracked.CopyTo(face);
        }
        else
        {
            if (canonical.Length != TrackingFrame.FaceLandmarkCount)
            {
                throw new ArgumentException("the canonical face must have 468 points", nameof(canonical));
            }

            // Image orientation: y down, z away from the camera.
            var image = new Vector2[canonical.Length];
            for (int i = 0; i < canonical.Length; i++)
            {
                image[i] = new Vector2(canonical[i].X, -canonical[i].Y);
            }

            (float scale, float angle, Vector2 shift) = FitSimilarity2D(image, targets);
            (float sin, float cos) = MathF.SinCos(angle);
            for (int i = 0; i < canonical.Length; i++)
            {
                Vector2 p = image[i];
                var q = new Vector2((cos * p.X) - (sin * p.Y), (sin * p.X) + (cos * p.Y));
                face[i] = new Vector3((scale * q) + shift, -canonical[i].Z * scale);
            }
        }

        BendThrough(face, targets);
        return face;
    }

    /// <summary>
    /// True when a tracked face (picture pixels) lies near the named points: within a quarter of
    /// the eye distance on average. A face far from them (the tracker saw something else) is not
    /// worth correcting; the canonical face fitted to the points is better.
    /// </summary>
    public bool Agrees(ReadOnlySpan<Vector3> tracked, int pictureWidth, int pictureHeight)
    {
        var scale = new Vector2((float)pictureWidth / ImageWidth, (float)pictureHeight / ImageHeight);
        Vector2 right = Vector2.Zero, left = Vector2.Zero;
        int nr = 0, nl = 0;
        double sum = 0;
        foreach ((string name, int index, Vector2 point) in Points)
        {
            Vector2 target = point * scale;
            sum += Vector2.DistanceSquared(target, new Vector2(tracked[index].X, tracked[index].Y));
            if (name.StartsWith("rightEye", StringComparison.Ordinal))
            {
                right += target;
                nr++;
            }
            else if (name.StartsWith("leftEye", StringComparison.Ordinal))
            {
                left += target;
                nl++;
            }
        }

        float eyes = Vector2.Distance(right / nr, left / nl);
        return Math.Sqrt(sum / Points.Count) < 0.25 * eyes;
    }

    private (float Scale, float Angle, Vector2 Shift) FitSimilarity2D(Vector2[] image, Vector2[] targets)
    {
        Vector2 ca = Vector2.Zero;
        Vector2 cb = Vector2.Zero;
        for (int i = 0; i < targets.Length; i++)
        {
            ca += image[Points[i].Index];
            cb += targets[i];
        }

        ca /= targets.Length;
        cb /= targets.Length;
        double a = 0, b = 0, norm = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            Vector2 p = image[Points[i].Index] - ca;
            Vector2 q = targets[i] - cb;
            a += (p.X * q.X) + (p.Y * q.Y);
            b += (p.X * q.Y) - (p.Y * q.X);
            norm += p.LengthSquared();
        }

        float angle = (float)Math.Atan2(b, a);
        float scale = (float)(Math.Sqrt((a * a) + (b * b)) / norm);
        (float sin, float cos) = MathF.SinCos(angle);
        var rotated = new Vector2((cos * ca.X) - (sin * ca.Y), (sin * ca.X) + (cos * ca.Y));
        return (scale, angle, cb - (scale * rotated));
    }

    // Moves every point by a thin-plate spline of the residuals, so each named point lands exactly.
    private void BendThrough(Vector3[] face, Vector2[] targets)
    {
        int n = targets.Length;
        var centers = new Vector2[n];
        var residuals = new Vector2[n];
        Vector2 origin = Vector2.Zero;
        float extent = 1;
        for (int i = 0; i < n; i++)
        {
            origin += targets[i];
        }

        origin /= n;
        for (int i = 0; i < n; i++)
        {
            extent = MathF.Max(extent, Vector2.Distance(targets[i], origin));
        }

        for (int i = 0; i < n; i++)
        {
            Vector3 p = face[Points[i].Index];
            centers[i] = (new Vector2(p.X, p.Y) - origin) / extent;
            residuals[i] = (targets[i] - new Vector2(p.X, p.Y)) / extent;
        }

        var spline = new ThinPlateSpline(n) { Regularization = 1e-6 };
        try
        {
            spline.Solve(centers, residuals);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"rig file {Path}: the points are repeated or all on one line, so no face can be fitted to them", ex);
        }

        for (int i = 0; i < face.Length; i++)
        {
            Vector2 p = (new Vector2(face[i].X, face[i].Y) - origin) / extent;
            Vector2 d = spline.Evaluate(p) * extent;
            face[i] = new Vector3(face[i].X + d.X, face[i].Y + d.Y, face[i].Z);
        }
    }

    private static bool TryPair(JsonElement e, out Vector2 value)
    {
        value = default;
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 2)
        {
            return false;
        }

        // TryGet… throws (not false) on a non-number such as "NaN" as a string: check the kind first.
        if (e[0].ValueKind != JsonValueKind.Number || e[1].ValueKind != JsonValueKind.Number ||
            !e[0].TryGetSingle(out float x) || !e[1].TryGetSingle(out float y) || !float.IsFinite(x) || !float.IsFinite(y))
        {
            return false;
        }

        value = new Vector2(x, y);
        return true;
    }

    private static InvalidDataException Error(string path, string problem) => new($"rig file {path}: {problem}");
}
