using Capture.Retargeting.Rigs;
using Capture.Server.Live;
using Capture.Testing;

namespace Capture.Server.Tests;

/// <summary>The live character cache holds pictures at the session's working size and no more bytes than it is given.</summary>
public sealed class CharacterCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-character-cache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task GetAsync_HugePicture_DecodedAtTheWorkingSide()
    {
        // The shared face scaled up to 4096²: a session at 256² works from 1024 px, not from 64 MB of RGBA.
        string huge = Path.Combine(_dir, "huge-face.jpg");
        ToolProcess.Result scaled = await ToolProcess.RunAsync("ffmpeg", ["-v", "error", "-y", "-i", ServerFixture.FaceCharacter, "-vf", "scale=4096:4096", "-q:v", "3", huge]);
        Assert.True(scaled.ExitCode == 0, scaled.StdErr);
        var cache = new CharacterCache(new ServerOptions());
        var messages = new List<string>();

        CharacterRig rig = await cache.GetAsync(huge, null, LiveEndpoints.WorkingSide(256), messages.Add, CancellationToken.None);

        Assert.Equal((1024, 1024), (rig.Picture.Width, rig.Picture.Height));
        Assert.Contains(messages, m => m.Contains("4096x4096 decoded at 1024x1024", StringComparison.Ordinal));
        Assert.Equal(1024L * 1024 * 4, cache.Bytes);
    }

    [Fact]
    public async Task GetAsync_PastItsByteBudget_DropsTheLeastRecentlyUsed()
    {
        string a = ServerFixture.FaceCharacter;
        string b = SharedMedia.File("char_painting_mona_lisa_s9.jpg");
        var probe = new CharacterCache(new ServerOptions());
        long aBytes = (await probe.GetAsync(a, null, 1024, null, CancellationToken.None)).Picture.Pixels.LongLength;
        long bBytes = (await probe.GetAsync(b, null, 1024, null, CancellationToken.None)).Picture.Pixels.LongLength;
        Assert.Equal(2, probe.Count);

        // Room for the larger of the two, not for both.
        var cache = new CharacterCache(new ServerOptions { CharacterCacheBytes = Math.Max(aBytes, bBytes) });
        CharacterRig first = await cache.GetAsync(a, null, 1024, null, CancellationToken.None);
        Assert.Equal((1, aBytes), (cache.Count, cache.Bytes));
        await cache.GetAsync(b, null, 1024, null, CancellationToken.None);
        Assert.Equal((1, bBytes), (cache.Count, cache.Bytes));

        // A was dropped (its session may still hold it): asking again loads it anew.
        Assert.NotSame(first, await cache.GetAsync(a, null, 1024, null, CancellationToken.None));
        Assert.True(cache.Bytes <= Math.Max(aBytes, bBytes));
    }
}
