using System.Net;
using System.Net.Sockets;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>
/// A loopback TCP relay in front of a real server, that a test can cut: <see cref="Cut"/> drops every open
/// connection and closes each new one at once, as a database that went away does to its clients, without
/// stopping the server other tests (and other checkouts) share; <see cref="Mend"/> relays again.
/// </summary>
internal sealed class TcpCutter : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly List<TcpClient> _open = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpCutter(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The port clients connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        _cut = true;
        lock (_lock)
        {
            foreach (TcpClient c in _open)
            {
                c.Dispose();
            }

            _open.Clear();
        }
    }

    public void Mend() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_cut)
            {
                client.Dispose();
                continue;
            }

            var server = new TcpClient();
            try
            {
                await server.ConnectAsync(_host, _port, _stop.Token);
            }
            catch (SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }

            lock (_lock)
            {
                _open.Add(client);
                _open.Add(server);
            }

            _ = PipeAsync(client.GetStream(), server.GetStream(), client, server);
            _ = PipeAsync(server.GetStream(), client.GetStream(), server, client);
        }
    }

    private static async Task PipeAsync(NetworkStream from, NetworkStream to, TcpClient a, TcpClient b)
    {
        try
        {
            await from.CopyToAsync(to);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Cut, or the other side closed.
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
