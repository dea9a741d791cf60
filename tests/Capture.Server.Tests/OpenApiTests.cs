using System.Net;
using System.Text.Json;
using Capture.Core;
using Capture.Server.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Capture.Server.Tests;

/// <summary>
/// The OpenAPI document (/openapi/v1.json) read back with Microsoft.OpenApi's own reader and validator, against
/// the endpoints the server actually maps: every one is in it, with its request body where it takes one, its
/// success answer and its problem+json answers.
/// </summary>
public sealed class OpenApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>Routes that are not operations of the API: the document itself.</summary>
    private static readonly string[] s_notOperations = ["/openapi/{documentName}.json"];

    private async Task<(string Json, OpenApiDocument Document)> ReadAsync()
    {
        using HttpResponseMessage answer = await server.Anonymous.GetAsync(ApiDocument.Path);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        string json = await answer.Content.ReadAsStringAsync();
        ReadResult read = OpenApiDocument.Parse(json, "json");
        Assert.True(read.Diagnostic is null || read.Diagnostic.Errors.Count == 0,
            "the document does not parse: " + string.Join("; ", read.Diagnostic?.Errors.Select(e => $"{e.Pointer} {e.Message}") ?? []));
        Assert.NotNull(read.Document);
        return (json, read.Document);
    }

    [Fact]
    public async Task Document_ParsesAndValidates_WithTheVersionAndTheBearerScheme()
    {
        (_, OpenApiDocument document) = await ReadAsync();

        IEnumerable<OpenApiError> errors = document.Validate(ValidationRuleSet.GetDefaultRuleSet()) ?? [];
        Assert.Empty(errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(CaptureVersion.Package, document.Info.Version);
        IOpenApiSecurityScheme bearer = document.Components!.SecuritySchemes![ApiDocument.BearerScheme];
        Assert.Equal(SecuritySchemeType.Http, bearer.Type);
        Assert.Equal("bearer", bearer.Scheme);
    }

    [Fact]
    public async Task EveryMappedEndpoint_IsInTheDocument_WithItsBodySuccessAndProblemAnswers()
    {
        (_, OpenApiDocument document) = await ReadAsync();
        var mapped = server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !s_notOperations.Contains(e.RoutePattern.RawText))
            .ToList();
        Assert.NotEmpty(mapped);

        foreach (RouteEndpoint endpoint in mapped)
        {
            string path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            Assert.True(document.Paths.TryGetValue(path, out IOpenApiPathItem? item), $"{path} is mapped but not in the document");
            // WebSockets are mapped for every method (HTTP/1.1 upgrades with GET, HTTP/2 with CONNECT): documented as GET.
            string[] methods = [.. endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]];
            foreach (string method in methods)
            {
                Assert.True(item!.Operations!.TryGetValue(new HttpMethod(method), out OpenApiOperation? operation), $"{method} {path} is mapped but not in the document");
                string name = $"{method} {path}";
                Assert.False(string.IsNullOrEmpty(operation!.Summary), $"{name} has no summary");
                Assert.Contains(operation.Responses!.Keys, k => k.StartsWith('2') || k == "101");
                if (method is "POST" or "PUT" or "PATCH")
                {
                    Assert.True(operation.RequestBody?.Content?.Count > 0, $"{name} takes a body but the document describes none");
                }

                if (path.StartsWith("/api/", StringComparison.Ordinal))
                {
                    Assert.True(operation.Security?.Count > 0, $"{name} takes the API key but the document does not say so");
                    Assert.Contains("401", operation.Responses.Keys);
                }

                IEnumerable<KeyValuePair<string, IOpenApiResponse>> problems = operation.Responses.Where(r => r.Key[0] is '4' or '5');
                // Health, metrics and the site icon answer 200 whoever asks: they have no problem answer to describe.
                Assert.True(problems.Any() || path is "/healthz" or "/metrics" or "/favicon.ico", $"{name} describes no problem answer");
                foreach ((string status, IOpenApiResponse response) in problems)
                {
                    Assert.True(response.Content?.ContainsKey("application/problem+json") == true, $"{name} {status} is not described as application/problem+json");
                }
            }
        }
    }

    [Fact]
    public async Task MultipartRequests_ListTheirFields_AsTheHandlersReadThem()
    {
        (string json, _) = await ReadAsync();
        using JsonDocument raw = JsonDocument.Parse(json);
        JsonElement paths = raw.RootElement.GetProperty("paths");

        static (string[] Fields, string[] Required) Form(JsonElement operation)
        {
            JsonElement schema = operation.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
            return ([.. schema.GetProperty("properties").EnumerateObject().Select(p => p.Name)],
                [.. schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()!)]);
        }

        (string[] live, string[] liveRequired) = Form(paths.GetProperty("/api/live").GetProperty("post"));
        Assert.Equal(["character", "rig", "profile", "size", "hands", "idle", "body"], live);
        Assert.Equal(["character"], liveRequired);
        (string[] jobs, string[] jobsRequired) = Form(paths.GetProperty("/api/jobs").GetProperty("post"));
        Assert.Equal(["driving", "character", "rig", "profile", "size", "sideBySide", "intensity", "motionData", "body", "mask"], jobs);
        Assert.Equal(["character", "driving"], jobsRequired.Order(StringComparer.Ordinal));
        JsonElement character = paths.GetProperty("/api/jobs").GetProperty("post").GetProperty("requestBody").GetProperty("content")
            .GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty("character");
        Assert.Equal("binary", character.GetProperty("format").GetString());
        Assert.True(paths.GetProperty("/api/rigs/fit").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
    }

    [Fact]
    public async Task Healthz_ReportsTheVersionAndTheProtocol_AsTheDocumentDoes()
    {
        using HttpResponseMessage answer = await server.Anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        using JsonDocument health = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Equal(CaptureVersion.Package, health.RootElement.GetProperty("version").GetString());
        Assert.Equal(CaptureVersion.Informational, health.RootElement.GetProperty("build").GetString());
        Assert.Equal($"{Protocol.Schema.ProtocolVersion.Major}.{Protocol.Schema.ProtocolVersion.Minor}", health.RootElement.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task UploadPage_LinksTheReference_AndTheReferencePageIsServedUnderThePagesPolicy()
    {
        string upload = await server.Anonymous.GetStringAsync("/");
        Assert.Contains("href=\"/api.html\"", upload, StringComparison.Ordinal);
        using HttpResponseMessage page = await server.Anonymous.GetAsync("/api.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(Security.SecurityHeaders.Policy, page.Headers.GetValues("Content-Security-Policy").Single());
        string html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("<script type=\"module\" src=\"/api.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task YesNoFields_LiveAndJobs_ListTheSameWords()
    {
        using JsonDocument doc = JsonDocument.Parse(await server.Anonymous.GetStringAsync(ApiDocument.Path));
        string[] Words(string path, string field) =>
        [
            .. doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content")
                .GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty(field).GetProperty("enum")
                .EnumerateArray().Select(e => e.GetString()!),
        ];

        string[] liveBody = Words("/api/live", "body");
        Assert.Equal(["true", "false", "1", "0", "on", "off", "yes", "no"], liveBody);
        foreach ((string path, string field) in new[] { ("/api/live", "hands"), ("/api/live", "idle"), ("/api/jobs", "body"), ("/api/jobs", "sideBySide"), ("/api/jobs", "motionData") })
        {
            Assert.True(liveBody.SequenceEqual(Words(path, field)), $"{path} {field}: {string.Join(", ", Words(path, field))}");
        }
    }
}
