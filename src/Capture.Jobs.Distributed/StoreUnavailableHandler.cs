using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Capture.Jobs.Distributed;

/// <summary>
/// Answers a request that failed because PostgreSQL is down with <c>503</c>, <c>Retry-After</c> and a
/// problem+json naming the store, instead of a bare 500. Nothing is lost meanwhile: accepted jobs are in
/// the store and the broker, and the next request after the database is back succeeds (the pool is
/// cleared on the first failure).
/// </summary>
public sealed class StoreUnavailableHandler : IExceptionHandler
{
    /// <summary>Seconds a client is told to wait: about how long PostgreSQL takes to restart.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not JobStoreUnavailableException unavailable || httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        httpContext.Response.ContentType = "application/problem+json";
        var problem = new Dictionary<string, object?>
        {
            ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            ["title"] = "job store unavailable",
            ["status"] = StatusCodes.Status503ServiceUnavailable,
            ["detail"] = unavailable.Message + $"; accepted jobs are kept, try again in {RetryAfterSeconds} s",
        };
        await JsonSerializer.SerializeAsync(httpContext.Response.Body, problem, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }
}
