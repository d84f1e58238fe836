
namespace SessionVoice.Core.Sessions;

/// <summary>Which presence the metrics commitment was computed from (escrow-and-attestation.md, "Metrics commitment").</summary>
public enum MetricsSource : byte
{
    /// <summary>Presence observed by Agora.</summary>
    Observed = 1,

    /// <summary>Presence claimed by the parties' own join/leave calls.</summary>
    Claimed = 2,

    /// <summary>An outcome forced by an operator rather than read from presence.</summary>
    Forced = 3,
}
