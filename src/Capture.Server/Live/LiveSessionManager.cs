using System.Collections.Concurrent;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Media;
using Capture.Server.Metrics;
using Capture.Server.Security;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Live;

/// <summary>
/// The live sessions of one server: creates them (up to <see cref="ServerOptions.MaxSessions"/>), finds them by
/// id, ends them on request, and ends any whose performer has been silent (or absent) for
/// <see cref="ServerOptions.PerformerTimeout"/>, checked a few times a second.
/// </summary>
public sealed class LiveSessionManager : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LiveSession> _sessions = new(StringComparer.Ordinal);
    private readonly ServerOptions _options;
    private readonly LiveMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Timer _sweeper;

    // Sessions in the table plus creates under way: what MaxSessions limits. Taken before a session is built, given back when it leaves the table.
    private int _slots;

    public LiveSessionManager(ServerOptions options, LiveMetrics metrics, ILogger<LiveSessionManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _metrics = metrics;
        _logger = logger;
        // A quarter of a second: a timeout ends within 250 ms of being due, at negligible cost.
        _sweeper = new Timer(_ => Sweep(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    public int Count => _sessions.Count;

    /// <summary>The most sessions at once (<see cref="ServerOptions.MaxSessions"/>).</summary>
    public int Limit => _options.MaxSessions;

    /// <summary>True when <see cref="ServerOptions.MaxSessions"/> sessions run (or are being created): a cheap early refusal; <see cref="Create"/> decides.</summary>
    public bool IsFull => Volatile.Read(ref _slots) >= _options.MaxSessions;

    /// <summary>A new session for <paramref name="rig"/>, its render loop running; <paramref name="idle"/> false keeps the character still while the face is lost.</summary>
    /// <exception cref="SessionLimitException">Already <see cref="ServerOptions.MaxSessions"/> sessions.</exception>
    public LiveSession Create(CharacterRig rig, int size, PerformerProfile? profile, bool idle = true)
    {
        ArgumentNullException.ThrowIfNull(rig);
        // Count and add in one step: the slot is taken before anything is built, so parallel creates cannot pass the limit together.
        if (Interlocked.Increment(ref _slots) > _options.MaxSessions)
        {
            Interlocked.Decrement(ref _slots);
            throw new SessionLimitException($"this server already runs {_options.MaxSessions} live sessions, its limit (MaxSessions); end one first");
        }

        try
        {
            return CreateInSlot(rig, size, profile, idle);
        }
        catch
        {
            Interlocked.Decrement(ref _slots);
            throw;
        }
    }

    private LiveSession CreateInSlot(CharacterRig rig, int size, PerformerProfile? profile, bool idle)
    {
        // 30 fps is what cameras and the capture page send; the neutral needs that many seconds of frames.
        int calibrationFrames = Math.Max(1, (int)Math.Round(_options.CalibrationSeconds * 30));
        var renderer = new LiveRenderer(rig, size, profile, calibrationFrames, new Capture.Retargeting.RetargetGains { Idle = idle });
        JpegEncoder encoder;
        try
        {
            encoder = new JpegEncoder();
        }
        catch
        {
            renderer.Dispose();
            throw;
        }

        var session = new LiveSession(Secrets.NewId(), Secrets.NewToken(), Secrets.NewToken(), renderer, encoder, _options.JpegQuality, _metrics, _logger);
        session.IdleWhenSilent = idle;
        if (!_sessions.TryAdd(session.Id, session))
        {
            renderer.Dispose();
            encoder.Dispose();
            throw new InvalidOperationException("session id collision (96 random bits): retry");
        }

        if (_options.RecordDirectory is string keep)
        {
            try
            {
                Directory.CreateDirectory(keep);
                session.StartRecording(Path.Combine(keep, session.Id + ".mpk"));
                _logger.LogInformation("live session {Id}: keeping its motion in {Path}", session.Id, session.RecordingPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The session still runs; only its recording is missing, and the log says why.
                _logger.LogWarning("live session {Id}: cannot keep its motion in {Directory}: {Problem}", session.Id, keep, ex.Message);
            }
        }

        _metrics.SessionOpened();
        _ = session.Completion.ContinueWith(_ => _metrics.SessionClosed(), TaskScheduler.Default);
        session.Start();
        _logger.LogInformation("live session {Id} created: {Character} at {Size}²", session.Id, rig.Name, size);
        return session;
    }

    public LiveSession? Find(string id) => _sessions.TryGetValue(id, out LiveSession? s) ? s : null;

    /// <summary>Ends a session and waits until it has released everything; false when there is no such session.</summary>
    public async Task<bool> EndAsync(string id, string reason)
    {
        if (!_sessions.TryRemove(id, out LiveSession? session))
        {
            return false;
        }

        Interlocked.Decrement(ref _slots);

        session.End(reason);
        await session.Completion.ConfigureAwait(false);
        return true;
    }

    /// <summary>Ends a session from inside (Bye from its performer): removed at once, released in the background.</summary>
    internal void EndFromSession(LiveSession session, string reason)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, LiveSession>(session.Id, session)))
        {
            Interlocked.Decrement(ref _slots);
        }

        session.End(reason);
    }

    /// <summary>Ends every session (server shutdown): their sockets close with the reason, so the host's stop does not wait on them.</summary>
    public void EndAll(string reason)
    {
        foreach (LiveSession session in _sessions.Values)
        {
            EndFromSession(session, reason);
        }
    }

    private void Sweep()
    {
        foreach (LiveSession session in _sessions.Values)
        {
            if (session.Idle > _options.PerformerTimeout)
            {
                string reason = session.PerformerConnected
                    ? $"the performer sent nothing for {_options.PerformerTimeout.TotalSeconds:0.#} s"
                    : $"no performer connected for {_options.PerformerTimeout.TotalSeconds:0.#} s";
                EndFromSession(session, reason);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (string id in _sessions.Keys)
        {
            await EndAsync(id, "the server is shutting down").ConfigureAwait(false);
        }
    }
}

/// <summary>The server runs as many live sessions as it may.</summary>
public sealed class SessionLimitException(string message) : Exception(message);
