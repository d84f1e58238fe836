using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>Outcomes as the API, the audit trail and <c>force_outcome</c> spell them: "completed", "no-show-host", "no-show-guest".</summary>
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
