using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Settlement;

/// <summary>A booking the service keeps deciding until it is settled; <c>DueAt</c> null once finished.</summary>
public sealed record TrackedBooking(BookingId BookingId, long? DueAtUnix, string LastDecision);

public static class OutcomeNames
{
    public static string ToApi(Outcome outcome) => outcome switch
    {
        Outcome.Completed => "completed",
        Outcome.NoShowHost => "no-show-host",
        Outcome.NoShowGuest => "no-show-guest",
        _ => "none",
    };

    public static bool TryParse(string? text, out Outcome outcome)
    {
        outcome = text switch
        {
            "completed" => Outcome.Completed,
            "no-show-host" => Outcome.NoShowHost,
            "no-show-guest" => Outcome.NoShowGuest,
            _ => Outcome.None,
        };
        return outcome != Outcome.None;
    }
}
