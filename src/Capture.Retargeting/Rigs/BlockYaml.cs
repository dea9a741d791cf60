using System.Globalization;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// A strict reader for the small part of YAML that configuration files written by PyYAML's block style use
/// (Animated Drawings' <c>char_cfg.yaml</c>): mappings and sequences nested by indentation, a sequence allowed at
/// its key's own indentation (<c>key:</c> then <c>- item</c>), plain, single- and double-quoted scalars,
/// one-line flow sequences (<c>[1, 2]</c>), <c>null</c> / <c>~</c>, and <c>#</c> comments. Anchors, aliases, tags,
/// multi-line scalars, flow mappings and several documents are refused, not guessed at. Every error is an
/// <see cref="InvalidDataException"/> that names the file and the line.
/// </summary>
internal static class BlockYaml
{
    /// <summary>Files larger than this are not configuration files (a character's is under 2 KB).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Nesting deeper than this is refused (a character's config nests 3 levels).</summary>
    private const int MaxDepth = 32;

    /// <summary>Parses <paramref name="text"/>; <paramref name="name"/> (a file name) starts every error message.</summary>
    public static YamlNode Parse(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = new List<Line>();
        string[] raw = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < raw.Length; i++)
        {
            string l = raw[i];
            if (l.Contains('\t', StringComparison.Ordinal) && l.TrimStart(' ').StartsWith('\t'))
            {
                throw Error(name, i + 1, "a tab in the indentation (YAML indents with spaces)");
            }

            string content = StripComment(l, name, i + 1).TrimEnd();
            if (content.Trim().Length == 0)
            {
                continue;
            }

            int indent = content.Length - content.TrimStart(' ').Length;
            string body = content[indent..];
            if (body is "---" or "...")
            {
                if (lines.Count > 0 && body == "---")
                {
                    throw Error(name, i + 1, "a second YAML document; one is expected");
                }

                continue;
            }

            lines.Add(new Line(i + 1, indent, body));
        }

        if (lines.Count == 0)
        {
            throw Error(name, 1, "the file is empty");
        }

        var reader = new Reader(lines, name);
        YamlNode root = reader.Block(lines[0].Indent, 0);
        if (reader.Position < lines.Count)
        {
            Line extra = lines[reader.Position];
            throw Error(name, extra.Number, $"unexpected '{extra.Text}' (indentation does not match the lines above)");
        }

