using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Capture.Tracking.Tests.Reference;

/// <summary>Which of MediaPipe's JS solutions a run uses.</summary>
public enum MediaPipeSolution
{
    /// <summary><c>@mediapipe/face_mesh</c>: 468 face landmarks (no attention model), one face.</summary>
    FaceMesh,

    /// <summary><c>@mediapipe/pose</c>: 33 body landmarks, model complexity 1.</summary>
    Pose,

    /// <summary>Both, one after the other, on the same inputs (one browser).</summary>
    Both,

    /// <summary><c>@mediapipe/hands</c>: 21 landmarks and 21 world landmarks a hand, up to two hands, model complexity 1.</summary>
    Hands,

    /// <summary><c>@mediapipe/holistic</c>: the pose (33) and the hands found from its wrists (21 landmarks each), model complexity 1.</summary>
    Holistic,
}

/// <summary>One face found by MediaPipe face_mesh.</summary>
/// <param name="Landmarks">468 points, MediaPipe's normalised coordinates: x, y in [0, 1] of the image
/// width and height, z relative depth in about the scale of x.</param>
/// <param name="PoseTransform">Only from <see cref="MediaPipeJs.RunFaceGeometryAsync"/>: face geometry's pose
/// transform, canonical face (cm) → MediaPipe's face-geometry camera space (cm; x right, y up, camera at
/// the origin looking down −z), as a System.Numerics matrix (row vectors: <c>Vector3.Transform(p, m)</c>,
/// translation in M41..M43), i.e. the transpose of MediaPipe's column-vector matrix.</param>
public sealed record MediaPipeFace(IReadOnlyList<Vector3> Landmarks, Matrix4x4? PoseTransform = null);

/// <summary>The body found by MediaPipe pose.</summary>
/// <param name="Landmarks">33 points: normalised x, y, z as for faces, W = visibility.</param>
/// <param name="WorldLandmarks">33 points in metres, origin between the hips, W = visibility.</param>
public sealed record MediaPipePose(IReadOnlyList<Vector4> Landmarks, IReadOnlyList<Vector4> WorldLandmarks);

/// <summary>One hand found by MediaPipe hands.</summary>
/// <param name="Landmarks">21 points, normalised as for faces (z relative to the wrist).</param>
/// <param name="WorldLandmarks">21 points in metres, origin at the hand's centre.</param>
/// <param name="Label">MediaPipe's label, "Left" or "Right": Hands' handedness, which assumes a mirrored (selfie)
/// image, so for the unmirrored inputs here "Left" is the performer's right hand; Holistic's, the body's own side.</param>
/// <param name="Score">The handedness score (Hands); NaN for Holistic.</param>
/// <param name="PerformerSide">The performer's own hand, whichever solution labelled it.</param>
public sealed record MediaPipeHand(IReadOnlyList<Vector3> Landmarks, IReadOnlyList<Vector3> WorldLandmarks, string Label, float Score,
    Capture.Core.Tracking.Handedness PerformerSide);

/// <summary>MediaPipe's answer for one image or video frame.</summary>
/// <param name="File">The image path (absolute); for video frames, the video path.</param>
/// <param name="Index">The position among the inputs (image order, or the frame number).</param>
/// <param name="Faces">Faces found; empty when none, or when face_mesh did not run.</param>
/// <param name="Pose">The body found; null when none, or when pose did not run.</param>
/// <param name="Hands">Hands found; empty when none, or when hands did not run.</param>
public sealed record MediaPipeResult(string File, int Index, int Width, int Height, IReadOnlyList<MediaPipeFace> Faces, MediaPipePose? Pose,
    IReadOnlyList<MediaPipeHand>? Hands = null);

/// <summary>How fast one solution ran over a video: only MediaPipe's <c>send()</c> is timed (no decoding).</summary>
/// <param name="Fps">Frames a second over the timed frames (after the warm-up frames).</param>
public sealed record MediaPipeTiming(double Fps, double MedianMs, double MeanMs, int FramesTimed, int WarmupFrames, double FirstFrameMs, double InitMs);

