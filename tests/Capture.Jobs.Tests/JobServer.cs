using System.Net.Http.Headers;
using Capture.Jobs;
using Capture.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Capture.Jobs.Tests;

/// <summary>
/// A real Kestrel on a loopback port with the jobs API and pages mapped exactly as the host maps
/// them (<see cref="JobEndpoints.AddCaptureJobs"/> + <see cref="JobEndpoints.MapJobs"/>), a fresh
/// data folder, a real SQLite store and the real render pipeline.
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
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddProblemDetails();
        builder.Services.AddCaptureJobs(null, o =>
        {
            o.DataDirectory = dataDirectory;
            o.ProgressInterval = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(o);
        });
        WebApplication app = builder.Build();
        string pages = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(pages) });
        app.MapJobs(() => Key, pages);
        await app.StartAsync();
        string url = app.Urls.First();
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
