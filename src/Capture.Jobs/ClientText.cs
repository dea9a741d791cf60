using System.Globalization;
using System.Text;

namespace Capture.Jobs;

/// <summary>
/// Text that crosses the server's edge: what a client is told (nothing of the server: its paths become the
/// names the client gave) and what a client said that ends up in a log or an answer (control characters
/// escaped, length bounded, so a performer id cannot forge log lines or write 200,000-character ones).
/// </summary>
public static class ClientText
{
    /// <summary>
    /// <paramref name="message"/> with each server path replaced by the name the client knows it by
    /// (<c>"rig file /tmp/…/rig.json"</c> → <c>"rig file 'my-rig.json'"</c>). Longer paths are replaced first,
    /// so a folder never eats part of a file inside it.
    /// </summary>
    public static string NamePaths(string message, params (string? Path, string Name)[] paths)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(paths);
        foreach ((string? path, string name) in paths.Where(p => !string.IsNullOrEmpty(p.Path)).OrderByDescending(p => p.Path!.Length))
        {
            message = message.Replace(path!, name, StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>
    /// Client-supplied text made safe to log or echo: control characters (CR, LF, ESC, …) written as <c>\uXXXX</c>,
    /// cut to <paramref name="maxChars"/> with the number of characters left out. Null stays null.
    /// </summary>
    public static string? Printable(string? text, int maxChars = 128)
    {
        if (text is null)
        {
            return null;
        }

        bool clean = text.Length <= maxChars;
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, maxChars)))
        {
            clean &= !char.IsControl(c) && !char.IsSurrogate(c) && c is not ('\u2028' or '\u2029');
        }

        if (clean)
        {
            return text;
        }

        int shown = Math.Min(text.Length, maxChars);
        if (shown < text.Length && shown > 0 && char.IsHighSurrogate(text[shown - 1]))
        {
            shown--; // never cut a character in half
        }

        var sb = new StringBuilder(shown + 16);
        for (int i = 0; i < shown; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        if (text.Length > shown)
        {
            sb.Append(CultureInfo.InvariantCulture, $"…(+{text.Length - shown} chars)");
        }

        return sb.ToString();
    }
}