/// <summary>MediaPipe's answers for a video, frame by frame, and the time each solution took.</summary>
/// <param name="Frames">Per frame; empty when the run asked for timing only.</param>
public sealed record MediaPipeVideoResult(IReadOnlyList<MediaPipeResult> Frames, MediaPipeTiming? FaceMesh, MediaPipeTiming? Pose, MediaPipeTiming? Hands = null);

/// <summary>
/// Runs MediaPipe's own JS solutions in headless Chromium through <c>tests/mediapipe-js/run.mjs</c>
/// (see its README): the reference the C# tracker is checked against. One node process and one
/// browser launch per call, however many images; the process is killed when the call is cancelled.
/// </summary>
public static class MediaPipeJs
{
    private static readonly Lazy<string> s_script = new(FindScript);

    /// <summary>Face mesh on still images. <paramref name="staticMode"/> runs the detector on every image;
    /// otherwise each image is tracked from the previous one, like video frames.</summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunFaceMeshAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.FaceMesh, images, staticMode, cancellationToken);

    /// <summary>Face mesh with <c>refineLandmarks: true</c> (the attention model) on still images: 478 points a face,
    /// 468–472 the iris of the subject's right eye, 473–477 the left.</summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunFaceMeshRefinedAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.FaceMesh, images, staticMode, geometry: false, cancellationToken, refine: true);

    /// <summary>
    /// Hands (up to two, model complexity 1) on still images; <paramref name="staticMode"/> as for <see cref="RunFaceMeshAsync"/>.
    /// The models run with the solution's <c>useCpuInference</c> (TFLite XNNPACK in wasm): here about 20× faster than its
    /// WebGL path on SwiftShader, with landmarks 0.1–0.4 px from it on the gesture clip.
    /// </summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunHandsAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.Hands, images, staticMode, geometry: false, cancellationToken, cpuInference: true);

    /// <summary>
    /// Holistic (pose, and the hands it finds from the pose's wrists; no smoothing) on still images, models on the CPU
    /// as <see cref="RunHandsAsync"/>; <paramref name="staticMode"/> as for <see cref="RunFaceMeshAsync"/>.
    /// </summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunHolisticAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.Holistic, images, staticMode, geometry: false, cancellationToken, cpuInference: true);

    /// <summary>Pose on still images; <paramref name="staticMode"/> as for <see cref="RunFaceMeshAsync"/>.</summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunPoseAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.Pose, images, staticMode, cancellationToken);

    /// <summary>
    /// Pose tracked over still images taken as consecutive video frames at <paramref name="fps"/>: each is stamped
    /// at its index / fps, so pose's time-based smoothing of its auxiliary points (always on; they place the next
    /// frame's region) sees the clip's own frame rate rather than how fast the browser happened to run.
    /// </summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunPoseTrackedAsync(IEnumerable<string> images, double fps, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.Pose, images, staticMode: false, geometry: false, cancellationToken, fps: fps);

    /// <summary>Face mesh with face geometry (<c>enableFaceGeometry</c>, MediaPipe's default 63° vertical
    /// field of view) on still images: every face carries its <see cref="MediaPipeFace.PoseTransform"/>.</summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunFaceGeometryAsync(IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(MediaPipeSolution.FaceMesh, images, staticMode, geometry: true, cancellationToken);

    /// <summary>One or both solutions on still images, in one browser.</summary>
    public static Task<IReadOnlyList<MediaPipeResult>> RunImagesAsync(MediaPipeSolution solution, IEnumerable<string> images, bool staticMode, CancellationToken cancellationToken = default)
        => RunImagesAsync(solution, images, staticMode, geometry: false, cancellationToken);

