using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>Runs the node scripts in tests/interop-node (peers we did not write) and turns values into one canonical JSON form.</summary>
internal static class NodeInterop
{
    public static string InteropDirectory { get; } = FindInteropDirectory();

    private static string FindInteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "interop-node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/interop-node not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts <c>node script args</c>; the caller owns (and must dispose) the process.</summary>
    public static Process Start(string script, params string[] args)
    {
        if (!Directory.Exists(Path.Combine(InteropDirectory, "node_modules")))
        {
            throw new InvalidOperationException("tests/interop-node/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/interop-node)");
        }

        var psi = new ProcessStartInfo("node") { WorkingDirectory = InteropDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
    }

    /// <summary>A UDP port on the loopback that nothing listens on right now.</summary>
    public static int FreeUdpPort()
    {
        using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Starts <c>vmc-listen.mjs</c> on a free UDP port for <paramref name="bundles"/> bundles and waits
    /// until it says it is ready; returns the process (the caller disposes it), the port, and its
    /// remaining stdout (one parsed message a line) and its stderr, complete when it exits.
    /// </summary>
    public static async Task<(Process Node, int Port, Task<string> Output, Task<string> Errors)> StartVmcListenerAsync(int bundles)
    {
        int port = FreeUdpPort();
        Process node = Start("vmc-listen.mjs", port.ToString(System.Globalization.CultureInfo.InvariantCulture), bundles.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        string? first = await node.StandardOutput.ReadLineAsync();
        Assert.True(first == $"ready {port}", $"node said '{first}', stderr: {(node.HasExited ? await stderr : "")}");
        return (node, port, node.StandardOutput.ReadToEndAsync(), stderr);
    }

    /// <summary>Runs a script to completion and returns its stdout; a non-zero exit fails with its stderr.</summary>
    public static string Run(string script, params string[] args)
    {
        using Process p = Start(script, args);
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in 60 s");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} exited {p.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }

    /// <summary>The canonical form of what <see cref="GenericValue.Read"/> returns (see canonical.mjs).</summary>
    public static JsonNode? Canonical(object? v) => v switch
    {
        null => null,
        bool b => JsonValue.Create(b),
        long l => new JsonObject { ["i"] = l.ToString(CultureInfo.InvariantCulture) },
        ulong u => new JsonObject { ["i"] = u.ToString(CultureInfo.InvariantCulture) },
        int i => new JsonObject { ["i"] = i.ToString(CultureInfo.InvariantCulture) },
        float f => Number(f),
        double d => Number(d),
        string s => new JsonObject { ["s"] = s },
        byte[] bytes => new JsonObject { ["b"] = Convert.ToHexStringLower(bytes) },
        object?[] items => new JsonArray([.. items.Select(Canonical)]),
        List<KeyValuePair<object?, object?>> map => new JsonObject { ["m"] = new JsonArray([.. map.Select(kv => (JsonNode)new JsonArray(Canonical(kv.Key), Canonical(kv.Value)))]) },
        MessagePackTimestamp t => new JsonObject { ["t"] = new JsonArray(t.Seconds.ToString(CultureInfo.InvariantCulture), t.Nanoseconds) },
        MessagePackExtension x => new JsonObject { ["x"] = x.Type, ["d"] = Convert.ToHexStringLower(x.Data) },
        _ => throw new ArgumentException($"no canonical form for {v.GetType()}"),
    };

    private static JsonObject Number(double d)
    {
        if (Math.Abs(d) <= 9007199254740991 && Math.Floor(d) == d && !(d == 0 && double.IsNegative(d)))
        {
            return new JsonObject { ["i"] = ((long)d).ToString(CultureInfo.InvariantCulture) };
        }

        byte[] bits = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bits, d);
        return new JsonObject { ["f"] = Convert.ToHexStringLower(bits) };
    }
}

/// <summary>An extension value other than a timestamp, as <see cref="GenericValue.Read"/> returns it.</summary>
public sealed record MessagePackExtension(sbyte Type, byte[] Data);

/// <summary>A timestamp extension value, seconds since the Unix epoch plus nanoseconds.</summary>
public readonly record struct MessagePackTimestamp(long Seconds, uint Nanoseconds);

/// <summary>
/// Reads any MessagePack value with MessagePack-CSharp's reader into plain objects (null, bool, long/ulong, float,
/// double, string, byte[], object?[], a list of key/value pairs for maps, <see cref="MessagePackExtension"/>,
/// <see cref="MessagePackTimestamp"/> with full nanoseconds). For the interop tests only: it allocates.
/// </summary>
public static class GenericValue
{
    public static object? Read(ref MessagePackReader r)
    {
        switch (r.NextMessagePackType)
        {
            case MessagePackType.Nil:
                r.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return r.ReadBoolean();
            case MessagePackType.Integer:
                return r.NextCode == MessagePackCode.UInt64 ? r.ReadUInt64() : r.ReadInt64();
            case MessagePackType.Float:
                return r.NextCode == MessagePackCode.Float32 ? r.ReadSingle() : r.ReadDouble();
            case MessagePackType.String:
                return r.ReadString();
            case MessagePackType.Binary:
                return r.ReadBytes()!.Value.ToArray();
            case MessagePackType.Array:
                {
                    int n = r.ReadArrayHeader();
                    object?[] items = new object?[n];
                    for (int i = 0; i < n; i++)
                    {
                        items[i] = Read(ref r);
                    }

                    return items;
                }

            case MessagePackType.Map:
                {
                    int n = r.ReadMapHeader();
                    var entries = new List<KeyValuePair<object?, object?>>(n);
                    for (int i = 0; i < n; i++)
                    {
                        object? key = Read(ref r);
                        object? value = Read(ref r);
                        entries.Add(new(key, value));
                    }

                    return entries;
                }

            case MessagePackType.Extension:
                {
                    ExtensionHeader header = r.ReadExtensionFormatHeader();
                    byte[] data = r.ReadRaw(header.Length).ToArray();
                    return header.TypeCode == -1 ? Timestamp(data) : new MessagePackExtension(header.TypeCode, data);
                }

            default:
                throw new InvalidDataException($"format byte 0x{r.NextCode:x2} is never used in MessagePack");
        }
    }

    private static MessagePackTimestamp Timestamp(byte[] data) => data.Length switch
    {
        4 => new MessagePackTimestamp(BinaryPrimitives.ReadUInt32BigEndian(data), 0),
        8 => new MessagePackTimestamp(
            (long)(BinaryPrimitives.ReadUInt64BigEndian(data) & 0x3_ffff_ffffUL), (uint)(BinaryPrimitives.ReadUInt64BigEndian(data) >> 34)),
        12 => new MessagePackTimestamp(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(4)), BinaryPrimitives.ReadUInt32BigEndian(data)),
        _ => throw new InvalidDataException($"timestamp of {data.Length} bytes"),
    };
}
