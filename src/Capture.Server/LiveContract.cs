namespace Capture.Server;

/// <summary>The answer to <c>POST /api/live</c> (201): the session's tokens, its WebSocket addresses and its pages (docs/live.md).</summary>
/// <param name="Id">The session's id.</param>
/// <param name="PerformerToken">Grants the ingest WebSocket and the capture page (at least 128 random bits).</param>
/// <param name="ViewerToken">Grants the frames WebSocket and the viewer page.</param>
/// <param name="IngestUrl">The performer's WebSocket (the token travels in the Hello).</param>
/// <param name="FramesUrl">A viewer's WebSocket, token included.</param>
/// <param name="ViewerPage">The viewer page (an OBS Browser Source), token included; relative to the server.</param>
/// <param name="CapturePage">The browser performer page (webcam), token included; relative to the server.</param>
public sealed record LiveSessionCreated(string Id, string PerformerToken, string ViewerToken, string IngestUrl, string FramesUrl, string ViewerPage, string CapturePage);

/// <summary>The answer to <c>GET /api/live/{id}</c>: the session's state and counters.</summary>
/// <param name="Id">The session's id.</param>
/// <param name="Size">The rendered side in pixels.</param>
/// <param name="PerformerConnected">Whether a performer is connected now.</param>
/// <param name="Viewers">Viewers connected now.</param>
/// <param name="FramesReceived">Tracking frames received from the performer.</param>
/// <param name="FramesRendered">Frames rendered.</param>
/// <param name="Hands">Whether the session renders hands.</param>
/// <param name="FramesWithHands">Frames that carried at least one hand.</param>
/// <param name="Drops">What was dropped, and where.</param>
/// <param name="IdleFrames">Idle frames drawn while the connected performer sent none (also in <paramref name="FramesRendered"/>).</param>
/// <param name="ViewerLinks">Each connected viewer's frames: the step its socket allows and what it drains.</param>
public sealed record LiveSessionState(string Id, int Size, bool PerformerConnected, int Viewers, long FramesReceived, long FramesRendered, bool Hands, long FramesWithHands, LiveSessionDrops Drops,
    long IdleFrames, IReadOnlyList<LiveViewerLink> ViewerLinks);

/// <summary>One viewer's frames (docs/live.md, "Across a network").</summary>
/// <param name="Adapts">Whether its frames follow its socket (adapt=1, or a viewer not on this machine).</param>
/// <param name="Step">Its step on the ladder, 0 = the session's own frames.</param>
/// <param name="Side">The side of the frames it gets, in pixels.</param>
/// <param name="Quality">Their JPEG quality.</param>
/// <param name="Alpha">Whether they carry the alpha plane.</param>
/// <param name="KilobytesPerSecond">What its socket took over the last second or so (1 kB = 1000 bytes).</param>
/// <param name="FramesPerSecond">Frames its socket took a second, over the same time.</param>
/// <param name="Dropped">Frames it skipped because it was behind (latest frame wins).</param>
/// <param name="StepsDown">Steps down so far.</param>
/// <param name="StepsUp">Steps up so far.</param>
public sealed record LiveViewerLink(bool Adapts, int Step, int Side, int Quality, bool Alpha, double KilobytesPerSecond, double FramesPerSecond, long Dropped, int StepsDown, int StepsUp);

/// <summary>Dropped items of a live session, each counted where it happened.</summary>
/// <param name="Ingest">Frames dropped because the renderer was behind (live links drop the oldest).</param>
/// <param name="Viewer">Frames a slow viewer skipped (latest frame wins).</param>
/// <param name="Order">Frames that came older than one already rendered.</param>
/// <param name="Malformed">Packets that could not be read.</param>
public sealed record LiveSessionDrops(long Ingest, long Viewer, long Order, long Malformed);