        return root;
    }

    internal static InvalidDataException Error(string name, int line, string message) => new($"{name}:{line}: {message}");

    private static string StripComment(string line, string name, int number)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"' && (i == 0 || line[i - 1] is ' ' or '[' or ',' or ':' or '-'))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] == ' '))
            {
                return line[..i];
            }
            else if (c is '&' or '*' or '!' or '|' or '>' && (i == 0 || line[i - 1] == ' ') && IsNodeStart(line, i))
            {
                throw Error(name, number, $"'{c}' (anchors, aliases, tags and block scalars are not supported here)");
            }
        }

        return line;
    }

    // True when the character at i starts a value: after "key: ", "- " or at the line's start.
    private static bool IsNodeStart(string line, int i)
    {
        string before = line[..i].TrimEnd();
        return before.Length == 0 || before.EndsWith(':') || before.EndsWith('-');
    }

    private readonly record struct Line(int Number, int Indent, string Text);

    private sealed class Reader(List<Line> lines, string name)
    {
        public int Position { get; private set; }

        /// <summary>A mapping or a sequence whose lines start at exactly <paramref name="indent"/>.</summary>
        public YamlNode Block(int indent, int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error(name, lines[Position].Number, $"nested more than {MaxDepth} levels deep");
            }

            Line first = lines[Position];
            return IsSequenceItem(first.Text) ? Sequence(indent, depth) : Mapping(indent, depth);
        }

        private static bool IsSequenceItem(string text) => text == "-" || text.StartsWith("- ", StringComparison.Ordinal);

        private YamlNode Sequence(int indent, int depth)
        {
            int number = lines[Position].Number;
            var items = new List<YamlNode>();
            while (Position < lines.Count && lines[Position].Indent == indent && IsSequenceItem(lines[Position].Text))
            {
                Line line = lines[Position];
                string rest = line.Text.Length > 1 ? line.Text[2..].TrimStart(' ') : string.Empty;
                if (rest.Length == 0)
                {
                    Position++;
                    items.Add(Nested(indent, line, depth, allowSameIndentSequence: false));
                }
                else if (IsSequenceItem(rest) || SplitKey(rest) is not null)
                {
                    // "- key: value" or "- - item": a block that starts on the dash's line, at the column after it.
                    int column = indent + (line.Text.Length - rest.Length);
                    lines[Position] = new Line(line.Number, column, rest);
                    items.Add(Block(column, depth + 1));
                }
                else
                {
                    Position++;
                    items.Add(Scalar(rest, line.Number));
                }
            }

            return new YamlNode(number, items);
        }

        private YamlNode Mapping(int indent, int depth)
        {
            int number = lines[Position].Number;
            var entries = new List<KeyValuePair<string, YamlNode>>();
            while (Position < lines.Count && lines[Position].Indent == indent)
            {
                Line line = lines[Position];
                if (IsSequenceItem(line.Text))
                {
                    throw Error(name, line.Number, $"a sequence item among the keys of the mapping that starts on line {number}");
                }

                (string Key, string Value)? split = SplitKey(line.Text)
                    ?? throw Error(name, line.Number, $"expected 'key: value', got '{line.Text}'");
                string key = Unquote(split.Value.Key, line.Number);
                if (entries.Exists(e => e.Key == key))
                {
                    throw Error(name, line.Number, $"'{key}' is given twice in one mapping");
                }

                Position++;
                YamlNode value = split.Value.Value.Length == 0
                    ? Nested(indent, line, depth, allowSameIndentSequence: true)
                    : Scalar(split.Value.Value, line.Number);
                entries.Add(new(key, value));
            }

            return new YamlNode(number, entries);
        }

        /// <summary>The block under <paramref name="owner"/> (a "key:" or a bare "-"), or null when nothing is nested.</summary>
        private YamlNode Nested(int indent, Line owner, int depth, bool allowSameIndentSequence)
        {
            if (Position < lines.Count)
            {
                Line next = lines[Position];
                if (next.Indent > indent || (allowSameIndentSequence && next.Indent == indent && IsSequenceItem(next.Text)))
                {
                    return Block(next.Indent, depth + 1);
                }
            }

            return new YamlNode(owner.Number, (string?)null);
        }

        private YamlNode Scalar(string text, int number)
        {
            if (text.StartsWith('['))
            {
                if (!text.EndsWith(']'))
                {
                    throw Error(name, number, $"a flow sequence must close on its line: '{text}'");
                }

                string inner = text[1..^1].Trim();
                var items = new List<YamlNode>();
                if (inner.Length > 0)
                {
                    foreach (string part in inner.Split(','))
                    {
                        string item = part.Trim();
                        if (item.Length == 0 || item.StartsWith('[') || item.StartsWith('{'))
                        {
                            throw Error(name, number, $"only flat flow sequences of scalars are supported: '{text}'");
                        }

                        items.Add(Scalar(item, number));
                    }
                }

                return new YamlNode(number, items);
            }

            if (text.StartsWith('{'))
            {
                throw Error(name, number, $"flow mappings ('{{…}}') are not supported: '{text}'");
            }

            return text is "null" or "Null" or "NULL" or "~" ? new YamlNode(number, (string?)null) : new YamlNode(number, Unquote(text, number));
        }

        private string Unquote(string text, int number)
        {
            if (text.Length >= 2 && ((text[0] == '\'' && text[^1] == '\'') || (text[0] == '"' && text[^1] == '"')))
            {
                string inner = text[1..^1];
                if (text[0] == '\'')
                {
                    return inner.Replace("''", "'", StringComparison.Ordinal);
                }

                if (inner.Contains('\\', StringComparison.Ordinal))
                {
                    throw Error(name, number, $"escape sequences in double-quoted strings are not supported: {text}");
                }

                return inner;
            }

            if (text.Length > 0 && text[0] is '\'' or '"')
            {
                throw Error(name, number, $"unterminated quoted string: {text}");
            }

            return text;
        }

        /// <summary>"key: value" → (key, value); "key:" → (key, ""); else null. A colon inside quotes does not split.</summary>
        private static (string Key, string Value)? SplitKey(string text)
        {
            char quote = '\0';
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (quote != '\0')
                {
                    quote = c == quote ? '\0' : quote;
                }
                else if (i == 0 && c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == ':' && (i == text.Length - 1 || text[i + 1] == ' '))
                {
                    return i == 0 ? null : (text[..i].TrimEnd(), text[(i + 1)..].Trim());
                }
                else if (c is '[' or '{' && i == 0)
                {
                    return null;
                }
            }

            return null;
        }
    }
}

/// <summary>One YAML node: a scalar (<see cref="Text"/>, null for YAML's null), a sequence or a mapping, with its line.</summary>
internal sealed class YamlNode
{
    public YamlNode(int line, string? text)
    {
        Line = line;
        Text = text;
    }

    public YamlNode(int line, List<YamlNode> items)
    {
        Line = line;
        Items = items;
    }

    public YamlNode(int line, List<KeyValuePair<string, YamlNode>> entries)
    {
        Line = line;
        Entries = entries;
    }

    /// <summary>1-based line where the node starts.</summary>
    public int Line { get; }

    /// <summary>The scalar's text; null for a YAML null (and for sequences and mappings).</summary>
    public string? Text { get; }

    public List<YamlNode>? Items { get; }

    public List<KeyValuePair<string, YamlNode>>? Entries { get; }

    public bool IsNull => Text is null && Items is null && Entries is null;

    public string Kind => Entries is not null ? "a mapping" : Items is not null ? "a sequence" : Text is null ? "null" : $"'{Text}'";

    /// <summary>The value under <paramref name="key"/> of this mapping, or null when absent.</summary>
    public YamlNode? Get(string key)
    {
        if (Entries is null)
        {
            return null;
        }

        foreach (KeyValuePair<string, YamlNode> e in Entries)
        {
            if (e.Key == key)
            {
                return e.Value;
            }
        }

        return null;
    }

    /// <summary>This scalar as a number; an error naming <paramref name="file"/>, the line and <paramref name="what"/> otherwise.</summary>
    public double Number(string file, string what) =>
        Text is not null && double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw BlockYaml.Error(file, Line, $"{what} must be a number, got {Kind}");
}