    private static async Task<IReadOnlyList<MediaPipeResult>> RunImagesAsync(MediaPipeSolution solution, IEnumerable<string> images, bool staticMode, bool geometry,
        CancellationToken cancellationToken, bool refine = false, bool cpuInference = false, double? fps = null)
    {
        List<string> args = ["--solution", SolutionArgument(solution), "--images"];
        int count = args.Count;
        args.AddRange(images.Select(Path.GetFullPath));
        if (args.Count == count)
        {
            throw new ArgumentException("at least one image is needed", nameof(images));
        }

        if (staticMode)
        {
            args.Add("--static");
        }

        if (geometry)
        {
            args.Add("--geometry");
        }

        if (refine)
        {
            args.Add("--refine");
        }

        if (cpuInference)
        {
            args.Add("--cpu");
        }

        if (fps is double rate)
        {
            args.Add("--fps");
            args.Add(rate.ToString(CultureInfo.InvariantCulture));
        }

        using JsonDocument doc = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        JsonElement list = doc.RootElement.GetProperty("images");
        var results = new List<MediaPipeResult>(list.GetArrayLength());
        int index = 0;
        foreach (JsonElement image in list.EnumerateArray())
        {
            results.Add(ParseResult(image, image.GetProperty("file").GetString()!, index++));
        }

        return results;
    }

    /// <summary>
    /// One or both solutions over a video scaled to <paramref name="width"/>×<paramref name="height"/>
    /// (<paramref name="fit"/>: <c>pad</c>, <c>crop</c> or <c>stretch</c>), in tracking mode unless
    /// <paramref name="staticMode"/>; at most <paramref name="maxFrames"/> frames when given.
    /// With <paramref name="withLandmarks"/> false only the timing comes back. <paramref name="cpuInference"/> runs the
    /// solution's models with its <c>useCpuInference</c> option (TFLite XNNPACK in wasm) instead of WebGL.
    /// </summary>
    public static async Task<MediaPipeVideoResult> RunVideoAsync(
        MediaPipeSolution solution, string video, int width, int height, int? maxFrames = null, string fit = "pad",
        bool staticMode = false, bool withLandmarks = true, CancellationToken cancellationToken = default, bool cpuInference = false)
    {
        string path = Path.GetFullPath(video);
        List<string> args =
        [
            "--solution", SolutionArgument(solution), "--video", path,
            "--width", width.ToString(CultureInfo.InvariantCulture), "--height", height.ToString(CultureInfo.InvariantCulture),
            "--fit", fit,
        ];
        if (maxFrames is int n)
        {
            args.Add("--frames");
            args.Add(n.ToString(CultureInfo.InvariantCulture));
        }

        if (staticMode)
        {
            args.Add("--static");
        }

        if (!withLandmarks)
        {
            args.Add("--no-landmarks");
        }

        if (cpuInference)
        {
            args.Add("--cpu");
        }

        using JsonDocument doc = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        JsonElement root = doc.RootElement;
        var frames = new List<MediaPipeResult>();
        if (root.TryGetProperty("frames", out JsonElement list))
        {
            foreach (JsonElement frame in list.EnumerateArray())
            {
                frames.Add(ParseResult(frame, path, frame.GetProperty("index").GetInt32(), width, height));
            }
        }

        JsonElement timing = root.GetProperty("timing");
        return new MediaPipeVideoResult(frames, ParseTiming(timing, "face_mesh"), ParseTiming(timing, "pose"), ParseTiming(timing, "hands"));
    }

    private static string SolutionArgument(MediaPipeSolution solution) => solution switch
    {
        MediaPipeSolution.FaceMesh => "face_mesh",
        MediaPipeSolution.Pose => "pose",
        MediaPipeSolution.Both => "both",
        MediaPipeSolution.Hands => "hands",
        MediaPipeSolution.Holistic => "holistic",
        _ => throw new ArgumentOutOfRangeException(nameof(solution), solution, "unknown solution"),
    };

