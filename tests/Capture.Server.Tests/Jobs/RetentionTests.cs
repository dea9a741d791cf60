using System.Diagnostics;
using System.Net;

namespace Capture.Server.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class RetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-retention-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task FinishedJob_AfterTheRetentionTime_IsRemovedWithItsFiles()
    {
        await using JobServer server = await JobServer.StartAsync(Path.Combine(_dir, "data"), o =>
        {
            o.Retention = TimeSpan.FromSeconds(2);
            o.RetentionSweep = TimeSpan.FromMilliseconds(200);
        });
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "c.mp4"));
        string id = await JobClient.SubmitAsync(server.Client, JobClient.Form(clip, JobClient.Media("char_painting_mona_lisa_s9.jpg"), fields: new() { ["size"] = "256", ["motionData"] = "false" }));
        Assert.Equal("succeeded", (await JobClient.WaitFinishedAsync(server.Client, id, TimeSpan.FromMinutes(2))).GetProperty("state").GetString());
        using (HttpResponseMessage kept = await server.Client.GetAsync($"api/jobs/{id}/result"))
        {
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        }

        var clock = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            using HttpResponseMessage r = await server.Client.GetAsync($"api/jobs/{id}");
            status = r.StatusCode;
        }
        while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "jobs", id)));
    }
}
