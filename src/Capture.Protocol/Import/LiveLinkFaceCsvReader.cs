using System.Globalization;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Protocol.Export;

namespace Capture.Protocol.Import;

/// <summary>
/// A Live Link Face take read whole (a take is small: 61 numbers a row, 60 rows a second). Row <c>i</c>'s
/// values are at <c>[i * 52 ..]</c> of <see cref="Blendshapes"/> in ARKit order (<see cref="ArkitBlendshapes"/>),
/// whatever order the file's columns were in.
/// </summary>
public sealed class LiveLinkFaceTake
{
    /// <summary>The file it came from (for messages).</summary>
    public required string Name { get; init; }

    /// <summary>Each row's time in microseconds after the first row's; strictly increasing, the first is 0.</summary>
    public required long[] TimesUs { get; init; }

    /// <summary>Rows × 52 blendshape values, ARKit order.</summary>
    public required float[] Blendshapes { get; init; }

    /// <summary>Head yaw, pitch and roll in radians per row (the CSV's HeadYaw, HeadPitch, HeadRoll).</summary>
    public required Vector3[] Head { get; init; }

    /// <summary>The frame rate the timecode's frame field counts in (inferred from the largest frame number, see <see cref="LiveLinkFaceCsvReader"/>).</summary>
    public required int TimecodeFramesPerSecond { get; init; }

    public int Count => TimesUs.Length;
}

/// <summary>
/// Reads the CSV Epic's Live Link Face app exports (and <see cref="LiveLinkFaceCsvWriter"/> writes): a header
/// <c>Timecode,BlendShapeCount,EyeBlinkLeft,…,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,…</c>, then one row per
/// frame. Columns are found by name (any case, any order); Timecode, the 52 blendshapes and the three head
/// angles are required, the eye angles and BlendShapeCount are not read (eye direction is in the eyeLook*
/// blendshapes already). The timecode is <c>HH:MM:SS:FF</c> with an optional <c>.mmm</c> sub-frame fraction;
/// the file does not say how many frames a second <c>FF</c> counts, so the rate is the smallest common one
/// (24, 25, 30, 48, 50, 60, 100, 120) above the largest <c>FF</c> in the take (Live Link Face records at 60;
/// a take under a second long at a lower rate may be read at a higher one). A timecode past midnight wraps.
/// Every problem is one <see cref="InvalidDataException"/> naming the file, the line and what is wrong.
/// </summary>
public static class LiveLinkFaceCsvReader
{
    private static readonly int[] s_timecodeRates = [24, 25, 30, 48, 50, 60, 100, 120];
    private const long DayUs = 86_400_000_000;

    public static LiveLinkFaceTake Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>True when the text starts like a Live Link Face CSV (its first field is Timecode).</summary>
    public static bool LooksLikeOne(ReadOnlySpan<byte> start)
    {
        if (start.StartsWith("\uFEFF"u8))
        {
            start = start[3..];
        }

        return start.Length >= 9 && System.Text.Encoding.ASCII.GetString(start[..9]).Equals("Timecode,", StringComparison.OrdinalIgnoreCase);
    }

    public static LiveLinkFaceTake Read(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string? header = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new InvalidDataException($"{name}: empty; a Live Link Face CSV starts with its header line (Timecode,BlendShapeCount,EyeBlinkLeft,…,HeadYaw,HeadPitch,HeadRoll)");
        }

        string[] columns = header.TrimStart('\uFEFF').Split(',');
        int timecode = Find(columns, "Timecode");
        var blendColumn = new int[ArkitBlendshapes.Count];
        var missing = new List<string>();
        if (timecode < 0)
        {
            missing.Add("Timecode");
        }

        foreach (string csvName in LiveLinkFaceCsvWriter.BlendshapeColumns)
        {
            int at = Find(columns, csvName);
            if (at < 0)
            {
                missing.Add(csvName);
            }
            else
            {
                blendColumn[ArkitBlendshapes.IndexOf(char.ToLowerInvariant(csvName[0]) + csvName[1..])] = at;
            }
        }

        int[] headColumn = [.. LiveLinkFaceCsvWriter.RotationColumns.Take(3).Select(c => Find(columns, c))];
        for (int i = 0; i < 3; i++)
        {
            if (headColumn[i] < 0)
            {
                missing.Add(LiveLinkFaceCsvWriter.RotationColumns[i]);
            }
        }

        if (missing.Count > 0)
        {
            string list = missing.Count <= 6 ? string.Join(", ", missing) : $"{string.Join(", ", missing.Take(6))} and {missing.Count - 6} more";
            throw new InvalidDataException(
                $"{name}: not a Live Link Face CSV, {missing.Count} column{(missing.Count == 1 ? " is" : "s are")} missing: {list} (it needs Timecode, the 52 ARKit blendshapes and HeadYaw, HeadPitch, HeadRoll)");
        }

