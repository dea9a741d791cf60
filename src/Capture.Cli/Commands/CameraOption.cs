using System.CommandLine;
using Capture.Core.Geometry;

namespace Capture.Cli.Commands;

/// <summary>The <c>--camera camera.json</c> option that track, render and calibrate share.</summary>
internal static class CameraOption
{
    public static Option<string?> Create() => new("--camera")
    {
        Description = "camera.json from 'capture calibrate-camera': head pose uses its focal length and principal point " +
            "(scaled when the clip's size differs from the calibration's) instead of a fixed 63° vertical field of view.",
    };

    /// <summary>Null when not given; a missing or unusable file is an <see cref="IOException"/>/<see cref="InvalidDataException"/> naming it.</summary>
    public static CameraIntrinsics? Load(string? path)
    {
        if (path is null)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file (--camera)", path);
        }

        return CameraIntrinsics.Load(path);
    }
}
