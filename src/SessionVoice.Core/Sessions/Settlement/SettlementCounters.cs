using SessionVoice.Core.Telemetry;

namespace SessionVoice.Core.Sessions.Settlement;

/// <summary>Settlement counts of one host: the sweep's figures, and the <see cref="SessionVoiceMetrics"/> instruments when given.</summary>
public sealed class SettlementCounters(SessionVoiceMetrics? metrics = null)
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
        metrics?.Decisions.Add(1, new KeyValuePair<string, object?>("kind", decision.GetType().Name));
    }

    public void Submit()
    {
        Interlocked.Increment(ref _submitted);
        metrics?.Attestations.Add(1, new KeyValuePair<string, object?>("result", "submitted"));
    }

    public void Mine()
    {
        Interlocked.Increment(ref _mined);
        metrics?.Attestations.Add(1, new KeyValuePair<string, object?>("result", "mined"));
    }

    public void Settle()
    {
        Interlocked.Increment(ref _settled);
        metrics?.Attestations.Add(1, new KeyValuePair<string, object?>("result", "settled"));
    }

    public void MissWindow()
    {
        Interlocked.Increment(ref _windowMissed);
        metrics?.Attestations.Add(1, new KeyValuePair<string, object?>("result", "window_missed"));
    }

    public void Fail()
    {
        Interlocked.Increment(ref _failed);
        metrics?.Attestations.Add(1, new KeyValuePair<string, object?>("result", "failed"));
    }
}
