using Capture.Benchmarks;

namespace Capture.Protocol.Tests;

public class FuzzTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Decode_10kRandomAndMutatedPacketsPerSeed_NoCrashesAndBothOutcomesSeen(int seed)
    {
        var fuzzer = new ProtocolFuzzer(seed);
        fuzzer.Run(10_000);
        Assert.True(fuzzer.CrashCount == 0, string.Join("\n", fuzzer.Crashes));
        Assert.Equal(10_000, fuzzer.Packets);
        Assert.True(fuzzer.Rejected > 5_000, $"only {fuzzer.Rejected} rejected");
        Assert.True(fuzzer.Accepted > 50, $"only {fuzzer.Accepted} accepted: the mutations never leave a valid packet, so they test little");
    }
}
