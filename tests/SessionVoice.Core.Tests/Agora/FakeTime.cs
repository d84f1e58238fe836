
namespace SessionVoice.Core.Tests.Agora;

/// <summary>A clock that says what the test tells it to.</summary>
internal sealed class FakeTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
