/// What one node grants the connections it has not authenticated yet, and how
/// it tells a live peer from a dead one. Every figure is a bound an attacker
/// cannot raise: with the defaults, unauthenticated peers can hold at most
/// 64 connections × 256 bytes of frames, each for at most 5 s.
public struct ConnectionLimits: Sendable, Hashable {
    /// The largest frame before authentication (a hello is 98 bytes, an
    /// authentication 64).
    public var handshakeFrameBytesMax = 256
    /// A connection that has not authenticated by then is closed.
    public var handshakeTimeout: Duration = .seconds(5)
    /// Accepted connections still in their handshake, in total and from one
    /// IP address; more are closed at once and counted as refused.
    public var pendingHandshakesMax = 64
    public var pendingHandshakesPerAddressMax = 8
    /// An authenticated connection sends a keep-alive (an empty sealed frame)
    /// this often, so that a silent one can be told dead.
    public var keepAliveInterval: Duration = .seconds(1)
    /// A connection that has received nothing for this long is closed as dead
    /// (a half-open socket, a peer that froze); its dialler reconnects.
    public var silenceTimeout: Duration = .seconds(5)
    /// A node with no connection at all after this long dials every known
    /// peer (its view of the committee may be out of date; see `Transport`).
    public var isolationLimit: Duration = .seconds(3)

    public init() {}
}
