using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Capture.Media.Internal;

/// <summary>
/// One ffmpeg or ffprobe child process, owned by whoever started it. Started with an explicit
/// argument list (never through a shell), so no path or filter graph is ever re-parsed by one.
/// stderr is drained continuously into a small ring of its last lines (so a chatty ffmpeg can never
/// block on a full pipe, and the tail is there for the error message). Disposing kills the process
/// with its whole tree if it is still running and waits for it to be reaped.
/// </summary>
internal sealed class FfmpegProcess : IAsyncDisposable, IDisposable
{
    /// <summary>Lines of stderr kept: enough for ffmpeg's usual "what, where, why" error chain.</summary>
    private const int StderrLinesKept = 24;

    /// <summary>Longest stderr line kept; ffmpeg's own lines are far shorter, a binary dump is not.</summary>
    private const int StderrLineMaxChars = 400;

    /// <summary>How long a kill waits for the process to be gone before returning anyway.</summary>
    private const int KillWaitMilliseconds = 2000;

    private readonly Process _process;
    private readonly string[] _stderrRing = new string[StderrLinesKept];
    private readonly Lock _stderrLock = new();
    private readonly Task _stderrPump;
    private int _stderrCount;
    private int _disposed;

    private FfmpegProcess(Process process, string tool)
    {
        _process = process;
        Tool = tool;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    /// <summary>"ffmpeg" or "ffprobe".</summary>
    public string Tool { get; }

    public int Id => _process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>The child's stdout (raw frames, JSON). Only valid when started with <c>readStdout</c>.</summary>
    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>The child's stdin (raw frames for sinks). Only valid when started with <c>writeStdin</c>.</summary>
    public Stream StandardInput => _process.StandardInput.BaseStream;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <paramref name="tool"/> (looked up on PATH, or in <c>CAPTURE_FFMPEG_DIR</c>) with
    /// exactly these arguments. stdin is either kept for writing or closed at once; stdout is either
    /// a pipe for reading or discarded.
    /// </summary>
    public static FfmpegProcess Start(string tool, IReadOnlyList<string> arguments, bool readStdout, bool writeStdin)
    {
        var info = new ProcessStartInfo(ResolveTool(tool))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
            CreateNoWindow = true,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"{tool} could not be started ({ex.Message}); install FFmpeg (apt-get install ffmpeg) or set CAPTURE_FFMPEG_DIR.", ex);
        }

        var owned = new FfmpegProcess(process, tool);
        if (!writeStdin)
        {
            process.StandardInput.Close();
        }

        if (!readStdout)
        {
            // Nobody reads it: drain it so the child can never block on a full pipe.
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        }

        return owned;
    }

    private static string ResolveTool(string tool)
    {
        string? dir = Environment.GetEnvironmentVariable("CAPTURE_FFMPEG_DIR");
        return string.IsNullOrEmpty(dir) ? tool : Path.Combine(dir, tool);
    }

    /// <summary>Waits for the process to exit and for its stderr to be fully drained; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await _stderrPump.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Blocking wait for exit (reader threads); returns the exit code.</summary>
    public int WaitForExit()
    {
        _process.WaitForExit();
        _stderrPump.GetAwaiter().GetResult();
        return _process.ExitCode;
    }

    /// <summary>
    /// Kills the process and everything it started, and reaps it (a killed ffmpeg goes within
    /// milliseconds; the wait is capped so a stuck kernel cannot hang the caller). A process that
    /// already ended is left alone.
    /// </summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(KillWaitMilliseconds);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (Win32Exception)
        {
            // Already gone.
        }
    }

    /// <summary>The last stderr lines, oldest first.</summary>
    public IReadOnlyList<string> StderrLines()
    {
        lock (_stderrLock)
        {
            int n = Math.Min(_stderrCount, StderrLinesKept);
            var lines = new string[n];
            for (int i = 0; i < n; i++)
            {
                lines[i] = _stderrRing[(_stderrCount - n + i) % StderrLinesKept];
            }

            return lines;
        }
    }

    /// <summary>
    /// The error ffmpeg gave, short enough for one message: its last few stderr lines, with the
    /// <c>file:</c> URL we passed replaced by the name the user gave and ffmpeg's
    /// <c>[component @ 0x…]</c> prefixes removed.
    /// </summary>
    public string ErrorSummary(string? inputUrl = null, string? displayName = null, int maxLines = 3)
    {
        IReadOnlyList<string> lines = StderrLines();
        var picked = new List<string>();
        for (int i = lines.Count - 1; i >= 0 && picked.Count < maxLines; i--)
        {
            string line = Clean(lines[i], inputUrl, displayName);
            if (line.Length > 0 && !picked.Contains(line))
            {
                picked.Insert(0, line);
            }
        }

        return picked.Count == 0 ? "no message" : string.Join("; ", picked);
    }

    private static readonly System.Text.RegularExpressions.Regex s_component = new(@"\[[^\[\]]* @ 0x[0-9a-fA-F]+\]\s*", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static string Clean(string line, string? inputUrl, string? displayName)
    {
        // Every "[component @ 0x7fff…] " (nested ones too, e.g. "[mjpeg @ 0x…] [IMGUTILS @ 0x…]"): a memory address says nothing to the user.
        string s = s_component.Replace(line, string.Empty).Trim();
        if (s.StartsWith('[') && s.IndexOf("] ", StringComparison.Ordinal) is int close and > 0)
        {
            s = s[(close + 2)..];
        }

        if (inputUrl is not null)
        {
            // "file:/x/clip.mp4: Invalid data…" → "Invalid data…": the message names the file already.
            if (s.StartsWith(inputUrl + ": ", StringComparison.Ordinal))
            {
                s = s[(inputUrl.Length + 2)..];
            }

            s = s.Replace(inputUrl, displayName ?? inputUrl, StringComparison.Ordinal);
        }

        return s;
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            StreamReader reader = _process.StandardError;
            while (await reader.ReadLineAsync().ConfigureAwait(false) is string line)
            {
                if (line.Length > StderrLineMaxChars)
                {
                    line = line[..StderrLineMaxChars];
                }

                lock (_stderrLock)
                {
                    _stderrRing[_stderrCount % StderrLinesKept] = line;
                    _stderrCount++;
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed: nothing more to keep.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        try
        {
            // Reap it, so no zombie outlives us; a killed ffmpeg goes within milliseconds.
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
