namespace Capture.Server;

/// <summary>
/// A yes/no form field or query parameter, read one way wherever the server takes one: live sessions (<c>hands</c>,
/// <c>idle</c>, <c>body</c>; a viewer's <c>adapt</c> and <c>alpha</c>) and jobs (<c>sideBySide</c>, <c>motionData</c>,
/// <c>body</c>). Yes is true, 1, on or yes; no is false, 0, off or no; any case, spaces around ignored. Missing or empty
/// is the field's default (an HTML form sends an untouched field empty). <see cref="Values"/> is what the API reference
/// lists and <see cref="Problem"/> the one wording of a refusal.
/// </summary>
public static class FormSwitch
{
    /// <summary>The accepted words, yes and no in pairs, as the OpenAPI document lists them.</summary>
    public static IReadOnlyList<string> Values { get; } = ["true", "false", "1", "0", "on", "off", "yes", "no"];

    /// <summary>True or false for a yes or a no, <paramref name="absent"/> when missing or empty, null for anything else.</summary>
    public static bool? Parse(string? text, bool absent)
    {
        string word = text?.Trim() ?? string.Empty;
        return word.Length == 0 ? absent : word.ToLowerInvariant() switch
        {
            "true" or "1" or "on" or "yes" => true,
            "false" or "0" or "off" or "no" => false,
            _ => null,
        };
    }

    /// <summary>What a client is told when <paramref name="name"/> holds <paramref name="text"/>, which is neither (echoed printable and cut short).</summary>
    public static string Problem(string name, string? text) =>
        $"{name} '{Capture.Jobs.ClientText.Printable(text?.Trim(), 16)}' is not true or false (1/0, on/off, yes/no)";
}
