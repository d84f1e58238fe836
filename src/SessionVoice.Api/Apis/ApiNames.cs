using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Apis;

/// <summary>
/// The one naming style of every value this API answers with: lowercase, words joined by hyphens
/// ("no-show-guest", "window-missed", "attested"). Enum names never reach a response as they are.
/// </summary>
public static class ApiNames
{
    public static string Of(AttestationStatus status) => status switch
    {
        AttestationStatus.Pending => "pending",
        AttestationStatus.Mined => "mined",
        AttestationStatus.Final => "final",
        AttestationStatus.Settled => "settled",
        AttestationStatus.WindowMissed => "window-missed",
        _ => "failed",
    };

    public static string Of(BookingStatus status) => status switch
    {
        BookingStatus.Booked => "booked",
        BookingStatus.Cancelled => "cancelled",
        BookingStatus.Attested => "attested",
        BookingStatus.Disputed => "disputed",
        BookingStatus.Resolved => "resolved",
        BookingStatus.Finalized => "finalized",
        _ => "none",
    };
}

