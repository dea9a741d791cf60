using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Server;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Benchmarks;

/// <summary>
/// N jobs and N live sessions, one after the other, against one server in this process (real Kestrel,
/// SQLite, the render pipeline): after each tenth, a full GC and the process's managed heap, RSS,
/// threads, open file descriptors, child processes and the frame pools still alive. A server that
/// keeps something per job or per session grows in a straight line; the goal is flat after warm-up
/// (≤ 10 % growth from step 10 to step N).
/// </summary>
public sealed class SoakBenchmark : IBenchmarkCommand
{
    private const string Key = "bench-soak-key-0123456789";

    public string Name => "soak";

    public string Description => "N jobs + N live sessions against one server; heap, RSS, threads, fds, children after each tenth (goal ≤ 10 % growth from 10 to N); args: [N=100] [--clip-seconds 0.5] [--only jobs|sessions]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int n = 100;
        double clipSeconds = 0.5;
        bool jobs = true, sessions = true;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--clip-seconds")
            {
                clipSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--only" && i + 1 < args.Length && args[i + 1] is "jobs" or "sessions")
            {
                jobs = args[++i] == "jobs";
                sessions = !jobs;
            }
            else if (int.TryParse(args[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) && parsed >= 10)
            {
                n = parsed;
            }
            else
            {
                Console.Error.WriteLine($"unknown argument {args[i]} (N must be at least 10)");
                return 2;
            }
        }

        string work = Directory.CreateTempSubdirectory("capture-soak-").FullName;
        try
        {
            string clip = Path.Combine(work, "clip.mp4");
            ToolProcess.Result cut = await ToolProcess.RunAsync("ffmpeg", ["-v", "error", "-y", "-i", SharedMedia.File("vid_expr_man_d18.mp4"), "-t", clipSeconds.ToString(CultureInfo.InvariantCulture),
                "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip]);
            if (cut.ExitCode != 0)
            {
                throw new InvalidOperationException($"ffmpeg could not cut the soak clip: {cut.StdErr}");
            }

            string character = SharedMedia.File("char_painting_mona_lisa_s9.jpg");
            Console.WriteLine(BenchmarkReport.MachineLine());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak: {(jobs ? n : 0)} jobs ({clipSeconds:0.##} s of vid_expr_man_d18.mp4, 480², at 256²) and {(sessions ? n : 0)} live sessions (a performer sending 15 frames, one viewer), one server, in turn"));
            WebApplication app = CaptureServer.Build(
                new ServerOptions
                {
                    Urls = "http://127.0.0.1:0",
                    ApiKey = Key,
                    ConfigureJobs = o =>
                    {
                        o.DataDirectory = Path.Combine(work, "data");
                        o.ProgressInterval = TimeSpan.FromMilliseconds(100);
                    },
                },
                logging => logging.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync();
            await using (app)
            {
                var address = new Uri(CaptureServer.Addresses(app)[0]);
                using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
                using var api = new LiveApi(address, Key);
                Console.WriteLine("   step   managed heap MB (gen2 / large / pinned)   RSS MB   threads   fds   children   frame pools (MB)   s/step");
                Sample first = Sample.Take(0);
                Console.WriteLine(first.Line(double.NaN));
                var samples = new List<Sample>();
                var clock = Stopwatch.StartNew();
                int tenth = n / 10;
                for (int step = 1; step <= n; step++)
                {
                    if (jobs)
                    {
                        await RunJobAsync(http, clip, character);
                    }

                    if (sessions)
                    {
                        await RunSessionAsync(api, character);
                    }
                    if (step % tenth == 0)
                    {
                        Sample s = Sample.Take(step);
                        samples.Add(s);
                        Console.WriteLine(s.Line(clock.Elapsed.TotalSeconds / tenth));
                        clock.Restart();
                    }
                }

                Sample from = samples[0];
                Sample to = samples[^1];
                double heap = Growth(from.HeapBytes, to.HeapBytes);
                double rss = Growth(from.RssBytes, to.RssBytes);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"growth step {from.Step} → {to.Step}: managed heap {heap:+0.0;-0.0} %, RSS {rss:+0.0;-0.0} %, threads {to.Threads - from.Threads:+0;-0;0}, fds {to.Fds - from.Fds:+0;-0;0}, children {to.Children - from.Children:+0;-0;0}; goal ≤ 10 %: {(heap <= 10 && rss <= 10 ? "met" : "NOT met")}"));
                await app.StopAsync();
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static double Growth(long from, long to) => 100.0 * (to - from) / from;

    private static async Task RunJobAsync(HttpClient http, string clip, string character)
    {
        string id;
        using (var form = new MultipartFormDataContent
        {
            { new StreamContent(File.OpenRead(clip)), "driving", "clip.mp4" },
            { new StreamContent(File.OpenRead(character)), "character", "mona.jpg" },
            { new StringContent("256"), "size" },
            { new StringContent("false"), "motionData" },
        })
        {
            using HttpResponseMessage r = await http.PostAsync("api/jobs", form);
            string body = await r.Content.ReadAsStringAsync();
            if (r.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"POST /api/jobs: {(int)r.StatusCode} {body}");
            }

            using JsonDocument doc = JsonDocument.Parse(body);
            id = doc.RootElement.GetProperty("id").GetString()!;
        }

        while (true)
        {
            using JsonDocument job = JsonDocument.Parse(await http.GetStringAsync($"api/jobs/{id}"));
            string state = job.RootElement.GetProperty("state").GetString()!;
            if (state is "succeeded")
            {
                break;
            }

            if (state is "failed" or "canceled")
            {
                throw new InvalidOperationException($"job {id} {state}: {job.RootElement}");
            }

            await Task.Delay(100);
        }

        using HttpResponseMessage deleted = await http.DeleteAsync($"api/jobs/{id}");
        if (deleted.StatusCode != HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"DELETE /api/jobs/{id}: {(int)deleted.StatusCode}");
        }
    }

    private static async Task RunSessionAsync(LiveApi api, string character)
    {
        LiveSessionInfo s = await api.CreateSessionAsync(character, 256);
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
            using var packet = new PooledBufferWriter(16 * 1024);
            ProtocolWriter.WriteHello(packet, new HelloMessage(ProtocolVersion.Minor, ["face", "blendshapes", "headpose"], "soak", s.PerformerToken));
            await socket.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None);
            var frame = new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
            for (int i = 0; i < 15; i++)
            {
                frame.Sequence = i;
                frame.CaptureTimestampUs = UnixClock.NowUs;
                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, frame);
                await socket.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None);
                await Task.Delay(33);
            }

            var until = Stopwatch.StartNew();
            while (viewer.Frames.Count == 0 && until.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(20);
            }

            packet.Reset();
            ProtocolWriter.WriteBye(packet, new ByeMessage("soak step done"));
            await socket.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }

        await viewer.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        if (viewer.Frames.Count == 0)
        {
            throw new InvalidOperationException($"live session {s.Id}: no frame reached the viewer");
        }
    }

