using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Capture.Server.OpenApi;

/// <summary>
/// The server's OpenAPI document, <c>GET /openapi/v1.json</c> (ASP.NET Core's own generator), and what the
/// generator cannot see by itself: the multipart fields the handlers read from the form (<see cref="MultipartForm"/>),
/// the WebSocket endpoints (<see cref="WebSocketEndpoint"/>; mapped for every method, so outside the generator's
/// reach), and the Bearer API key every <c>/api</c> operation takes. The reference page, <c>/api.html</c>, renders
/// this document (docs/api.md).
/// </summary>
public static class ApiDocument
{
    /// <summary>The document's name: it is served at <c>/openapi/v1.json</c>.</summary>
    public const string Name = "v1";

    /// <summary>Where the document is served.</summary>
    public const string Path = "/openapi/" + Name + ".json";

    /// <summary>The security scheme's name in the document.</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>Registers the generator and the transformers.</summary>
    public static IServiceCollection AddCaptureOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(Name, options =>
        {
            options.AddDocumentTransformer((document, context, ct) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Capture",
                    Version = Capture.Core.CaptureVersion.Package,
                    Description = "Live sessions (a performer's motion drives a character; viewers receive the rendered frames), " +
                        "upload jobs (a reference video and a character picture → an MP4 and motion files) and the rig fit. " +
                        $"Every error is application/problem+json with a title naming the problem. Protocol schema {Health.Current.Protocol} on the WebSockets (docs/protocol.md).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The server's API key (CAPTURE_API_KEY, or the one `capture serve` prints), as 'Authorization: Bearer <key>'.",
                };
                foreach ((string path, IOpenApiPathItem item) in document.Paths)
                {
                    if (!path.StartsWith("/api/", StringComparison.Ordinal) || item.Operations is null)
                    {
                        continue;
                    }

                    foreach (OpenApiOperation operation in item.Operations.Values)
                    {
                        operation.Security ??= [];
                        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
                    }
                }

                AddWebSockets(document, context.ApplicationServices.GetRequiredService<EndpointDataSource>());
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, ct) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<MultipartForm>().FirstOrDefault() is { } form)
                {
                    operation.RequestBody = form.ToRequestBody();
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>Serves the document at <see cref="Path"/>.</summary>
    public static void Map(WebApplication app) => app.MapOpenApi("/openapi/{documentName}.json");

    /// <summary>Adds the problem+json answers <paramref name="statuses"/> to an endpoint (with the shape ASP.NET Core writes).</summary>
    public static TBuilder Problems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (int status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    private static void AddWebSockets(OpenApiDocument document, EndpointDataSource endpoints)
    {
        foreach (RouteEndpoint endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<WebSocketEndpoint>() is not { } socket)
            {
                continue;
            }

            string path = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var operation = new OpenApiOperation
            {
                Summary = socket.Summary,
                Description = socket.Description + " A WebSocket: connect with ws:// (or wss://); the HTTP answers below are for a request that cannot be upgraded.",
                Tags = new HashSet<OpenApiTagReference> { new("live", document) },
                Parameters =
                [
                    new OpenApiParameter { Name = "id", In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Description = "The live session's id." },
                    new OpenApiParameter { Name = "token", In = ParameterLocation.Query, Required = socket.TokenInQuery, Schema = new OpenApiSchema { Type = JsonSchemaType.String }, Description = socket.TokenDescription },
                ],
                Responses = new OpenApiResponses
                {
                    ["101"] = new OpenApiResponse { Description = "Switching Protocols: the WebSocket is open. " + socket.Messages },
                },
            };
            foreach ((int status, string why) in socket.Problems)
            {
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ProblemResponse(document, why);
            }

            var item = new OpenApiPathItem();
            item.AddOperation(HttpMethod.Get, operation);
            document.Paths[path] = item;
        }
    }

    private static OpenApiResponse ProblemResponse(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new OpenApiMediaType
            {
                Schema = document.Components?.Schemas?.ContainsKey("ProblemDetails") == true
                    ? new OpenApiSchemaReference("ProblemDetails", document)
                    : new OpenApiSchema { Type = JsonSchemaType.Object },
            },
        },
    };
}

/// <summary>One field of a multipart/form-data request, as the document describes it.</summary>
/// <param name="Name">The part's name.</param>
/// <param name="Description">What it holds and its limits.</param>
/// <param name="Required">Whether the request is refused (400) without it.</param>
/// <param name="File">A file part (binary) rather than a text field.</param>
/// <param name="Values">The values a text field takes, when it is one of a few.</param>
public sealed record FormField(string Name, string Description, bool Required = false, bool File = false, IReadOnlyList<string>? Values = null);

/// <summary>
/// Endpoint metadata: the handler reads a multipart/form-data body with these fields itself (so the generator
/// cannot infer them); the document's request body lists them.
/// </summary>
public sealed class MultipartForm(params FormField[] fields)
{
    /// <summary>The fields, in the order the document lists them.</summary>
    public IReadOnlyList<FormField> Fields { get; } = fields;

    internal OpenApiRequestBody ToRequestBody()
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>(),
            Required = new HashSet<string>(),
        };
        foreach (FormField field in Fields)
        {
            schema.Properties[field.Name] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = field.File ? "binary" : null,
                Description = field.Description,
                Enum = field.Values?.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v)!).ToList(),
            };
            if (field.Required)
            {
                schema.Required.Add(field.Name);
            }
        }

        return new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new OpenApiMediaType { Schema = schema } },
        };
    }
}

/// <summary>Endpoint metadata: a WebSocket endpoint, described in the document as its GET upgrade.</summary>
/// <param name="Summary">One line.</param>
/// <param name="Description">What flows over it.</param>
/// <param name="Messages">The messages, for the 101 answer.</param>
/// <param name="TokenInQuery">Whether <c>?token=</c> is required.</param>
/// <param name="TokenDescription">Which token <c>?token=</c> carries.</param>
/// <param name="Problems">The problem+json answers and when each comes.</param>
public sealed record WebSocketEndpoint(string Summary, string Description, string Messages, bool TokenInQuery, string TokenDescription, IReadOnlyList<(int Status, string Why)> Problems);