    private static async Task<JsonDocument> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_script.Value);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH; the MediaPipe JS reference needs it (scripts/setup.sh checks it)", e);
        }

        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            string output = await stdout.ConfigureAwait(false);
            string errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"{s_script.Value} exited with {process.ExitCode}: {errors.Trim()}");
            }

            return JsonDocument.Parse(output);
        }
        finally
        {
            if (!process.HasExited)
            {
                // Cancelled (or a read failed): the node process and its browser go with it.
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static MediaPipeResult ParseResult(JsonElement e, string file, int index, int width = 0, int height = 0)
    {
        if (e.TryGetProperty("width", out JsonElement w))
        {
            width = w.GetInt32();
            height = e.GetProperty("height").GetInt32();
        }

        var faces = new List<MediaPipeFace>();
        if (e.TryGetProperty("faces", out JsonElement faceList))
        {
            foreach (JsonElement face in faceList.EnumerateArray())
            {
                JsonElement points = face.GetProperty("landmarks");
                var landmarks = new Vector3[points.GetArrayLength()];
                int i = 0;
                foreach (JsonElement p in points.EnumerateArray())
                {
                    landmarks[i++] = new Vector3(p[0].GetSingle(), p[1].GetSingle(), p[2].GetSingle());
                }

                Matrix4x4? poseTransform = null;
                if (face.TryGetProperty("poseTransformMatrix", out JsonElement m))
                {
                    // MediaPipe's column-major 4×4 read in order fills System.Numerics' rows: its transpose.
                    float[] v = new float[16];
                    int j = 0;
                    foreach (JsonElement x in m.EnumerateArray())
                    {
                        v[j++] = x.GetSingle();
                    }

                    poseTransform = new Matrix4x4(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]);
                }

                faces.Add(new MediaPipeFace(landmarks, poseTransform));
            }
        }

        MediaPipePose? pose = null;
        if (e.TryGetProperty("pose", out JsonElement poseElement) && poseElement.ValueKind == JsonValueKind.Object)
        {
            pose = new MediaPipePose(Points4(poseElement.GetProperty("landmarks")), Points4(poseElement.GetProperty("worldLandmarks")));
        }

        var hands = new List<MediaPipeHand>();
        if (e.TryGetProperty("hands", out JsonElement handList) && handList.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement hand in handList.EnumerateArray())
            {
                hands.Add(new MediaPipeHand(
                    Points3(hand.GetProperty("landmarks")), Points3(hand.GetProperty("worldLandmarks")),
                    hand.GetProperty("label").GetString() ?? "", hand.GetProperty("score").ValueKind == JsonValueKind.Number ? hand.GetProperty("score").GetSingle() : float.NaN,
                    hand.GetProperty("performerSide").GetString() == "Left" ? Capture.Core.Tracking.Handedness.Left : Capture.Core.Tracking.Handedness.Right));
            }
        }

        return new MediaPipeResult(file, index, width, height, faces, pose, hands);
    }

    private static Vector3[] Points3(JsonElement points)
    {
        var result = new Vector3[points.GetArrayLength()];
        int i = 0;
        foreach (JsonElement p in points.EnumerateArray())
        {
            result[i++] = new Vector3(p[0].GetSingle(), p[1].GetSingle(), p[2].GetSingle());
        }

        return result;
    }

    private static Vector4[] Points4(JsonElement points)
    {
        var result = new Vector4[points.GetArrayLength()];
        int i = 0;
        foreach (JsonElement p in points.EnumerateArray())
        {
            // Visibility is absent (null in JSON) for points the model gives none.
            float v = p[3].ValueKind == JsonValueKind.Number ? p[3].GetSingle() : float.NaN;
            result[i++] = new Vector4(p[0].GetSingle(), p[1].GetSingle(), p[2].GetSingle(), v);
        }

        return result;
    }

    private static MediaPipeTiming? ParseTiming(JsonElement timing, string name)
    {
        if (!timing.TryGetProperty(name, out JsonElement t))
        {
            return null;
        }

        static double Number(JsonElement e, string p) => e.GetProperty(p).ValueKind == JsonValueKind.Number ? e.GetProperty(p).GetDouble() : double.NaN;
        return new MediaPipeTiming(
            Number(t, "fps"), Number(t, "medianMs"), Number(t, "meanMs"), t.GetProperty("framesTimed").GetInt32(),
            t.GetProperty("warmupFrames").GetInt32(), Number(t, "firstFrameMs"), Number(t, "initMs"));
    }

    private static string FindScript()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string script = Path.Combine(dir, "tests", "mediapipe-js", "run.mjs");
            if (File.Exists(script))
            {
                if (!Directory.Exists(Path.Combine(dir, "tests", "mediapipe-js", "node_modules", "playwright-core")))
                {
                    throw new InvalidOperationException("tests/mediapipe-js/node_modules is missing: run 'bash scripts/setup.sh'");
                }

                return script;
            }
        }

        throw new InvalidOperationException("tests/mediapipe-js/run.mjs not found above " + AppContext.BaseDirectory);
    }
}