    private sealed record Sample(int Step, long HeapBytes, long Gen2Bytes, long LargeBytes, long PinnedBytes, long RssBytes, int Threads, int Fds, int Children, int Pools, long PoolBytes)
    {
        public static Sample Take(int step)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            using Process self = Process.GetCurrentProcess();
            IReadOnlyList<FramePool> pools = FramePool.LivePools();
            // After the full GC: what survived, by where it lives: gen 2, the large-object heap (ArrayPool.Shared's big
            // buffers, which it trims lazily, come and go there), the pinned-object heap (Kestrel's buffer blocks).
            ReadOnlySpan<GCGenerationInfo> generations = GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo;
            return new Sample(step, GC.GetTotalMemory(forceFullCollection: false),
                Live(generations[2]), Live(generations[3]), Live(generations[4]), self.WorkingSet64, self.Threads.Count,
                Directory.GetFileSystemEntries("/proc/self/fd").Length, CountChildren(self.Id), pools.Count, pools.Sum(p => p.Bytes));
        }

        public string Line(double secondsPerStep) => string.Create(CultureInfo.InvariantCulture,
            $"   {Step,4}   {HeapBytes / 1048576.0,15:F1} ({Gen2Bytes / 1048576.0:F1} / {LargeBytes / 1048576.0:F1} / {PinnedBytes / 1048576.0:F1})   {RssBytes / 1048576.0,6:F0}   {Threads,7}   {Fds,3}   {Children,8}   {Pools,5} ({PoolBytes / 1048576.0,6:F1})   {(double.IsNaN(secondsPerStep) ? "" : secondsPerStep.ToString("F1", CultureInfo.InvariantCulture))}");

        // A generation's size after the GC counts its free gaps too; what lives there is the rest.
        private static long Live(GCGenerationInfo generation) => generation.SizeAfterBytes - generation.FragmentationAfterBytes;

        // Processes whose parent is this one (ffmpeg children left running would show here).
        private static int CountChildren(int pid)
        {
            int count = 0;
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                string name = Path.GetFileName(dir);
                if (!name.All(char.IsAsciiDigit))
                {
                    continue;
                }

                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
                    string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(rest[1], CultureInfo.InvariantCulture) == pid)
                    {
                        count++;
                    }
                }
                catch (IOException)
                {
                    // The process ended while we looked.
                }
            }

            return count;
        }
    }
}
