using Capture.Core.Geometry;
using Capture.Inference.Models;
using Capture.Protocol.Import;
using Capture.Protocol.Recording;
using Capture.Retargeting;

namespace Capture.Pipeline.Motion;

/// <summary>How drivers are opened.</summary>
public sealed record MotionDriverOptions
{
    /// <summary>Video: track with MediaPipe's attention model (iris, gaze).</summary>
    public bool Iris { get; init; } = true;

    /// <summary>
    /// Video: track the body too, in the same tracker (the body first; its head points find a face too
    /// small for the face detector, as MediaPipe Holistic does): what drives a body character.
    /// </summary>
    public bool Body { get; init; }

    /// <summary>Video with <see cref="Body"/>: the BlazePose landmark model.</summary>
    public Capture.Tracking.PoseModel PoseModel { get; init; } = Capture.Tracking.PoseModel.Full;

    /// <summary>Video: the camera's intrinsics for head pose.</summary>
    public CameraIntrinsics? Camera { get; init; }

    /// <summary>Video: decoded frames in flight (the source's pool).</summary>
    public int PoolCapacity { get; init; } = 8;

    /// <summary>The file came from the network (a job upload): recordings are read with the protocol's untrusted limits.</summary>
    public bool Untrusted { get; init; }

    /// <summary>The face basis for Live Link CSV and BVH; null: models/face-basis-v1.json of the checkout.</summary>
    public string? BasisPath { get; init; }

    /// <summary>Pipeline name the drivers record their stage times under (<see cref="Core.Diagnostics.CaptureMetrics"/>), or null.</summary>
    public string? MetricsPipeline { get; init; }

    /// <summary>Notes for the user (a recording cut short, …).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The face basis (<see cref="BasisPath"/> or the checkout's).</summary>
    public BlendshapeBasis LoadBasis() => BlendshapeBasis.Load(BasisPath ?? MotionDrivers.DefaultBasisPath());
}

/// <summary>
/// Opens the right driver for a file, by what it holds: a Capture recording (its header says
/// <c>capture-mpk</c>), a Live Link Face CSV (its first field is Timecode), a BVH (it starts with HIERARCHY),
/// else a video. The extension is only a fallback for files too short to tell.
/// </summary>
public static class MotionDrivers
{
    /// <summary>File extensions of the motion files render reads (besides any video ffmpeg reads).</summary>
    public static IReadOnlyList<string> MotionExtensions { get; } = [".mpk", ".csv", ".bvh"];

    /// <summary>What kind of motion the file holds, by its first bytes (and extension).</summary>
    public static MotionKind Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> start = stackalloc byte[64];
        int n;
        using (FileStream file = File.OpenRead(path))
        {
            n = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        }

        ReadOnlySpan<byte> head = start[..n];
        if (head.IndexOf(System.Text.Encoding.ASCII.GetBytes(RecordingHeader.FormatName)) >= 0)
        {
            return MotionKind.Recording;
        }

        if (LiveLinkFaceCsvReader.LooksLikeOne(head))
        {
            return MotionKind.LiveLinkCsv;
        }

        if (BvhReader.LooksLikeOne(head))
        {
            return MotionKind.Bvh;
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".mpk" => MotionKind.Recording,
            ".csv" => MotionKind.LiveLinkCsv,
            ".bvh" => MotionKind.Bvh,
            _ => MotionKind.Video,
        };
    }

    /// <summary>Opens the driver for <paramref name="path"/>. Bad input throws one clear line naming the file (InvalidDataException, MediaInputException).</summary>
    public static async Task<IMotionDriver> OpenAsync(string path, MotionDriverOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"driving input {path} does not exist", path);
        }

        return Detect(path) switch
        {
            MotionKind.Recording => RecordingMotionDriver.Open(path, options),
            MotionKind.LiveLinkCsv => LiveLinkMotionDriver.Open(path, options),
            MotionKind.Bvh => BvhMotionDriver.Open(path, options),
            _ => await VideoMotionDriver.OpenAsync(path, options, ct).ConfigureAwait(false),
        };
    }

    /// <summary>models/face-basis-v1.json of the checkout (found as the models are, <see cref="ModelStore.FromRepository"/>).</summary>
    public static string DefaultBasisPath() =>
        Path.Combine(Path.GetDirectoryName(ModelStore.FromRepository().ManifestPath)!, BlendshapeBasis.FileName);
}
