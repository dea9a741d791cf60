using System.Globalization;
using Capture.Pipeline.Evaluation;
using Capture.Pipeline.Tests;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Benchmarks;

/// <summary>
/// Body agreement (<see cref="BodyAgreement"/>, issue 23's measure) of the body test characters (the Animated Drawings
/// stick figure; a real performer cut from the gesture clip, which the tracker can read back) driven by the shared
/// full-body clips: limb directions read back from the generated frames against the performer's (goal ≤ 12°), the
/// joints the rig was driven to (for the drawing), body found, fold-over and relaxed frames; with <c>--no-limit</c> the
/// same without the lattice relaxation and the face's limiter (what they save).
/// </summary>
public sealed class BodyAgreementBenchmark : IBenchmarkCommand
{
    public string Name => "body-agreement";

    public string Description => "body agreement of the drawing and a studio performer driven by the gesture and dance clips (goal ≤ 12°, 0 fold-over frames); args: [--frames N] [--pictures DIR] [--no-limit]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        int? frames = null;
        string? pictures = null;
        bool limit = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--frames":
                    frames = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--pictures":
                    pictures = args[++i];
                    break;
                case "--no-limit":
                    limit = false;
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        BodyCharacter[] characters = [await BodyCharacters.DrawingAsync(), await BodyCharacters.StudioAsync()];
        string[] clips = [SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), SharedMedia.File("vid_body_dance_musepose.mp4")];
        IReadOnlyList<BodyScores> scores = await BodyAgreement.RunAsync(
            characters, clips, new BodyAgreement.Options(Size: 360, Every: 4, MaxFrames: frames, PicturesDirectory: pictures, LimitFolds: limit));
        Console.WriteLine($"fold limiting and lattice relaxation: {(limit ? "on" : "off (--no-limit)")}");
        foreach (BodyScores s in scores)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{s.Character} × {s.Clip}: limbs {(s.ReadBack ? $"{s.LimbDegrees:F1}°" : "n/a (not readable)")} " +
                $"[{string.Join(", ", s.PerLimb.Select((d, i) => $"{BodySkeleton.LimbNames[i]} {d:F1}"))}], driven {s.DrivenDegrees:F1}°, " +
                $"driven joint error {s.DrivenJointError:F3} torso, body found {s.BodyFound:P0} of {s.Compared} compared, " +
                $"fold-over frames {s.FoldOverFrames} of {s.Frames}, relaxed {s.RelaxedFrames}, {s.Seconds:F0} s"));
        }

        return 0;
    }
}
