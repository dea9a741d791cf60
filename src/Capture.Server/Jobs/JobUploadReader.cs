using System.Globalization;
using Capture.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Capture.Server.Jobs;

/// <summary>
/// Reads a <c>POST /api/jobs</c> body section by section with <see cref="MultipartReader"/>,
/// streaming each file part to a generated name under uploads/ (a fixed 80 KiB copy buffer; a
/// whole file is never in memory), counting bytes against <see cref="JobsOptions.MaxUploadBytes"/>.
/// File parts: <c>driving</c>, <c>character</c>, <c>rig</c>, <c>profile</c>, <c>mask</c>; text fields:
/// <c>size</c>, <c>sideBySide</c>, <c>intensity</c>, <c>motionData</c>, <c>body</c> (a rig may also come as text).
/// </summary>
internal static class JobUploadReader
{
    private const int MaxFieldChars = 64;
    private const int MaxSections = 16;

    // A part's headers: a Content-Disposition with a long file name and a Content-Type fit many times over.
    private const int HeadersLimit = 16 * 1024;

    /// <summary>Receives the upload. Throws <see cref="JobInputException"/> for what the client got wrong; staged files are deleted then.</summary>
    public static async Task<StagedUpload> ReadAsync(HttpRequest request, JobIntake intake, CancellationToken ct)
    {
        JobsOptions options = intake.Options;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? type) ||
            !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
            HeaderUtilities.RemoveQuotes(type.Boundary).Length is 0 or > 200)
        {
            throw new JobInputException(StatusCodes.Status415UnsupportedMediaType, "not a multipart upload",
                "send the job as multipart/form-data with a 'driving' video or motion file (.mpk, Live Link Face .csv, .bvh) and a 'character' picture");
        }

        var files = new Dictionary<string, (string Path, string? ClientName)>(StringComparer.Ordinal);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            string boundary = HeaderUtilities.RemoveQuotes(type.Boundary).ToString();
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = HeadersLimit, BodyLengthLimit = options.MaxUploadBytes };
            long total = 0;
            int sections = 0;
            MultipartSection? section;
            while ((section = await NextAsync(reader, options, ct).ConfigureAwait(false)) is not null)
            {
                if (++sections > MaxSections)
                {
                    throw JobInputException.BadField($"more than {MaxSections} parts in the upload");
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition) ||
                    !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw JobInputException.BadField("a part without a form-data Content-Disposition");
                }

                string name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                bool isFile = disposition.FileName.HasValue || disposition.FileNameStar.HasValue;
                if (name is "driving" or "character" or "profile" or "mask" || (name == "rig" && isFile))
                {
                    if (files.ContainsKey(name))
                    {
                        throw JobInputException.BadField($"the '{name}' file was sent twice");
                    }

                    string client = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                    string path = intake.Data.NewUploadPath();
                    files[name] = (path, client);
                    long limit = name == "driving" ? options.MaxUploadBytes : Math.Min(options.MaxPictureBytes, options.MaxUploadBytes);
                    total += await CopyAsync(section.Body, path, name, limit, options.MaxUploadBytes - total, options, ct).ConfigureAwait(false);
                }
                else if (name is "size" or "sideBySide" or "intensity" or "motionData" or "body" or "rig")
                {
                    // A rig as text may carry the rig page's figure mask (a PNG data URL): room for a large picture's two-colour mask.
                    int max = name == "rig" ? 4 * 1024 * 1024 : MaxFieldChars;
                    fields[name] = await ReadTextAsync(section.Body, max, name, ct).ConfigureAwait(false);
                }
                else
                {
                    // Unknown parts are skipped (forms may carry extra buttons), but still count.
                    total += await DrainAsync(section.Body, ct).ConfigureAwait(false);
                }

                if (total > options.MaxUploadBytes)
                {
                    throw TooLarge(options);
                }
            }

            if (!files.ContainsKey("rig") && fields.TryGetValue("rig", out string? rigText) && rigText.Trim().Length > 0)
            {
                string path = intake.Data.NewUploadPath();
                await File.WriteAllTextAsync(path, rigText, ct).ConfigureAwait(false);
                files["rig"] = (path, "rig.json");
            }

            if (!files.TryGetValue("driving", out var driving))
            {
                throw JobInputException.BadField("the 'driving' video or motion file is missing (a multipart file part named 'driving')");
            }

            if (!files.TryGetValue("character", out var character))
            {
                throw JobInputException.BadField("the 'character' picture is missing (a multipart file part named 'character')");
            }

            return new StagedUpload
            {
                DrivingPath = driving.Path,
                DrivingName = driving.ClientName,
                CharacterPath = character.Path,
                CharacterName = character.ClientName,
                RigPath = files.TryGetValue("rig", out var rig) ? rig.Path : null,
                ProfilePath = files.TryGetValue("profile", out var profile) ? profile.Path : null,
                MaskPath = files.TryGetValue("mask", out var mask) ? mask.Path : null,
                MaskName = files.TryGetValue("mask", out var maskFile) ? maskFile.ClientName : null,
                Settings = ParseSettings(fields),
            };
        }
        catch
        {
            foreach ((string path, _) in files.Values)
            {
                TryDelete(path);
            }

            throw;
        }
    }

    private static async Task<MultipartSection?> NextAsync(MultipartReader reader, JobsOptions options, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(options);
        }
        catch (InvalidDataException ex)
        {
            // MultipartReader's own limits and framing errors: only the body's size is a 413; a part's headers
            // over their limit (a 100 KB header on a tiny body) is a malformed request, not a large one.
            if (ex.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
            {
                throw TooLarge(options);
            }

            if (ex.Message.Contains("header", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("Line length limit", StringComparison.OrdinalIgnoreCase))
            {
                throw JobInputException.BadField(string.Create(CultureInfo.InvariantCulture, $"a part's headers are over the {HeadersLimit / 1024} KiB limit ({ex.Message})"));
            }

            throw JobInputException.BadField($"the multipart body is malformed ({ex.Message})");
        }
        catch (IOException ex) when (ex.Message.Contains("Unexpected end of", StringComparison.OrdinalIgnoreCase))
        {
            throw JobInputException.BadField("the upload ended before its closing boundary (the client stopped sending)");
        }
    }

    private static async Task<long> CopyAsync(Stream body, string path, string name, long partLimit, long remaining, JobsOptions options, CancellationToken ct)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long written = 0;
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true);
            while (true)
            {
                int n;
                try
                {
                    n = await body.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw TooLarge(options);
                }
                catch (InvalidDataException ex) when (ex.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
                {
                    throw TooLarge(options);
                }

                if (n == 0)
                {
                    return written;
                }

                written += n;
                if (written > partLimit || written > remaining)
                {
                    throw written > partLimit && partLimit < options.MaxUploadBytes
                        ? JobInputException.TooLarge(string.Create(CultureInfo.InvariantCulture, $"the '{name}' file is over its {partLimit / 1048576.0:0.#} MiB limit (Jobs:MaxPictureBytes)"))
                        : TooLarge(options);
                }

                try
                {
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                catch (IOException ex) when (DiskFull.Is(ex))
                {
                    throw JobInputException.Full("the data folder's disk is full; the upload could not be stored", ex);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> ReadTextAsync(Stream body, int maxChars, string name, CancellationToken ct)
    {
        using var reader = new StreamReader(body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        var buffer = new char[maxChars + 1];
        int read = 0;
        int n;
        while (read < buffer.Length && (n = await reader.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        if (read > maxChars)
        {
            throw JobInputException.BadField($"the '{name}' field is longer than {maxChars} characters");
        }

        return new string(buffer, 0, read);
    }

    private static async Task<long> DrainAsync(Stream body, CancellationToken ct)
    {
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                total += n;
            }

            return total;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static JobSettings ParseSettings(Dictionary<string, string> fields)
    {
        var settings = new JobSettings();
        if (fields.TryGetValue("size", out string? size))
        {
            settings = settings with
            {
                Size = int.TryParse(size.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s)
                    ? s : throw JobInputException.BadField($"size '{Short(size)}' is not a number; use 256, 512 or 1024"),
            };
        }

        if (fields.TryGetValue("intensity", out string? intensity))
        {
            settings = settings with
            {
                Intensity = float.TryParse(intensity.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out float i) && float.IsFinite(i)
                    ? i : throw JobInputException.BadField($"intensity '{Short(intensity)}' is not a number between 1 and 5"),
            };
        }

        // Missing or empty: JobSettings' own default (motion data on, side by side and body off).
        return settings with
        {
            SideBySide = Switch(fields, "sideBySide", settings.SideBySide),
            MotionData = Switch(fields, "motionData", settings.MotionData),
            Body = Switch(fields, "body", settings.Body),
        };
    }

    private static bool Switch(Dictionary<string, string> fields, string name, bool absent) =>
        FormSwitch.Parse(fields.GetValueOrDefault(name), absent) ?? throw JobInputException.BadField(FormSwitch.Problem(name, fields[name]));

    private static string Short(string text) => JobProblems.Display(text.Trim());

    private static JobInputException TooLarge(JobsOptions options) =>
        JobInputException.TooLarge(string.Create(CultureInfo.InvariantCulture, $"the upload is over the {options.MaxUploadBytes / 1048576.0:0.#} MiB limit (Jobs:MaxUploadBytes)"));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
