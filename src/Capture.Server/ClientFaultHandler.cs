using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Capture.Server;

/// <summary>
/// The client's faults that surface as exceptions, answered as what they are rather than a 500 with a stack
/// trace in the log: a request Kestrel or routing rejected (<see cref="BadHttpRequestException"/>: a body that
/// arrived too slowly and was cut, one that ended early, a query value that is not a number) becomes its own
/// 4xx as problem+json, logged as one line at Information. (A client that went away is the middleware's own
/// case: no answer, nothing logged as an error.) Anything else is left to the exception handler: a 500, logged with its stack, because that
/// one is the server's fault. Registered as an <see cref="IExceptionHandler"/>, so the middleware records no
/// error diagnostics for what it handles (.NET 10).
/// </summary>
internal sealed class ClientFaultHandler(IProblemDetailsService problems, ILogger<ClientFaultHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        (string title, string detail) = bad.StatusCode switch
        {
            StatusCodes.Status408RequestTimeout => ("upload too slow", "the request body arrived too slowly and was cut off (the server needs at least 240 bytes a second after the first 5 seconds); send it again over a faster link"),
            StatusCodes.Status413PayloadTooLarge => ("upload too large", bad.Message),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => ("request headers too large", bad.Message),
            _ => ("bad request", bad.Message),
        };
        logger.LogInformation("{Method} {Path}: {Status} {Title}", httpContext.Request.Method, httpContext.Request.Path, bad.StatusCode, title);
        httpContext.Response.StatusCode = bad.StatusCode;
        if (bad.StatusCode is StatusCodes.Status408RequestTimeout or StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the body is not read: close rather than drain it.
            httpContext.Response.Headers.Connection = "close";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = title, Detail = detail },
        }).ConfigureAwait(false);
    }
}
