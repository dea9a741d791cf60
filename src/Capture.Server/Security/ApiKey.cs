using Microsoft.AspNetCore.Http;

namespace Capture.Server.Security;

/// <summary>
/// The Bearer API key check for everything under <c>/api</c> (live sessions and jobs): the server's one key
/// (CAPTURE_API_KEY), compared in constant time by <see cref="Secrets.Matches"/>, 401 as problem+json without it.
/// </summary>
public static class ApiKey
{
    private const string Bearer = "Bearer ";

    /// <summary>Null when the request carries the key; otherwise the 401 to answer with.</summary>
    public static IResult? Check(HttpContext http, string expected)
    {
        ArgumentNullException.ThrowIfNull(http);
        string header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required", detail: "send the server's API key as 'Authorization: Bearer <key>'");
        }

        if (!Secrets.Matches(header.AsSpan(Bearer.Length).Trim(), expected))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key not valid", detail: "the Bearer key does not match this server's API key");
        }

        return null;
    }
}
