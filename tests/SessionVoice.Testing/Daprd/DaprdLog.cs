
namespace SessionVoice.Testing.Daprd;

/// <summary>One call daprd made to an app for an actor (a method, a reminder): when it held the actor's lock and how it ended.</summary>
public sealed class DaprdTurn
{
    internal DaprdTurn(long seq, string actorType, string actorId, string instance, string kind, string name, DateTimeOffset start)
    {
        Seq = seq;
        ActorType = actorType;
        ActorId = actorId;
        Instance = instance;
        Kind = kind;
        Name = name;
        Start = start;
    }

    public long Seq { get; }

    public string ActorType { get; }

    public string ActorId { get; }

    /// <summary>The app instance that ran the turn.</summary>
    public string Instance { get; }

    /// <summary>"method" or "reminder".</summary>
    public string Kind { get; }

    /// <summary>The method, or the reminder's name.</summary>
    public string Name { get; }

    /// <summary>Wall-clock start (the lock was taken).</summary>
    public DateTimeOffset Start { get; }

    /// <summary>When daprd let go of the actor: the app answered, the call failed or the timeout fired. Null while running.</summary>
    public DateTimeOffset? End { get; internal set; }

    /// <summary>"ok", "actor-error" (200 with the error header), "status-N", "timeout", "unreachable"; null while running.</summary>
    public string? Outcome { get; internal set; }

    public TimeSpan? Duration => End - Start;

    public override string ToString() =>
        $"{ActorType}/{ActorId} {Kind} {Name} on {Instance}: {Outcome ?? "running"} {Duration?.TotalMilliseconds:0} ms";
}

/// <summary>One delivery attempt of a reminder by the scheduler (the actor policy's retries inside it are turns).</summary>
public sealed record DaprdReminderDelivery(string ActorType, string ActorId, string Name, DateTimeOffset At, bool Succeeded, bool Dropped);

/// <summary>A reminder as the scheduler holds it.</summary>
public sealed record DaprdReminder(string ActorType, string ActorId, string Name, DateTimeOffset DueAt, TimeSpan? Period, int Failures);

/// <summary>One cron tick delivered by one sidecar to its app.</summary>
public sealed record DaprdCronTick(string Instance, DateTimeOffset Start, DateTimeOffset End, int Status);
