using Microsoft.AspNetCore.Http;

namespace Capture.Server.Jobs;

/// <summary>
/// The Bearer API key check for <c>/api/jobs</c>: the same key as the live API (CAPTURE_API_KEY),
/// compared in constant time by the same <see cref="Security.Secrets.Matches"/> as the live API, 401 as problem+json without it.
/// </summary>
public static class JobsApiKey
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
            return JobProblems.Problem(StatusCodes.Status401Unauthorized, "API key required", "send the server's API key as 'Authorization: Bearer <key>'");
        }

        if (!Security.Secrets.Matches(header.AsSpan(Bearer.Length).Trim(), expected))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return JobProblems.Problem(StatusCodes.Status401Unauthorized, "API key not valid", "the Bearer key does not match this server's API key");
        }

        return null;
    }
}

/// <summary>problem+json answers for the jobs API.</summary>
public static class JobProblems
{
    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);

    public static IResult UnknownJob(string id) =>
        Problem(StatusCodes.Status404NotFound, "no such job", $"there is no job '{Display(id)}' (never created, deleted, or removed by retention)");

    /// <summary>An id as it may be echoed back: printable, short.</summary>
    public static string Display(string id) =>
        new([.. id.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}
