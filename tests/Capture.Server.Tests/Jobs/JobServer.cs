using System.Net.Http.Headers;
using Capture.Jobs;
using Capture.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The real host (<see cref="CaptureServer.Build"/>, as <c>capture serve</c> runs it) on a loopback
/// port of a real Kestrel, with a fresh data folder, a real SQLite store and the real render pipeline.
/// </summary>
internal sealed class JobServer : IAsyncDisposable
{
    public const string Key = "test-key-0123456789abcdef";

    private JobServer(WebApplication app, string dataDirectory, Uri address)
    {
        App = app;
        DataDirectory = dataDirectory;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(3) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public Uri Address { get; }

    /// <summary>A client that sends the key.</summary>
    public HttpClient Client { get; }

    public static async Task<JobServer> StartAsync(string dataDirectory, Action<JobsOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            ApiKey = Key,
            ConfigureJobs = o =>
            {
                o.DataDirectory = dataDirectory;
                o.ProgressInterval = TimeSpan.FromMilliseconds(100);
                configure?.Invoke(o);
            },
        };
        WebApplication app = CaptureServer.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        string url = CaptureServer.Addresses(app)[0];
        return new JobServer(app, dataDirectory, new Uri(url.EndsWith('/') ? url : url + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }
}
