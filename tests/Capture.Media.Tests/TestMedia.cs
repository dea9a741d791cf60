using System.Diagnostics;

namespace Capture.Media.Tests;

/// <summary>The shared test clips (read in place, never copied into the repo) and small helpers.</summary>
internal static class TestMedia
{
    /// <summary>The shared media folder (<see cref="Capture.Testing.SharedMedia"/>).</summary>
    public static readonly string Dir = Capture.Testing.SharedMedia.Directory;

    /// <summary>480×480, 30 fps, 216 frames, AAC audio.</summary>
    public static readonly string ExprMan = Path.Combine(Dir, "vid_expr_man_d18.mp4");

    /// <summary>720×1280 portrait, 30 fps, 352 frames, no audio.</summary>
    public static readonly string TalkSelfie = Path.Combine(Dir, "vid_talk_selfie_man_d13.mp4");

    /// <summary>320×720 RGBA sprite with a transparent background.</summary>
    public static readonly string EileenRgba = Path.Combine(Dir, "char_anime_eileen_renpy.png");

    /// <summary>725×725 JPEG, no alpha.</summary>
    public static readonly string StatueJpeg = Path.Combine(Dir, "char_statue_terracotta_s6.jpg");

    /// <summary>Runs ffmpeg to make a fixture; fails the test with ffmpeg's stderr if it fails.</summary>
    public static void Ffmpeg(params string[] args)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in (string[])["-hide_banner", "-nostdin", "-loglevel", "error", "-y", .. args])
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"fixture ffmpeg failed: {err}");
    }

    /// <summary>
    /// ffmpeg/ffprobe processes (zombies included) whose command line mentions <paramref name="marker"/>,
    /// read from /proc: the process listing the orphan checks use. Waits up to 3 s for any to go.
    /// </summary>
    public static List<string> FfmpegProcessesMentioning(string marker)
    {
        List<string> found = [];
        var deadline = Stopwatch.StartNew();
        do
        {
            found.Clear();
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out _))
                {
                    continue;
                }

                try
                {
                    string comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                    if (comm is not ("ffmpeg" or "ffprobe"))
                    {
                        continue;
                    }

                    string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains(marker, StringComparison.Ordinal))
                    {
                        found.Add($"{Path.GetFileName(dir)} {comm}: {cmdline}");
                    }
                }
                catch (IOException)
                {
                    // Exited while we looked.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            if (found.Count == 0)
            {
                return found;
            }

            Thread.Sleep(50);
        }
        while (deadline.ElapsedMilliseconds < 3000);
        return found;
    }

    public static void AssertNoFfmpegMentioning(string marker)
    {
        List<string> left = FfmpegProcessesMentioning(marker);
        Assert.True(left.Count == 0, "orphaned ffmpeg: " + string.Join(" | ", left));
    }

    /// <summary>The process's state letter from /proc (R, S, Z…), or null when it is gone.</summary>
    public static string? ProcessState(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0] + " " + File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static bool ProcessGone(int pid)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < 3000)
        {
            if (!Directory.Exists($"/proc/{pid}"))
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return false;
    }
}

/// <summary>A fresh directory per test class, deleted afterwards. Its path is the marker the orphan checks look for.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("capture-media-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
