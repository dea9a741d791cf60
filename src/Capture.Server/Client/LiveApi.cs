using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Capture.Server.Client;

/// <summary>What <c>POST /api/live</c> answers (docs/live.md). Pages are paths on the server; the WebSocket URLs are absolute.</summary>
public sealed record LiveSessionInfo(
    string Id, string PerformerToken, string ViewerToken, string IngestUrl, string FramesUrl, string ViewerPage, string CapturePage);

/// <summary>The live-session HTTP API from the client side: create and delete sessions with the server's API key.</summary>
public sealed class LiveApi : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public LiveApi(Uri server, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        Server = server;
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    public Uri Server { get; }

    /// <summary>Creates a session for the character picture (and optional rig/profile files).</summary>
    /// <exception cref="LiveApiException">The server refused (its problem title and detail in the message).</exception>
    /// <param name="idle">False: the character stays still at neutral while the face is lost or the performer sends nothing (idle=0).</param>
    public async Task<LiveSessionInfo> CreateSessionAsync(string characterPath, int size = 256, string? rigPath = null, string? profilePath = null, CancellationToken ct = default, bool hands = false, bool idle = true)
    {
        using var form = new MultipartFormDataContent();
        AddFile(form, "character", characterPath);
        if (rigPath is not null)
        {
            AddFile(form, "rig", rigPath);
        }

        if (profilePath is not null)
        {
            AddFile(form, "profile", profilePath);
        }

        form.Add(new StringContent(size.ToString(System.Globalization.CultureInfo.InvariantCulture)), "size");
        if (hands)
        {
            form.Add(new StringContent("true"), "hands");
        }

        if (!idle)
        {
            form.Add(new StringContent("0"), "idle");
        }

        using HttpResponseMessage response = await _http.PostAsync("/api/live", form, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await LiveApiException.FromAsync(response, "creating the live session", ct).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<LiveSessionInfo>(s_json, ct).ConfigureAwait(false)
            ?? throw new LiveApiException("the server answered 201 with no session");
    }

    /// <summary>Ends a session; false when the server no longer knows it.</summary>
    public async Task<bool> DeleteSessionAsync(string id, CancellationToken ct = default)
    {
        using HttpResponseMessage response = await _http.DeleteAsync($"/api/live/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await LiveApiException.FromAsync(response, "deleting the live session", ct).ConfigureAwait(false);
        }

        return true;
    }

    public void Dispose() => _http.Dispose();

    private static void AddFile(MultipartFormDataContent form, string name, string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist", path);
        }

        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, name, Path.GetFileName(path));
    }
}

/// <summary>The live API refused a request; the message carries the server's problem title and detail.</summary>
public sealed class LiveApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;

    internal static async Task<LiveApiException> FromAsync(HttpResponseMessage response, string doing, CancellationToken ct)
    {
        string body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        string detail = body;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            string? title = doc.RootElement.TryGetProperty("title", out JsonElement t) ? t.GetString() : null;
            string? more = doc.RootElement.TryGetProperty("detail", out JsonElement d) ? d.GetString() : null;
            detail = string.Join(": ", new[] { title, more }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (JsonException)
        {
            // Not problem+json: the body as it is.
        }

        return new LiveApiException($"{doing} failed ({(int)response.StatusCode} {response.ReasonPhrase}): {detail}", response.StatusCode);
    }
}
