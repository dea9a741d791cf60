// Decodes a Capture recording with Capture.Protocol and tracks a picture with Capture.Tracking, from their
// NuGet packages. Usage: PackageConsumer RECORDING.mpk PICTURE.ppm (a binary PPM, P6, 8 bits: the simplest
// RGB24 picture there is; any image library can give the same pixels).
using System.Text;
using Capture.Core;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Tracking;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PackageConsumer RECORDING.mpk PICTURE.ppm");
    return 2;
}

Console.WriteLine($"capture {CaptureVersion.Informational}");

int frames = 0, faces = 0;
using (RecordingReader recording = RecordingReader.Open(args[0]))
{
    var reader = new ProtocolReader();
    while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
    {
        if (reader.Read(packet.Span) == MessageKind.TrackingFrame)
        {
            frames++;
            faces += reader.Frame.Face.Present ? 1 : 0;
        }
    }

    Console.WriteLine($"recording: schema {recording.Header.Major}.{recording.Header.Minor}, {frames} tracking frames, {faces} with a face");
}

(int width, int height, byte[] rgb) = ReadPpm(args[1]);
using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { StaticImage = true });
using VideoFrame frame = VideoFrame.CreateUnpooled(width, height);
rgb.CopyTo(frame.Pixels);
var result = new TrackingFrame();
tracker.Process(frame, result);
if (!result.Face.Present)
{
    Console.WriteLine($"picture: {width}x{height}, no face");
    return 1;
}

System.Numerics.Vector3 nose = result.Face.Landmarks[1];
Console.WriteLine(FormattableString.Invariant(
    $"picture: {width}x{height}, face with {result.Face.Landmarks.Length} points, nose tip at ({nose.X:F1}, {nose.Y:F1}), jawOpen {result.Face.Blendshapes[ArkitBlendshapes.IndexOf("jawOpen")]:F2}"));
return 0;

static (int Width, int Height, byte[] Rgb) ReadPpm(string path)
{
    byte[] bytes = File.ReadAllBytes(path);
    int at = 0;
    string Token()
    {
        while (at < bytes.Length && (char.IsWhiteSpace((char)bytes[at]) || bytes[at] == '#'))
        {
            if (bytes[at] == '#')
            {
                while (at < bytes.Length && bytes[at] != '\n')
                {
                    at++;
                }
            }
            else
            {
                at++;
            }
        }

        int start = at;
        while (at < bytes.Length && !char.IsWhiteSpace((char)bytes[at]))
        {
            at++;
        }

        return Encoding.ASCII.GetString(bytes, start, at - start);
    }

    if (Token() != "P6")
    {
        throw new InvalidDataException($"{path}: not a binary PPM (P6)");
    }

    int width = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
    int height = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
    if (Token() != "255")
    {
        throw new InvalidDataException($"{path}: only 8-bit PPM is read here");
    }

    at++; // the one whitespace byte before the pixels
    return (width, height, bytes.AsSpan(at, width * height * 3).ToArray());
}
