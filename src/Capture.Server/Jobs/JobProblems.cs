using Microsoft.AspNetCore.Http;

namespace Capture.Server.Jobs;

/// <summary>problem+json answers for the jobs API.</summary>
public static class JobProblems
{
    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);

    public static IResult UnknownJob(string id) =>
        Problem(StatusCodes.Status404NotFound, "no such job", $"there is no job '{Display(id)}' (never created, deleted, or removed by retention)");

    /// <summary>An id as it may be echoed back: printable, short.</summary>
    public static string Display(string id) => Capture.Jobs.ClientText.Printable(id, 64)!;
}
