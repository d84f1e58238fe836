namespace SessionVoice.Core.Sessions;

/// <summary>Process-wide settlement counts (exported as metrics later; shown by the sweep).</summary>
public sealed class SettlementCounters
{
    private long _decisions;
    private long _submitted;
    private long _mined;
    private long _settled;
    private long _windowMissed;
    private long _failed;

    public long Decisions => Interlocked.Read(ref _decisions);

    public long Submitted => Interlocked.Read(ref _submitted);

    public long Mined => Interlocked.Read(ref _mined);

    public long Settled => Interlocked.Read(ref _settled);

    public long WindowMissed => Interlocked.Read(ref _windowMissed);

    public long Failed => Interlocked.Read(ref _failed);

    public void Decision(Decision decision)
    {
        Interlocked.Increment(ref _decisions);
        Telemetry.SessionVoiceTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("kind", decision.GetType().Name));
    }

    public void Submit()
    {
        Interlocked.Increment(ref _submitted);
        Telemetry.SessionVoiceTelemetry.Attestations.Add(1, new KeyValuePair<string, object?>("result", "submitted"));
    }

    public void Mine()
    {
        Interlocked.Increment(ref _mined);
        Telemetry.SessionVoiceTelemetry.Attestations.Add(1, new KeyValuePair<string, object?>("result", "mined"));
    }

    public void Settle()
    {
        Interlocked.Increment(ref _settled);
        Telemetry.SessionVoiceTelemetry.Attestations.Add(1, new KeyValuePair<string, object?>("result", "settled"));
    }

    public void MissWindow()
    {
        Interlocked.Increment(ref _windowMissed);
        Telemetry.SessionVoiceTelemetry.Attestations.Add(1, new KeyValuePair<string, object?>("result", "window_missed"));
    }

    public void Fail()
    {
        Interlocked.Increment(ref _failed);
        Telemetry.SessionVoiceTelemetry.Attestations.Add(1, new KeyValuePair<string, object?>("result", "failed"));
    }
}