        var times = new List<(long Us, int Frame, double Sub, int Line)>();
        var blend = new List<float>();
        var head = new List<Vector3>();
        int lineNumber = 1;
        long firstSeconds = -1;
        long dayOffset = 0;
        long previousSeconds = -1;
        string? previousText = null;
        int maxFrame = 0;
        var values = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            values.Clear();
            values.AddRange(line.Split(','));
            if (values.Count != columns.Length)
            {
                throw new InvalidDataException($"{name} line {lineNumber}: {values.Count} values, the header has {columns.Length} columns (a row cut short?)");
            }

            string text = values[timecode].Trim();
            if (!TryParseTimecode(text, out long seconds, out int frame, out double sub))
            {
                throw new InvalidDataException($"{name} line {lineNumber}: timecode '{text}' is not HH:MM:SS:FF or HH:MM:SS:FF.mmm");
            }

            if (previousSeconds >= 0 && seconds + dayOffset < previousSeconds - (DayUs / 2_000_000))
            {
                dayOffset += DayUs / 1_000_000; // past midnight
            }

            seconds += dayOffset;
            firstSeconds = firstSeconds < 0 ? seconds : firstSeconds;
            if (previousSeconds >= 0)
            {
                (long s, int f, double u, _) = times[^1];
                bool after = seconds > s || (seconds == s && (frame > f || (frame == f && sub > u)));
                if (!after)
                {
                    throw new InvalidDataException($"{name} line {lineNumber}: timecode {text} is not after the previous row's {previousText} (rows must be in time order, each at its own time)");
                }
            }

            previousSeconds = seconds;
            previousText = text;
            maxFrame = Math.Max(maxFrame, frame);
            times.Add((seconds, frame, sub, lineNumber));
            for (int b = 0; b < ArkitBlendshapes.Count; b++)
            {
                blend.Add(Number(values[blendColumn[b]], name, lineNumber, columns[blendColumn[b]]));
            }

            head.Add(new Vector3(
                Number(values[headColumn[0]], name, lineNumber, columns[headColumn[0]]),
                Number(values[headColumn[1]], name, lineNumber, columns[headColumn[1]]),
                Number(values[headColumn[2]], name, lineNumber, columns[headColumn[2]])));
        }

        if (times.Count == 0)
        {
            throw new InvalidDataException($"{name}: the header has no rows after it; a take needs at least one frame");
        }

        int rate = s_timecodeRates.FirstOrDefault(r => r > maxFrame);
        if (rate == 0)
        {
            throw new InvalidDataException($"{name}: timecode frame numbers go up to {maxFrame}, above any frame rate Live Link Face records at (120 at most)");
        }

        var us = new long[times.Count];
        for (int i = 0; i < us.Length; i++)
        {
            (long s, int f, double u, _) = times[i];
            us[i] = ((s - firstSeconds) * 1_000_000) + (long)Math.Round((f + u - (times[0].Frame + times[0].Sub)) * 1e6 / rate);
        }

        // The frame fields were compared as numbers; at the inferred rate the times must still rise.
        for (int i = 1; i < us.Length; i++)
        {
            if (us[i] <= us[i - 1])
            {
                throw new InvalidDataException($"{name} line {times[i].Line}: timecode is not after the previous row's at {rate} frames a second");
            }
        }

        return new LiveLinkFaceTake { Name = name, TimesUs = us, Blendshapes = [.. blend], Head = [.. head], TimecodeFramesPerSecond = rate };
    }

    /// <summary>Parses <c>HH:MM:SS:FF[.mmm]</c> into whole seconds of the day, the frame number and its fraction.</summary>
    internal static bool TryParseTimecode(string text, out long seconds, out int frame, out double sub)
    {
        seconds = 0;
        frame = 0;
        sub = 0;
        string[] parts = text.Split(':');
        if (parts.Length != 4)
        {
            return false;
        }

        string last = parts[3];
        int dot = last.IndexOf('.', StringComparison.Ordinal);
        string framePart = dot < 0 ? last : last[..dot];
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int h) || h > 23
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m > 59
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int s) || s > 59
            || !int.TryParse(framePart, NumberStyles.None, CultureInfo.InvariantCulture, out frame))
        {
            return false;
        }

        if (dot >= 0)
        {
            string fraction = last[(dot + 1)..];
            if (fraction.Length == 0 || !long.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out long digits))
            {
                return false;
            }

            sub = digits / Math.Pow(10, fraction.Length);
        }

        seconds = (h * 3600L) + (m * 60L) + s;
        return true;
    }

    private static int Find(string[] columns, string name)
    {
        for (int i = 0; i < columns.Length; i++)
        {
            if (columns[i].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static float Number(string text, string name, int line, string column)
    {
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
        {
            throw new InvalidDataException($"{name} line {line}, column {column.Trim()}: '{text.Trim()}' is not a number");
        }

        return v;
    }
}
