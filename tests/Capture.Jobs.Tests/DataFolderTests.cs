namespace Capture.Jobs.Tests;

public sealed class DataFolderTests
{
    [Theory]
    [InlineData("../../x.mp4", "x.mp4")]
    [InlineData("/etc/passwd", "passwd")]
    [InlineData("..\\..\\evil.png", "evil.png")]
    [InlineData("a\0b.mp4", "ab.mp4")]
    [InlineData("..", null)]
    [InlineData("dir/", null)]
    [InlineData("", null)]
    public void LeafName_KeepsOnlyTheLastSegmentWithoutControlCharacters(string name, string? expected) =>
        Assert.Equal(expected, DataFolder.LeafName(name));

    [Theory]
    [InlineData("take.MP4", false, ".mp4")]
    [InlineData("../../x.mp4", false, ".mp4")]
    [InlineData("x.mp4/../../../etc/cron.d/job", false, ".video")]
    [InlineData("a.png", true, ".png")]
    [InlineData("a.php", true, ".img")]
    [InlineData(null, true, ".img")]
    public void SafeExtension_IsAlwaysOneOfTheFixedExtensions(string? name, bool picture, string expected) =>
        Assert.Equal(expected, DataFolder.SafeExtension(name, picture));

    [Fact]
    public void JobIds_AreRandom128BitHexAndNothingElseIsAccepted()
    {
        string a = DataFolder.NewJobId(), b = DataFolder.NewJobId();
        Assert.NotEqual(a, b);
        Assert.True(DataFolder.IsJobId(a));
        Assert.False(DataFolder.IsJobId("../" + a[3..]));
        Assert.False(DataFolder.IsJobId(a.ToUpperInvariant()));
        Assert.Throws<ArgumentException>(() => new DataFolder("/tmp/x").JobDirectory("../jobs.db"));
        Assert.Null(new DataFolder("/tmp/x").MotionFile(a, "../../jobs.db"));
    }

    [Fact]
    public void DiskFull_RecognisesARealFullDevice()
    {
        // /dev/full answers every write with ENOSPC: the real error a full disk gives.
        var ex = Assert.ThrowsAny<IOException>(() =>
        {
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1);
            full.Write(new byte[4096]);
            full.Flush();
        });

        Assert.True(DiskFull.Is(ex), ex.ToString());
        Assert.True(DiskFull.Is(new InvalidOperationException("wrapped", ex)));
        Assert.False(DiskFull.Is(new IOException("file not found")));
    }
}
