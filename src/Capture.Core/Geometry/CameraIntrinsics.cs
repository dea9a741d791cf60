using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capture.Core.Geometry;

/// <summary>
/// A pinhole camera's intrinsics as <c>capture calibrate-camera</c> writes them to camera.json: focal
/// lengths and principal point in pixels of an image of <see cref="ImageWidth"/>×<see cref="ImageHeight"/>,
/// OpenCV's distortion coefficients (k1, k2, p1, p2, k3) and the calibration's RMS reprojection error.
/// </summary>
public sealed record CameraIntrinsics(
    double Fx, double Fy, double Cx, double Cy, int ImageWidth, int ImageHeight, double[] Distortion, double Rms)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>
    /// The same camera for frames of another size: fx and cx scale with the width ratio, fy and cy with
    /// the height ratio (right when the camera scales its full sensor image; a cropped mode is a different
    /// camera and needs its own calibration). Returns this instance when the size is the calibration's.
    /// </summary>
    public CameraIntrinsics ScaledTo(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == ImageWidth && height == ImageHeight)
        {
            return this;
        }

        double sx = (double)width / ImageWidth;
        double sy = (double)height / ImageHeight;
        return this with { Fx = Fx * sx, Fy = Fy * sy, Cx = Cx * sx, Cy = Cy * sy, ImageWidth = width, ImageHeight = height };
    }

    /// <summary>camera.json text (camelCase, indented).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json) + "\n";

    /// <summary>Reads and checks camera.json.</summary>
    /// <exception cref="InvalidDataException">Not JSON, a field missing, or a value out of range; the message names the file.</exception>
    public static CameraIntrinsics Load(string path)
    {
        string text = File.ReadAllText(path);
        CameraIntrinsics? c;
        try
        {
            c = JsonSerializer.Deserialize<CameraIntrinsics>(text, s_json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a camera.json ({ex.Message})", ex);
        }

        string? problem = c is null ? "empty" : c.Validate();
        if (problem is not null)
        {
            throw new InvalidDataException($"{path}: not a usable camera.json ({problem}); write one with `capture calibrate-camera`");
        }

        return c!;
    }

    /// <summary>Null when usable, else what is wrong.</summary>
    public string? Validate()
    {
        if (ImageWidth <= 0 || ImageHeight <= 0)
        {
            return $"image size {ImageWidth}x{ImageHeight}";
        }

        if (!(Fx > 0 && Fy > 0 && double.IsFinite(Fx) && double.IsFinite(Fy)))
        {
            return $"focal length fx={Fx}, fy={Fy}";
        }

        if (!(double.IsFinite(Cx) && double.IsFinite(Cy)))
        {
            return "principal point not finite";
        }

        return Distortion is null ? "distortion missing" : null;
    }
}
