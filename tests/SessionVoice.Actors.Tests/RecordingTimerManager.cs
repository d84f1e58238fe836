using Dapr.Actors.Runtime;

namespace SessionVoice.Actors.Tests;

/// <summary>Stands in for the sidecar's reminder API and records what the actor asked for.</summary>
public sealed class RecordingTimerManager : ActorTimerManager
{
    public Dictionary<string, ActorReminder> Reminders { get; } = [];

    public List<string> Log { get; } = [];

    public override Task RegisterReminderAsync(ActorReminder reminder)
    {
        Reminders[reminder.Name] = reminder;
        Log.Add($"register {reminder.Name} {reminder.DueTime} {reminder.Period}");
        return Task.CompletedTask;
    }

    public override Task<IActorReminder> GetReminderAsync(ActorReminderToken reminder) =>
        Task.FromResult<IActorReminder>(Reminders.TryGetValue(reminder.Name, out var r) ? r : null!);

    public override Task UnregisterReminderAsync(ActorReminderToken reminder)
    {
        Reminders.Remove(reminder.Name);
        Log.Add($"unregister {reminder.Name}");
        return Task.CompletedTask;
    }

    public override Task RegisterTimerAsync(ActorTimer timer) => throw new NotSupportedException("the actors use reminders only");

    public override Task UnregisterTimerAsync(ActorTimerToken timer) => throw new NotSupportedException("the actors use reminders only");
}
