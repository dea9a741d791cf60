using System.Diagnostics;

namespace Capture.Benchmarks;

/// <summary><c>protocol-fuzz [packets] [seed]</c>: ≥1,000,000 random and mutated packets into the decoder.</summary>
public sealed class ProtocolFuzzBenchmark : IBenchmarkCommand
{
    public string Name => "protocol-fuzz";

    public string Description => "Fuzz the MessagePack/schema decoder with random + mutated packets (goal: 0 crashes, 0 hangs, bounded memory)";

    public int Run(string[] args)
    {
        long count = args.Length > 0 ? long.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        int seed = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 12345;
        Console.WriteLine(BenchmarkReport.MachineLine());
        var fuzzer = new ProtocolFuzzer(seed);
        var clock = Stopwatch.StartNew();

        // Watchdog: a decode that makes no progress for 10 s is a hang.
        long lastSeen = -1;
        using var watchdog = new Timer(_ =>
        {
            long now = fuzzer.Packets;
            if (now == lastSeen)
            {
                Console.WriteLine($"HANG: no progress for 10 s at packet {now}");
                Environment.Exit(3);
            }

            lastSeen = now;
        }, null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

        const long Slice = 100_000;
        for (long done = 0; done < count; done += Slice)
        {
            fuzzer.Run(Math.Min(Slice, count - done));
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"  {fuzzer.Packets,10:N0} packets  accepted {fuzzer.Accepted,8:N0}  rejected {fuzzer.Rejected,10:N0}  crashes {fuzzer.CrashCount}  working set {self.WorkingSet64 / (1024 * 1024)} MiB");
        }

        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"packets: {fuzzer.Packets:N0} in {clock.Elapsed.TotalSeconds:F1} s ({fuzzer.Packets / clock.Elapsed.TotalSeconds:N0}/s), seed {seed}");
        Console.WriteLine($"accepted: {fuzzer.Accepted:N0}, rejected with a format/version error: {fuzzer.Rejected:N0}");
        Console.WriteLine($"crashes: {fuzzer.CrashCount}, hangs: 0, slowest packet: {fuzzer.SlowestPacket.TotalMilliseconds:F2} ms");
        TimeSpan again = fuzzer.Time(fuzzer.SlowestPacketBytes, 20);
        Console.WriteLine($"slowest packet ({fuzzer.SlowestPacketBytes.Length:N0} bytes) decoded again on its own: best of 20 = {again.TotalMilliseconds:F3} ms");
        Console.WriteLine($"peak working set: {process.PeakWorkingSet64 / (1024.0 * 1024):F1} MiB, GC heap: {GC.GetTotalMemory(false) / (1024.0 * 1024):F1} MiB");
        foreach (string crash in fuzzer.Crashes)
        {
            Console.WriteLine("  CRASH " + crash);
        }

        return fuzzer.CrashCount == 0 ? 0 : 1;
    }
}
