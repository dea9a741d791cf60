namespace Capture.Jobs.Tests;

/// <summary>Text crossing the server's edge: server paths named as the client knows them, client text safe to log.</summary>
public sealed class ClientTextTests
{
    [Fact]
    public void NamePaths_FolderAndFileInIt_TheFileKeepsItsOwnName()
    {
        string message = "rig file /tmp/up-1/rig.json: bad point (in /tmp/up-1)";
        Assert.Equal("rig file 'my-rig.json': bad point (in the upload)",
            ClientText.NamePaths(message, ("/tmp/up-1", "the upload"), ("/tmp/up-1/rig.json", "'my-rig.json'")));
    }

    [Theory]
    [InlineData("alice", 64, "alice")]
    [InlineData("a\u001b[31mb\r\nc", 64, "a\\u001b[31mb\\u000d\\u000ac")]
    [InlineData("line\u2028sep", 64, "line\\u2028sep")]
    [InlineData("abcdefghij", 4, "abcd…(+6 chars)")]
    [InlineData("😀😀", 3, "😀…(+2 chars)")]
    public void Printable_EscapesControlsAndBoundsLength(string text, int max, string expected) =>
        Assert.Equal(expected, ClientText.Printable(text, max));

    [Fact]
    public void Printable_Null_StaysNull() => Assert.Null(ClientText.Printable(null));
}
