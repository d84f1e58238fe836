namespace SessionVoice.Core.Agora.Ncs;

/// <summary>The outcome of <see cref="NcsNotice.Parse"/>: a notice, or why the body is not one.</summary>
public abstract record NcsParseResult
{
    private NcsParseResult()
    {
    }

    public sealed record Parsed(NcsNotice Notice) : NcsParseResult;

    /// <summary>Not UTF-8, malformed JSON (with the reader's position), or the first field missing, mistyped or out of range, by name.</summary>
    public sealed record Invalid(string Error) : NcsParseResult;
}
